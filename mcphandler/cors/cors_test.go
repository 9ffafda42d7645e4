package cors_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcphandler/cors"
	"github.com/mcpauth/mcpauth/middleware"
)

const app = "https://app.example.com"

// gateway is the chain a browser reaches: CORS, authentication, the guard
// and a server that counts the requests it gets.
func gateway(t *testing.T) (http.Handler, *atomic.Int32) {
	t.Helper()
	var served atomic.Int32
	server := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Mcp-Session-Id", "s1")
		_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
	})
	auth, err := middleware.New(middleware.TokenVerifierFunc(func(_ context.Context, tok string) (*authresult.Principal, error) {
		if tok == "good" {
			return &authresult.Principal{Subject: "alice", Issuer: "https://idp.example"}, nil
		}
		return nil, authresult.InvalidToken("bad token", nil)
	}), &middleware.Options{Resource: "https://mcp.example.com/mcp", AuthorizationServers: []string{"https://idp.example"}})
	require.NoError(t, err)
	guard, err := mcphandler.New(server, &mcphandler.Options{Challenge: auth.Challenge(), AllowedOrigins: []string{app, "http://localhost:5173"}})
	require.NoError(t, err)
	return cors.New(guard, nil)(auth.Handler(guard)), &served
}

func request(h http.Handler, method, origin string, hdr map[string]string, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "https://mcp.example.com/mcp", strings.NewReader(body))
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}`

func TestPreflight(t *testing.T) {
	h, served := gateway(t)
	tests := []struct {
		name, origin, method, headers string
		allowed                       bool
	}{
		{name: "allowed origin, every MCP header", origin: app, method: "POST", headers: "authorization,content-type,last-event-id,mcp-method,mcp-name,mcp-protocol-version,mcp-session-id" /* sorted, as browsers send it */, allowed: true},
		{name: "allowed origin in another case", origin: "HTTPS://APP.example.com", method: "POST", headers: "authorization", allowed: true},
		{name: "DELETE of a session", origin: "http://localhost:5173", method: "DELETE", headers: "authorization,mcp-session-id", allowed: true},
		{name: "foreign origin", origin: "https://evil.example", method: "POST", headers: "authorization"},
		{name: "allowed origin's lookalike", origin: "https://app.example.com.evil.example", method: "POST", headers: "authorization"},
		{name: "origin with a path", origin: app + "/x", method: "POST", headers: "authorization"},
		{name: "null origin", origin: "null", method: "POST", headers: "authorization"},
		{name: "a method MCP does not use", origin: app, method: "PUT", headers: "authorization"},
		{name: "a header MCP does not use", origin: app, method: "POST", headers: "authorization,x-admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := request(h, http.MethodOptions, tt.origin, map[string]string{"Access-Control-Request-Method": tt.method, "Access-Control-Request-Headers": tt.headers}, "")
			assert.Less(t, w.Code, 300, "a preflight is answered before authentication")
			assert.NotContains(t, w.Header().Get("WWW-Authenticate"), "Bearer")
			if tt.allowed {
				assert.Equal(t, tt.origin, w.Header().Get("Access-Control-Allow-Origin"))
				assert.Contains(t, w.Header().Get("Access-Control-Allow-Methods"), tt.method)
				assert.Equal(t, "600", w.Header().Get("Access-Control-Max-Age"))
				assert.Empty(t, w.Header().Get("Access-Control-Allow-Credentials"))
			} else {
				assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
			}
		})
	}
	assert.Zero(t, served.Load(), "no preflight reaches the server")
}

func TestCORSResponsesAgreeWithTheGuard(t *testing.T) {
	h, served := gateway(t)
	json := map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range json {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	t.Run("allowed origin: the browser may read the session id", func(t *testing.T) {
		w := request(h, http.MethodPost, app, with(map[string]string{"Authorization": "Bearer good"}), initialize)
		assert.Equal(t, 200, w.Code)
		assert.Equal(t, app, w.Header().Get("Access-Control-Allow-Origin"))
		assert.Contains(t, w.Header().Get("Access-Control-Expose-Headers"), "Mcp-Session-Id")
	})
	t.Run("allowed origin without a token: the browser may read the challenge", func(t *testing.T) {
		w := request(h, http.MethodPost, app, json, initialize)
		assert.Equal(t, 401, w.Code)
		assert.Equal(t, app, w.Header().Get("Access-Control-Allow-Origin"))
		assert.Contains(t, w.Header().Get("Access-Control-Expose-Headers"), "Www-Authenticate")
		assert.Contains(t, w.Header().Get("WWW-Authenticate"), "resource_metadata")
	})
	t.Run("foreign origin: no CORS, and the guard refuses it", func(t *testing.T) {
		before := served.Load()
		w := request(h, http.MethodPost, "https://evil.example", with(map[string]string{"Authorization": "Bearer good"}), initialize)
		assert.Equal(t, 403, w.Code)
		assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
		assert.Equal(t, before, served.Load())
	})
	t.Run("an OPTIONS that is not a preflight is authenticated like any request", func(t *testing.T) {
		w := request(h, http.MethodOptions, app, nil, "")
		assert.Equal(t, 401, w.Code)
	})
}

// TestCORSOriginsAreTheGuards checks the derivation itself: for every
// origin, CORS is granted exactly when the guard admits a request from it.
func TestCORSOriginsAreTheGuards(t *testing.T) {
	h, _ := gateway(t)
	for _, origin := range []string{app, "HTTPS://App.Example.Com", "http://localhost:5173", "http://localhost:5174", "https://app.example.com:443",
		"https://evil.example", "http://app.example.com", "null", "", "https://app.example.com/", "https://user@app.example.com"} {
		cors := request(h, http.MethodOptions, origin, map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}, "")
		guarded := request(h, http.MethodPost, origin, map[string]string{"Authorization": "Bearer good", "Content-Type": "application/json", "Accept": "application/json, text/event-stream"}, initialize)
		granted := cors.Header().Get("Access-Control-Allow-Origin") != ""
		admitted := guarded.Code == 200
		if origin == "" {
			assert.False(t, granted)
			assert.True(t, admitted, "non-browser clients send no Origin")
			continue
		}
		assert.Equal(t, admitted, granted, "origin %q: guard admits=%v, CORS grants=%v", origin, admitted, granted)
	}
}
