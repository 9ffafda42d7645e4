package jwtverify

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ middleware.TokenVerifier = (*Verifier)(nil)

// TestThroughMiddleware checks the verifier's errors become the right HTTP
// answers once plugged into middleware.Authenticate.
func TestThroughMiddleware(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "", ""))
	v := jwksVerifier(t, c, ks)
	auth, err := middleware.New(v, &middleware.Options{
		Resource: testAud, AuthorizationServers: []string{testIss}, Scopes: []string{"read"},
	})
	require.NoError(t, err)
	var got *authresult.Principal
	h := auth.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = authresult.FromContext(r.Context())
	}))
	serve := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":3,"method":"tools/list"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	rec := serve(rsTok(t, "a"))
	require.Equal(t, 200, rec.Code)
	require.NotNil(t, got)
	assert.Equal(t, "alice", got.Subject)

	expired := sign(t, jwt.SigningMethodRS256, rsaKey, "a", claims(set("exp", t0.Add(-time.Hour).Unix())), nil)
	rec = serve(expired)
	assert.Equal(t, 401, rec.Code)
	assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `error="invalid_token", error_description="token expired"`)
	assert.Contains(t, rec.Body.String(), `"id":3`)

	// The key server goes down and a token names a key not seen before:
	// 503 with Retry-After, not a 401 that would send the client to log in.
	ks.setBody(http.StatusBadGateway, "")
	c.Advance(2 * time.Minute)
	rec = serve(sign(t, jwt.SigningMethodRS256, rsaKey2, "rotated", claims(), nil))
	assert.Equal(t, 503, rec.Code)
	assert.NotEmpty(t, rec.Header().Get("Retry-After"))
	assert.Empty(t, rec.Header().Get("WWW-Authenticate"))
}
