package stdio_test

import (
	"log"
	"net/http"
	"os"

	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcpproxy/stdio"
	"github.com/mcpauth/mcpauth/middleware"
)

// A stdio MCP server from npm behind the guard: each session runs its own
// process, which sees PATH and HOME and nothing else of the environment.
func ExampleNew() {
	bridge, err := stdio.New(&stdio.Options{
		Command:         []string{"npx", "-y", "@modelcontextprotocol/server-everything", "stdio"},
		Env:             []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")},
		MaxPerPrincipal: 2,
	})
	if err != nil {
		log.Fatal(err)
	}
	guard, err := mcphandler.New(bridge, nil)
	if err != nil {
		log.Fatal(err)
	}
	var verifier middleware.TokenVerifier // your JWT or introspection verifier
	auth, err := middleware.New(verifier, &middleware.Options{Resource: "https://mcp.example.com/mcp"})
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("/mcp", auth.Handler(guard))
	// log.Fatal(http.ListenAndServe(":8443", nil)); on shutdown, bridge.Close(ctx).
}
