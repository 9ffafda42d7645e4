package mcpproxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/middleware/jwtverify"
)

const benchCall = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}`

// sseUpstream answers every POST as a stateless go-sdk server does: the
// body read, one server-sent event.
func sseUpstream() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"hello\"}]}}\n\n")
	}))
}

// BenchmarkForward is one tools/call through each layer over loopback,
// client and upstream included (the same in every row, so that the
// differences are the layers'): a bare httputil.ReverseProxy on the same
// transport (the floor), the guard in front of the proxy, and the whole
// gateway path (bearer token, verified-token cache hit, guard, proxy).
func BenchmarkForward(b *testing.B) {
	up := sseUpstream()
	defer up.Close()
	target, err := url.Parse(up.URL)
	require.NoError(b, err)

	bare := httputil.NewSingleHostReverseProxy(target)
	bare.Transport = NewTransport()
	bare.FlushInterval = -1

	proxy, err := New(target, nil)
	require.NoError(b, err)
	guard, err := mcphandler.New(proxy, &mcphandler.Options{Policy: &mcphandler.Policy{Tools: map[string][]string{"echo": {"mcp:read"}}}})
	require.NoError(b, err)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(b, err)
	v, err := jwtverify.New(&jwtverify.Options{
		Issuers: []string{"https://idp"}, Audiences: []string{"https://mcp/mcp"}, Algorithms: []string{"ES256"},
		Keys: []jwtverify.Key{{PublicKey: &key.PublicKey}},
	})
	require.NoError(b, err)
	auth, err := middleware.New(v, &middleware.Options{Resource: "https://mcp/mcp", AuthorizationServers: []string{"https://idp"}, Scopes: []string{"mcp:read"}})
	require.NoError(b, err)
	token, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": "https://idp", "aud": "https://mcp/mcp", "sub": "alice", "scope": "mcp:read",
		"exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(key)
	require.NoError(b, err)

	reader := &authresult.Principal{Subject: "alice", Issuer: "https://idp", Scopes: []string{"mcp:read"}}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"impl=bare-proxy", bare},
		{"impl=guard+proxy", withPrincipal(reader, guard)},
		{"impl=gateway", auth.Handler(guard)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = http.NewResponseController(w).EnableFullDuplex()
				bc.h.ServeHTTP(w, r)
			}))
			defer ts.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			defer client.CloseIdleConnections()
			b.ReportAllocs()
			b.SetParallelism(4) // enough requests in flight to keep both cores busy
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodPost, ts.URL+"/mcp", strings.NewReader(benchCall))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Accept", "application/json, text/event-stream")
					req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"id":7`) {
						b.Errorf("status %d: %s", resp.StatusCode, body)
						return
					}
				}
			})
		})
	}
}
