package mcpgo_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcphandler/mcpgo"
	"github.com/mcpauth/mcpauth/middleware"
)

var principals = map[string]*authresult.Principal{
	"alice-1": {Subject: "alice", Issuer: "https://idp", Scopes: []string{"mcp"}},
	"alice-2": {Subject: "alice", Issuer: "https://idp", Scopes: []string{"mcp"}},
	"bob-1":   {Subject: "bob", Issuer: "https://idp", Scopes: []string{"mcp", "admin"}},
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := server.NewMCPServer("test", "v1", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("whoami"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		p, ok := authresult.FromContext(ctx)
		if !ok {
			return nil, errors.New("no principal")
		}
		return mcp.NewToolResultText("subject=" + p.Subject), nil
	})
	s.AddTool(mcp.NewTool("admin_reset"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("reset"), nil
	})
	streamable := server.NewStreamableHTTPServer(s, server.WithHTTPContextFunc(mcpgo.ContextFunc))

	auth, err := middleware.New(middleware.TokenVerifierFunc(func(_ context.Context, tok string) (*authresult.Principal, error) {
		if p, ok := principals[tok]; ok {
			return p, nil
		}
		return nil, authresult.InvalidToken("unknown token", nil)
	}), nil)
	require.NoError(t, err)
	guard, err := mcphandler.New(streamable, &mcphandler.Options{
		Challenge: auth.Challenge(),
		Policy:    &mcphandler.Policy{Tools: map[string][]string{"whoami": nil, "admin_reset": {"admin"}}},
	})
	require.NoError(t, err)
	ts := httptest.NewServer(auth.Handler(guard))
	t.Cleanup(ts.Close)
	return ts
}

func post(t *testing.T, url, token, sid, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	return resp, string(b)
}

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`

// resultOf extracts the JSON-RPC result from a JSON or SSE body.
func resultOf(t *testing.T, body string) map[string]any {
	t.Helper()
	if i := strings.Index(body, "data: "); i >= 0 {
		body = strings.TrimSpace(strings.SplitN(body[i+6:], "\n", 2)[0])
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m
}

func TestMCPGo(t *testing.T) {
	ts := newServer(t)
	resp, body := post(t, ts.URL, "alice-1", "", initialize)
	require.Equal(t, 200, resp.StatusCode, body)
	sid := resp.Header.Get("Mcp-Session-Id")
	require.NotEmpty(t, sid)

	resp, body = post(t, ts.URL, "alice-1", sid, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`)
	require.Equal(t, 200, resp.StatusCode, body)
	assert.Contains(t, body, "subject=alice", "the tool sees the principal")

	resp, body = post(t, ts.URL, "alice-2", sid, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`)
	require.Equal(t, 200, resp.StatusCode, body)
	tools := resultOf(t, body)["result"].(map[string]any)["tools"].([]any)
	require.Len(t, tools, 1, "admin_reset is hidden from alice")
	assert.Equal(t, "whoami", tools[0].(map[string]any)["name"])

	resp, _ = post(t, ts.URL, "alice-1", sid, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"admin_reset","arguments":{}}}`)
	assert.Equal(t, 403, resp.StatusCode)

	// mcp-go accepts any well-formed session id; the guard does not.
	for _, tc := range []struct{ token, sid string }{{"bob-1", sid}, {"alice-1", "mcp-session-00000000-0000-0000-0000-000000000000"}} {
		resp, _ = post(t, ts.URL, tc.token, tc.sid, `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`)
		assert.Equal(t, 404, resp.StatusCode)
	}
	resp, _ = post(t, ts.URL, "", sid, `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`)
	assert.Equal(t, 401, resp.StatusCode)
	resp, _ = post(t, ts.URL, "forged", "", initialize)
	assert.Equal(t, 401, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Mcp-Session-Id"))
}

func TestContextFuncHidesStalePrincipal(t *testing.T) {
	stale := authresult.NewContext(context.Background(), principals["bob-1"])
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil) // no principal
	_, ok := authresult.FromContext(mcpgo.ContextFunc(stale, r))
	assert.False(t, ok)

	r = r.WithContext(authresult.NewContext(r.Context(), principals["alice-1"]))
	p, ok := authresult.FromContext(mcpgo.ContextFunc(context.Background(), r))
	assert.True(t, ok)
	assert.Equal(t, "alice", p.Subject)
}
