package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcpproxy"
	"github.com/mcpauth/mcpauth/middleware"
)

// seedAuthenticate is an authenticate callback in the style of the
// original bug report: it answers with soft-failure objects and throws.
func seedAuthenticate(r *http.Request) (any, error) {
	switch r.Header.Get("Authorization") {
	case "Bearer valid-token":
		return map[string]any{"authenticated": true, "sub": "test-user"}, nil
	case "Bearer invalid-token":
		return nil, authresult.InvalidToken("invalid token", nil)
	case "Bearer says-no":
		return map[string]any{"authenticated": false, "error": "Invalid JWT token"}, nil
	case "Bearer says-false":
		return false, nil
	case "Bearer says-nothing":
		return nil, nil
	case "Bearer throws":
		return nil, errors.New("Invalid JWT Token: Unauthorized") // untyped: never guessed from its text
	}
	return map[string]any{"authenticated": false, "error": "Invalid or missing token"}, nil
}

const seedInit = `{"jsonrpc":"2.0","method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"test","version":"1.0"}},"id":1}`

// TestSeedRegressionTable replays the original bug report behind a gateway:
// the upstream accepts everyone, as the buggy servers did, and must be
// unreachable without valid credentials.
func TestSeedRegressionTable(t *testing.T) {
	upstreamCalls.Store(0)
	up := httptest.NewServer(openUpstream(t, false))
	t.Cleanup(up.Close)
	u, err := url.Parse(up.URL + "/mcp")
	require.NoError(t, err)
	proxy, err := mcpproxy.New(u, nil)
	require.NoError(t, err)
	auth, err := middleware.NewFunc(seedAuthenticate, &middleware.Options{
		Resource: "http://127.0.0.1/mcp", AuthorizationServers: []string{"http://127.0.0.1"},
	})
	require.NoError(t, err)
	guard, err := mcphandler.New(proxy, &mcphandler.Options{Challenge: auth.Challenge()})
	require.NoError(t, err)
	gw := httptest.NewServer(auth.Handler(guard))
	t.Cleanup(gw.Close)

	send := func(token, sid, body string) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodPost, gw.URL+"/mcp", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if sid != "" {
			req.Header.Set("Mcp-Session-Id", sid)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}

	refused := []struct {
		name, token string
		status      int
	}{
		{"missing token", "", 401},
		{"invalid token", "invalid-token", 401},
		{"authenticator said no ({authenticated:false})", "says-no", 401},
		{"authenticator returned false", "says-false", 401},
		{"authenticator returned nothing", "says-nothing", 401},
		{"authenticator threw an untyped error", "throws", 500},
		{"unknown token", "whatever", 401},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(tt.token, "", seedInit)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Empty(t, resp.Header.Get("Mcp-Session-Id"), "no session for a refused request")
			var rpc struct {
				JSONRPC string             `json:"jsonrpc"`
				ID      json.RawMessage    `json:"id"`
				Error   struct{ Code int } `json:"error"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &rpc), body)
			assert.Equal(t, "2.0", rpc.JSONRPC)
			assert.Equal(t, "1", string(rpc.ID), "the request id is echoed")
			assert.NotZero(t, rpc.Error.Code)
			assert.NotContains(t, body, "Invalid JWT", "the callback's text never reaches the client")
			if tt.status == 401 {
				assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "resource_metadata=")
			}
		})
	}
	assert.Zero(t, upstreamCalls.Load(), "no refused request reached the upstream")

	// A valid token: 200, a session, and a working tool call.
	resp, body := send("valid-token", "", seedInit)
	require.Equal(t, 200, resp.StatusCode, body)
	sid := resp.Header.Get("Mcp-Session-Id")
	require.NotEmpty(t, sid)
	_, _ = send("valid-token", sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}`
	resp, body = send("valid-token", sid, call)
	require.Equal(t, 200, resp.StatusCode, body)
	assert.Contains(t, body, `hello`)

	// A session id alone never suffices.
	before := upstreamCalls.Load()
	for _, token := range []string{"", "says-no", "invalid-token", "throws"} {
		resp, _ = send(token, sid, call)
		assert.Contains(t, []int{401, 500}, resp.StatusCode, "token %q", token)
	}
	assert.Equal(t, before, upstreamCalls.Load(), "the upstream saw none of them")
}
