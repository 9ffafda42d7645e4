package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpaqueTokensThroughTheBinary configures an issuer with an RFC 7662
// endpoint: its opaque tokens are introspected (with the gateway's client
// credentials), its JWTs still verified locally, and an inactive token is
// refused.
func TestOpaqueTokensThroughTheBinary(t *testing.T) {
	iss, up := newIssuer(t), newUpstream(t)
	addr := freeAddr(t)
	audience := "http://" + addr + "/mcp"
	var asked atomic.Int32
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		id, secret, ok := r.BasicAuth()
		if !ok || id != "gateway" || secret != "introspection-secret" || r.ParseForm() != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("token") != "opaque-alice-0123456789" {
			_, _ = w.Write([]byte(`{"active":false}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"active": true, "iss": iss.URL, "aud": audience, "sub": "alice@example.com",
			"scope": "mcp:read", "exp": time.Now().Add(time.Hour).Unix(), "token_type": "Bearer"})
	}))
	t.Cleanup(endpoint.Close)
	startGateway(t, fmt.Sprintf(`listen: %s
issuers:
  test:
    issuer: %s
    introspection: {url: %s, client_id: gateway, client_secret_env: GW_INTROSPECTION_SECRET}
routes:
  - path: /mcp
    upstream: %s
    issuers: [test]
`, addr, iss.URL, endpoint.URL, up.URL), "GW_INTROSPECTION_SECRET=introspection-secret")

	cs, err := connect(t, audience, "opaque-alice-0123456789", nil)
	require.NoError(t, err, "an active opaque token")
	_, err = callText(cs, "whoami", nil)
	require.NoError(t, err)
	assert.Positive(t, asked.Load())

	_, err = connect(t, audience, "opaque-revoked-0123456789", nil)
	assert.ErrorContains(t, err, "Unauthorized", "an inactive opaque token")

	before := asked.Load()
	_, err = connect(t, audience, iss.mint(t, audience, "bob@example.com", ""), nil)
	require.NoError(t, err, "a JWT of the same issuer")
	assert.Equal(t, before, asked.Load(), "a JWT is verified locally, never introspected")
}
