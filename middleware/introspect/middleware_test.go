package introspect

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ middleware.TokenVerifier = (*Verifier)(nil)

// TestThroughMiddleware checks the verifier's errors become the right
// HTTP answers once plugged into middleware.New: an active token reaches
// the handler, an inactive one gets 401 with the challenge, and an
// endpoint that is down gets 503 with Retry-After and no challenge.
func TestThroughMiddleware(t *testing.T) {
	e := newEnv(t, nil)
	auth, err := middleware.New(e.v, &middleware.Options{
		Resource: testAud, AuthorizationServers: []string{testIss}, Scopes: []string{"read"},
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	var got *authresult.Principal
	h := auth.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = authresult.FromContext(r.Context())
	}))
	serve := func(token string) *httptest.ResponseRecorder {
		got = nil
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":3,"method":"tools/list"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	rec := serve(e.token())
	require.Equal(t, 200, rec.Code)
	require.NotNil(t, got)
	assert.Equal(t, "alice", got.Subject)
	assert.Equal(t, []string{"read", "write"}, got.Scopes)

	e.as.set(200, `{"active":false}`)
	rec = serve(e.token())
	assert.Equal(t, 401, rec.Code)
	assert.Nil(t, got)
	assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `error="invalid_token", error_description="token inactive"`)
	assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `resource_metadata=`)
	assert.Contains(t, rec.Body.String(), `"id":3`)

	// The endpoint goes down: 503 with Retry-After, not a 401 that would
	// send the client to log in again.
	e.as.srv.Close()
	rec = serve(e.token())
	assert.Equal(t, 503, rec.Code)
	assert.Nil(t, got)
	assert.Equal(t, "5", rec.Header().Get("Retry-After"))
	assert.Empty(t, rec.Header().Get("WWW-Authenticate"))
	assert.Contains(t, rec.Body.String(), `"id":3`)
	assert.NotContains(t, rec.Body.String(), "127.0.0.1", "the cause stays in the log")
	assert.Contains(t, e.logs.String(), "mcpauth: request refused", "the middleware's log is checked for tokens too")
}
