package middleware

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequireScopes(t *testing.T) {
	a, err := New(TokenVerifierFunc(tokenVerifier), testOpts)
	require.NoError(t, err)
	need, err := a.RequireScopes("mcp:read", "mcp:admin")
	require.NoError(t, err)

	tests := []struct {
		name      string
		principal *authresult.Principal
		status    int
		challenge string
	}{
		{"all scopes", &authresult.Principal{Subject: "a", Scopes: []string{"mcp:admin", "x", "mcp:read"}}, 200, ""},
		{"one missing lists every required scope", &authresult.Principal{Subject: "a", Scopes: []string{"mcp:read"}}, 403,
			`Bearer error="insufficient_scope", error_description="insufficient scope", scope="mcp:read mcp:admin", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"`},
		{"none", &authresult.Principal{Subject: "a"}, 403, ""},
		{"scope prefix is not the scope", &authresult.Principal{Subject: "a", Scopes: []string{"mcp:read", "mcp:admin:x", "mcp:adm"}}, 403, ""},
		{"case differs", &authresult.Principal{Subject: "a", Scopes: []string{"MCP:READ", "MCP:ADMIN"}}, 403, ""},
		{"joined scope string is not two scopes", &authresult.Principal{Subject: "a", Scopes: []string{"mcp:read mcp:admin"}}, 403, ""},
		{"no principal: middleware missing", nil, 401, ""},
		{"invalid principal", &authresult.Principal{Scopes: []string{"mcp:read", "mcp:admin"}}, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &recorder{}
			req := httptest.NewRequest(http.MethodGet, "/mcp", nil)
			if tt.principal != nil {
				req = req.WithContext(authresult.NewContext(req.Context(), tt.principal))
			}
			rec := httptest.NewRecorder()
			need(next).ServeHTTP(rec, req)
			assert.Equal(t, tt.status, rec.Code)
			if tt.status == 200 {
				assert.EqualValues(t, 1, next.calls.Load())
				return
			}
			assert.Zero(t, next.calls.Load())
			if tt.challenge != "" {
				assert.Equal(t, tt.challenge, rec.Header().Get("WWW-Authenticate"))
			}
			if tt.status == 403 {
				assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `error="insufficient_scope"`)
			}
		})
	}
}

func TestRequireScopesThroughAuthenticate(t *testing.T) {
	a, err := New(TokenVerifierFunc(tokenVerifier), testOpts)
	require.NoError(t, err)
	need, err := a.RequireScopes("mcp:write")
	require.NoError(t, err)
	next := &recorder{}
	h := a.Handler(need(next))
	req := httptest.NewRequest(http.MethodGet, "/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+goodToken) // alice has mcp:read only
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, 403, rec.Code)
	assert.Zero(t, next.calls.Load())
}

func TestRequireScopesValidation(t *testing.T) {
	a, err := New(TokenVerifierFunc(tokenVerifier), nil)
	require.NoError(t, err)
	for _, scopes := range [][]string{nil, {""}, {"a b"}, {`a"`}} {
		_, err := a.RequireScopes(scopes...)
		assert.ErrorIs(t, err, errConfig, "%q", scopes)
	}
	mw, err := a.RequireScopes("ok")
	require.NoError(t, err)
	assert.Panics(t, func() { mw(nil) })
}
