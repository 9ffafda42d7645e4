package redisstore

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/redistest"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcphandler/gosdk"
)

// replicas are guards sharing one Redis in front of one go-sdk server,
// as replicas of a gateway in front of one upstream; a request names its
// replica and its user.
type replicas struct {
	t     *testing.T
	urls  []string
	users map[string]*authresult.Principal
}

func newReplicas(t *testing.T, r *redistest.Server, n int) *replicas {
	server := mcp.NewServer(&mcp.Implementation{Name: "upstream", Version: "1"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "ping"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
		return nil, struct{}{}, nil
	})
	upstream := gosdk.Handler(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Logger: slog.New(slog.DiscardHandler)}))
	rs := &replicas{t: t, users: map[string]*authresult.Principal{
		"alice": {Subject: "alice", Issuer: "https://idp.example"},
		"bob":   {Subject: "bob", Issuer: "https://idp.example"},
	}}
	for range n {
		guard, err := mcphandler.New(upstream, &mcphandler.Options{Store: newStore(t, r.Client(), nil)})
		require.NoError(t, err)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			p := rs.users[req.Header.Get("X-User")]
			if p != nil {
				req = req.WithContext(authresult.NewContext(req.Context(), p))
			}
			guard.ServeHTTP(w, req)
		}))
		t.Cleanup(srv.Close)
		rs.urls = append(rs.urls, srv.URL+"/mcp")
	}
	return rs
}

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// do sends method with body to replica i as user, in session sid.
func (rs *replicas) do(i int, user, method, sid, body string) (int, http.Header) {
	req, err := http.NewRequest(method, rs.urls[i], strings.NewReader(body))
	require.NoError(rs.t, err)
	req.Header.Set("X-User", user)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(rs.t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// TestReplicasShareBindings: a session made on one replica is its
// owner's on every replica and another user's 404 on every replica; a
// DELETE on one ends it on all; with Redis down every replica answers 503
// and the upstream sees nothing unbound; with Redis back they recover.
func TestReplicasShareBindings(t *testing.T) {
	r := redistest.Start(t)
	rs := newReplicas(t, r, 3)
	status, hdr := rs.do(0, "alice", http.MethodPost, "", initialize)
	require.Equal(t, http.StatusOK, status)
	sid := hdr.Get("Mcp-Session-Id")
	require.NotEmpty(t, sid)
	for i := range rs.urls {
		status, _ := rs.do(i, "alice", http.MethodPost, sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		assert.Equal(t, http.StatusAccepted, status, "the owner, on replica %d", i)
		status, _ = rs.do(i, "alice", http.MethodPost, sid, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
		assert.Equal(t, http.StatusOK, status, "the owner, on replica %d", i)
		status, _ = rs.do(i, "bob", http.MethodPost, sid, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
		assert.Equal(t, http.StatusNotFound, status, "another user, on replica %d", i)
	}
	status, _ = rs.do(1, "alice", http.MethodDelete, sid, "")
	require.Equal(t, http.StatusNoContent, status)
	for i := range rs.urls {
		status, _ := rs.do(i, "alice", http.MethodPost, sid, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`)
		assert.Equal(t, http.StatusNotFound, status, "ended on replica %d", i)
	}

	status, hdr = rs.do(2, "alice", http.MethodPost, "", initialize)
	require.Equal(t, http.StatusOK, status)
	live := hdr.Get("Mcp-Session-Id")
	r.Stop()
	for i := range rs.urls {
		status, hdr := rs.do(i, "alice", http.MethodPost, live, `{"jsonrpc":"2.0","id":4,"method":"tools/list"}`)
		assert.Equal(t, http.StatusServiceUnavailable, status, "replica %d with Redis down", i)
		assert.NotEmpty(t, hdr.Get("Retry-After"))
		status, _ = rs.do(i, "alice", http.MethodPost, "", initialize)
		assert.Equal(t, http.StatusServiceUnavailable, status, "no session is handed out unbound (replica %d)", i)
	}
	r.Restart()
	require.Eventually(t, func() bool {
		status, _ := rs.do(0, "alice", http.MethodPost, "", initialize)
		return status == http.StatusOK
	}, 10e9, 50e6, "recovered without a restart")
}
