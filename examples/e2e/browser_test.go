package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// needChromium returns Debian's Chromium, or skips the test (fails it
// under CI, whose .ci/run installs it).
func needChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("the browser test needs chromium under CI (apt-get install chromium)")
	}
	t.Skip("browser test skipped: no chromium")
	return ""
}

// browserResult is what the page reports.
type browserResult struct {
	OK      bool     `json:"ok"`
	Error   string   `json:"error"`
	Tools   []string `json:"tools"`
	Echo    string   `json:"echo"`
	Session bool     `json:"session"`
}

// pageTemplate connects with the official TypeScript client, bundled,
// lists the tools, calls echo, ends the session, and posts what happened
// to its own origin.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<meta charset="utf-8"><title>mcpauth browser client</title>
<script type="module">
import { Client, StreamableHTTPClientTransport } from "/client.js";
const endpoint = {{.Endpoint}}, token = {{.Token}};
let result;
try {
  const transport = new StreamableHTTPClientTransport(new URL(endpoint), { requestInit: { headers: { Authorization: "Bearer " + token } } });
  const client = new Client({ name: "browser", version: "1.0.0" });
  await client.connect(transport);
  const tools = (await client.listTools()).tools.map((t) => t.name).sort();
  const echo = await client.callTool({ name: "echo", arguments: { text: "from the browser" } });
  const session = !!transport.sessionId;
  await transport.terminateSession();
  result = { ok: true, tools, echo: echo.structuredContent?.text ?? "", session };
} catch (e) {
  result = { ok: false, error: String(e && e.message || e) };
}
await fetch("/result", { method: "POST", body: JSON.stringify(result) });
</script>`))

// page serves the client page and its bundle on one origin and delivers
// the page's report.
type page struct {
	*httptest.Server
	results chan browserResult
}

func newPage(t *testing.T, host, bundle, endpoint, token string) *page {
	t.Helper()
	p := &page{results: make(chan browserResult, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = pageTemplate.Execute(w, map[string]string{"Endpoint": endpoint, "Token": token})
		case "/client.js":
			w.Header().Set("Content-Type", "text/javascript")
			http.ServeFile(w, r, bundle)
		case "/result":
			var res browserResult
			_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&res)
			select {
			case p.results <- res:
			default:
			}
		case "/favicon.ico":
			http.NotFound(w, r)
		}
	}))
	p.Listener = ln
	p.Start()
	t.Cleanup(p.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p.URL = "http://" + host + ":" + port
	return p
}

// visit opens url in headless Chromium and returns the page's report.
func visit(t *testing.T, chromium string, p *page) browserResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir="+t.TempDir(), p.URL+"/")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	defer func() { cancel(); _ = cmd.Wait() }()
	select {
	case res := <-p.results:
		return res
	case <-time.After(45 * time.Second):
		t.Fatalf("the page reported nothing within 45s; chromium said:\n%s", out.String())
	}
	return browserResult{}
}

// TestBrowserCORS runs the official TypeScript MCP client in headless
// Chromium, on a page of another loopback origin, against the gateway
// binary with that origin allowed: it lists tools and calls one with a
// bearer token, CORS preflights and all. A page of an origin the route
// does not allow cannot: its preflight gets no CORS, and nothing reaches
// the upstream.
func TestBrowserCORS(t *testing.T) {
	chromium := needChromium(t)
	node := needNode(t)
	bundle := filepath.Join(t.TempDir(), "client.js")
	runNode(t, node, nil, "bundle-browser.mjs", bundle)

	iss := newFakeIssuer(t)
	up := httptest.NewServer(openUpstream(t, false))
	t.Cleanup(up.Close)
	addr := freeLoopbackAddr(t)
	endpoint := "http://" + addr + "/mcp"
	token := iss.mint(t, nil, endpoint, "browser@example.com", "mcp:read")

	// Pages on two origins other than the gateway's: 127.0.0.1 is
	// allowed, localhost is not.
	allowed := newPage(t, "127.0.0.1", bundle, endpoint, token)
	foreign := newPage(t, "localhost", bundle, endpoint, token)
	config := fmt.Sprintf(`listen: %s
log: {level: debug}
issuers:
  test: {issuer: %s}
routes:
  - path: /mcp
    upstream: %s/mcp
    issuers: [test]
    scopes: [mcp:read]
    allowed_origins: [%s]
    policy:
      tools: {echo: [], whoami: [], admin_stats: [mcp:admin]}
`, addr, iss.URL, up.URL, allowed.URL)
	startGatewayBinary(t, config)

	res := visit(t, chromium, allowed)
	require.True(t, res.OK, "the allowed origin's page failed: %s", res.Error)
	assert.Equal(t, []string{"echo", "whoami"}, res.Tools, "the admin tool is hidden from a reader")
	assert.Equal(t, "from the browser", res.Echo)
	assert.True(t, res.Session, "the browser could read Mcp-Session-Id")

	before := upstreamCalls.Load()
	res = visit(t, chromium, foreign)
	assert.False(t, res.OK, "a page of a foreign origin connected")
	assert.Contains(t, res.Error, "Failed to fetch", "the browser blocked it, by CORS")
	assert.Equal(t, before, upstreamCalls.Load(), "nothing of the foreign page reached the upstream")
}

var gatewayListening = regexp.MustCompile(`listening on (\S+)`)

// startGatewayBinary runs cmd/mcpauth-gateway on config until the test
// ends, its log in the test log (and in checkLogs).
func startGatewayBinary(t *testing.T, config string) string {
	t.Helper()
	addr, _ := startGatewayProcess(t, config)
	return addr
}

// startGatewayProcess is startGatewayBinary that also returns the
// gateway's process.
func startGatewayProcess(t *testing.T, config string) (string, *os.Process) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	require.NoError(t, os.WriteFile(file, []byte(config), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, binary(t, "mcpauth-gateway"), "-config", file)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stderr = &testWriter{t: t, prefix: "mcpauth-gateway: "}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := gatewayListening.FindStringSubmatch(sc.Text()); m != nil {
			go func() {
				for sc.Scan() {
				}
			}()
			return m[1], cmd.Process
		}
	}
	t.Fatal("mcpauth-gateway exited before listening")
	return "", nil
}
