package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeImports are the packages README snippets may use, by the name
// they use them under.
var readmeImports = map[string]string{
	"http":        "net/http",
	"log":         "log",
	"context":     "context",
	"url":         "net/url",
	"time":        "time",
	"os":          "os",
	"chi":         "github.com/go-chi/chi/v5",
	"mcp":         "github.com/modelcontextprotocol/go-sdk/mcp",
	"authresult":  "github.com/mcpauth/mcpauth/authresult",
	"jsonrpcerr":  "github.com/mcpauth/mcpauth/jsonrpcerr",
	"middleware":  "github.com/mcpauth/mcpauth/middleware",
	"jwtverify":   "github.com/mcpauth/mcpauth/middleware/jwtverify",
	"mcphandler":  "github.com/mcpauth/mcpauth/mcphandler",
	"gosdk":       "github.com/mcpauth/mcpauth/mcphandler/gosdk",
	"mcpproxy":    "github.com/mcpauth/mcpauth/mcpproxy",
	"introspect":  "github.com/mcpauth/mcpauth/middleware/introspect",
	"redisstore":  "github.com/mcpauth/mcpauth/mcphandler/redisstore",
	"redis":       "github.com/redis/go-redis/v9",
	"mcpauthtest": "github.com/mcpauth/mcpauth/mcpauthtest",
	"slog":        "log/slog",
	"decision":    "github.com/mcpauth/mcpauth/decision",
	"telemetry":   "github.com/mcpauth/mcpauth/telemetry",
	"health":      "github.com/mcpauth/mcpauth/health",
}

// readmeFree are what snippets may use without declaring it: the
// application's own pieces, and what an earlier snippet of the README
// built. A snippet that declares one shadows it.
var readmeFree = map[string]string{
	"mcpHandler":         "var mcpHandler http.Handler",
	"adminHandler":       "var adminHandler http.Handler",
	"server":             "var server *mcp.Server",
	"legacyAuthenticate": "func legacyAuthenticate(*http.Request) (any, error) { return nil, nil }",
	"auth":               "var auth *middleware.Authenticator",
	"mux":                "var mux = http.NewServeMux()",
}

// TestReadmeCompiles compiles and vets every Go block of README.md, as a
// user who pastes it into a program would: a block that drops an error
// (declared and not used), calls an API that does not exist, or does
// what go vet flags fails here.
func TestReadmeCompiles(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	require.NotEmpty(t, blocks)

	used := map[string]bool{}
	var funcs, free []string
	for i, b := range blocks {
		code := b[1]
		for name := range readmeImports {
			if regexp.MustCompile(`\b` + name + `\.`).MatchString(code) {
				used[name] = true
			}
		}
		for name, decl := range readmeFree {
			if regexp.MustCompile(`\b`+name+`\b`).MatchString(code) && !slices.Contains(free, decl) {
				free = append(free, decl)
			}
		}
		funcs = append(funcs, fmt.Sprintf("// README.md, Go block %d\nfunc block%d() {\n%s}\n", i+1, i+1, code))
	}
	for _, decl := range free {
		for name := range readmeImports {
			if strings.Contains(decl, name+".") {
				used[name] = true
			}
		}
	}
	var src strings.Builder
	src.WriteString("package main\n\nimport (\n")
	for name := range used {
		fmt.Fprintf(&src, "\t%s %q\n", name, readmeImports[name])
	}
	src.WriteString(")\n\n")
	src.WriteString(strings.Join(free, "\n") + "\n\nfunc main() {}\n\n")
	src.WriteString(strings.Join(funcs, "\n"))

	file := filepath.Join(t.TempDir(), "readme.go")
	require.NoError(t, os.WriteFile(file, []byte(src.String()), 0o644))
	cmd := exec.Command("go", "vet", file)
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.CombinedOutput()
	assert.NoError(t, err, "README.md's Go blocks do not compile or vet:\n%s\n--- generated:\n%s", out, numbered(src.String()))
	t.Logf("%d Go blocks of README.md compile and vet", len(blocks))
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(s, "\n") {
		fmt.Fprintf(&b, "%4d %s\n", i+1, l)
	}
	return b.String()
}
