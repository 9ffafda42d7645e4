package credentials_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcpproxy"
	"github.com/mcpauth/mcpauth/mcpproxy/credentials"
	"github.com/mcpauth/mcpauth/middleware"
)

// TestExchangedTokensThroughTheGateway runs the whole gateway: the
// Authenticator, the guard, and the proxy with token exchange. Users call
// at once; the upstream must see each one's own exchanged token and never
// an inbound token.
func TestExchangedTokensThroughTheGateway(t *testing.T) {
	users := map[string]string{"tok-alice": "alice", "tok-bob": "bob", "tok-carol": "carol", "tok-refused": "mallory"}
	var mu sync.Mutex
	seen := map[string][]string{} // upstream Authorization by the user the gateway forwarded for
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/mcp" { // no RFC 9728 metadata: the audience is the URL
			http.NotFound(w, r)
			return
		}
		var msg struct {
			Params struct {
				Meta struct {
					User string `json:"user"`
				} `json:"_meta"`
			} `json:"params"`
		}
		_ = json.NewDecoder(r.Body).Decode(&msg)
		mu.Lock()
		seen[msg.Params.Meta.User] = append(seen[msg.Params.Meta.User], r.Header.Get("Authorization"))
		for _, vs := range r.Header {
			for _, v := range vs {
				for tok := range users {
					assert.NotContains(t, v, tok, "an inbound token reached the upstream")
				}
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	t.Cleanup(upstream.Close)
	tokenServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		w.Header().Set("Content-Type", "application/json")
		sub := r.PostForm.Get("subject_token")
		if users[sub] == "mallory" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "up-" + users[sub], "token_type": "bearer", "expires_in": 300})
	}))
	t.Cleanup(tokenServer.Close)

	up, err := url.Parse(upstream.URL + "/mcp")
	require.NoError(t, err)
	src, err := credentials.TokenExchange(&credentials.ExchangeOptions{TokenURL: tokenServer.URL, ClientID: "gw", ClientSecret: "pw", Upstream: up})
	require.NoError(t, err)
	proxy, err := mcpproxy.New(up, &mcpproxy.Options{UpstreamHeaders: src.Headers})
	require.NoError(t, err)
	guard, err := mcphandler.New(proxy, nil)
	require.NoError(t, err)
	auth, err := middleware.New(middleware.TokenVerifierFunc(func(_ context.Context, tok string) (*authresult.Principal, error) {
		if sub, ok := users[tok]; ok {
			return &authresult.Principal{Subject: sub, Issuer: "https://idp.example"}, nil
		}
		return nil, authresult.InvalidToken("unknown token", nil)
	}), &middleware.Options{Resource: "https://gw.example/mcp", AuthorizationServers: []string{"https://idp.example"}})
	require.NoError(t, err)
	gw := httptest.NewServer(auth.Handler(guard))
	t.Cleanup(gw.Close)

	call := func(tok, user string) (int, string) {
		body := `{"jsonrpc":"2.0","id":"call-` + user + `","method":"ping","params":{"_meta":{"user":"` + user + `"}}}`
		req, _ := http.NewRequest(http.MethodPost, gw.URL+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var wg sync.WaitGroup
	for range 10 {
		for _, tok := range []string{"tok-alice", "tok-bob", "tok-carol"} {
			wg.Go(func() {
				status, _ := call(tok, users[tok])
				assert.Equal(t, http.StatusOK, status)
			})
		}
	}
	wg.Wait()
	for _, user := range []string{"alice", "bob", "carol"} {
		assert.Len(t, seen[user], 10)
		for _, h := range seen[user] {
			assert.Equal(t, "Bearer up-"+user, h, "the upstream saw another user's token for %s", user)
		}
	}
	status, body := call("tok-refused", "mallory")
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, `"id":"call-mallory"`)
	assert.Empty(t, seen["mallory"], "a refused exchange reaches no upstream")
}
