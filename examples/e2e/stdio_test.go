package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// childrenOf returns the running processes whose parent is pid.
func childrenOf(pid int) []int {
	var out []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		n, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		_, rest, _ := strings.Cut(string(b), ") ")
		f := strings.Fields(rest)
		if len(f) > 1 && f[0] != "Z" && f[1] == strconv.Itoa(pid) {
			out = append(out, n)
		}
	}
	return out
}

type bearerRT struct{ token string }

func (b bearerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// openSession connects through the gateway with the go-sdk client on a
// revision with sessions.
func openSession(t *testing.T, endpoint, token string) (*mcp.ClientSession, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil)
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: &http.Client{Transport: bearerRT{token}}, MaxRetries: -1, DisableStandaloneSSE: true},
		&mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err == nil {
		t.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

func toolText(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		return "", err
	}
	return res.Content[0].(*mcp.TextContent).Text, nil
}

// TestStdioThroughGatewayBinary runs the npm stdio server
// @modelcontextprotocol/server-everything behind the gateway binary: one
// process per session with only the configured environment, the caps, no
// reuse across principals, processes ended on DELETE and on shutdown.
func TestStdioThroughGatewayBinary(t *testing.T) {
	node := needNode(t)
	server := filepath.Join(tsDir, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
	iss := newFakeIssuer(t)
	addr := freeLoopbackAddr(t)
	endpoint := "http://" + addr + "/everything/mcp"
	t.Setenv("GATEWAY_ONLY", "must-not-reach-the-server")
	config := fmt.Sprintf(`listen: %s
issuers:
  test: {issuer: %s}
routes:
  - path: /everything/mcp
    command: [%q, %q, stdio]
    issuers: [test]
    scopes: [mcp:read]
    stdio:
      pass_env: [PATH]
      env: {MARK: configured}
      max_processes: 3
      max_per_principal: 2
    policy:
      allow_undeclared_tools: true
      tools: {get-env: [mcp:admin]}
`, addr, iss.URL, node, server)
	_, gw := startGatewayProcess(t, config)
	admin := iss.mint(t, nil, endpoint, "alice@example.com", "mcp:read mcp:admin")
	reader := iss.mint(t, nil, endpoint, "bob@example.com", "mcp:read")

	a1, err := openSession(t, endpoint, admin)
	require.NoError(t, err)
	out, err := toolText(t, a1, "echo", map[string]any{"message": "through stdio"})
	require.NoError(t, err)
	assert.Contains(t, out, "through stdio")
	out, err = toolText(t, a1, "get-env", map[string]any{})
	require.NoError(t, err)
	var env map[string]string
	require.NoError(t, json.Unmarshal([]byte(out), &env))
	assert.Equal(t, []string{"MARK", "PATH"}, sortedKeys(env), "the server saw more than its configured environment")
	require.Len(t, childrenOf(gw.Pid), 1)

	// Caps: two per principal, three in all.
	a2, err := openSession(t, endpoint, admin)
	require.NoError(t, err)
	assert.Len(t, childrenOf(gw.Pid), 2, "one process per session")
	_, err = openSession(t, endpoint, admin)
	assert.ErrorContains(t, err, "Too Many Requests", "a third session for one principal")
	b1, err := openSession(t, endpoint, reader)
	require.NoError(t, err)
	_, err = openSession(t, endpoint, reader)
	assert.ErrorContains(t, err, "Service Unavailable", "a fourth process")
	assert.Len(t, childrenOf(gw.Pid), 3)

	// The policy holds in front of the process.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tools, err := b1.ListTools(ctx, nil)
	require.NoError(t, err)
	require.NotEmpty(t, tools.Tools)
	for _, tl := range tools.Tools {
		assert.NotEqual(t, "get-env", tl.Name, "a reader sees the admin tool")
	}
	_, err = toolText(t, b1, "get-env", map[string]any{})
	assert.ErrorContains(t, err, "insufficient scope")

	// Bob with alice's session id reaches nothing.
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"}}}`))
	req.Header.Set("Authorization", "Bearer "+reader)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	req.Header.Set("Mcp-Session-Id", a1.ID())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// DELETE ends the session's process.
	require.NoError(t, a2.Close())
	require.Eventually(t, func() bool { return len(childrenOf(gw.Pid)) == 2 }, 20*time.Second, 50*time.Millisecond)
	_, err = toolText(t, a1, "echo", map[string]any{"message": "still here"})
	require.NoError(t, err, "ending one session ended another")

	// Shutdown ends them all.
	kids := childrenOf(gw.Pid)
	require.NoError(t, gw.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool {
		for _, k := range kids {
			if err := syscall.Kill(k, 0); err == nil {
				if b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(k), "stat")); !strings.Contains(string(b), ") Z") {
					return false
				}
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond, "the server processes outlived the gateway")
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
