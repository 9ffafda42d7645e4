package middleware

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetadata(t *testing.T) {
	tests := []struct {
		name     string
		resource string
		paths    []string
		url      string
	}{
		{"path resource", "https://mcp.example.com/mcp",
			[]string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"},
			"https://mcp.example.com/.well-known/oauth-protected-resource/mcp"},
		{"trailing slash", "https://mcp.example.com/a/mcp/",
			[]string{"/.well-known/oauth-protected-resource/a/mcp", "/.well-known/oauth-protected-resource"},
			"https://mcp.example.com/.well-known/oauth-protected-resource/a/mcp"},
		{"root resource", "https://mcp.example.com",
			[]string{"/.well-known/oauth-protected-resource"},
			"https://mcp.example.com/.well-known/oauth-protected-resource"},
		{"loopback with port", "http://127.0.0.1:8080/mcp",
			[]string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"},
			"http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(TokenVerifierFunc(tokenVerifier), &Options{
				Resource: tt.resource, AuthorizationServers: []string{"https://idp.example"},
				Scopes: []string{"mcp:read"}, ResourceName: "Demo",
			})
			require.NoError(t, err)
			assert.Equal(t, tt.paths, a.MetadataPaths())
			assert.Equal(t, tt.url, a.ResourceMetadataURL())

			mux := http.NewServeMux()
			require.NoError(t, a.MountMetadata(mux))
			for _, p := range tt.paths {
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
				require.Equal(t, 200, rec.Code, p)
				assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				assert.Equal(t, "*", rec.Header().Get("Access-Control-Allow-Origin"))
				assert.Contains(t, rec.Header().Get("Cache-Control"), "max-age=")
				var doc map[string]any
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc))
				assert.Equal(t, tt.resource, doc["resource"])
				assert.Equal(t, []any{"https://idp.example"}, doc["authorization_servers"])
				assert.Equal(t, []any{"mcp:read"}, doc["scopes_supported"])
				assert.Equal(t, []any{"header"}, doc["bearer_methods_supported"])
				assert.Equal(t, "Demo", doc["resource_name"])
			}
		})
	}
}

func TestMetadataMethods(t *testing.T) {
	a, err := New(TokenVerifierFunc(tokenVerifier), testOpts)
	require.NoError(t, err)
	h, err := a.MetadataHandler()
	require.NoError(t, err)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/", nil))
	assert.Equal(t, 200, rec.Code)
	assert.Empty(t, rec.Body.String())
	assert.NotEmpty(t, rec.Header().Get("Content-Length"))

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodOptions, "/", nil))
	assert.Equal(t, 204, rec.Code)
	assert.Contains(t, rec.Header().Get("Access-Control-Allow-Methods"), "GET")

	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(m, "/", nil))
		assert.Equal(t, 405, rec.Code, m)
		assert.Equal(t, "GET, HEAD, OPTIONS", rec.Header().Get("Allow"))
	}
}

func TestMetadataNeedsResource(t *testing.T) {
	a, err := New(TokenVerifierFunc(tokenVerifier), nil)
	require.NoError(t, err)
	_, err = a.MetadataHandler()
	assert.ErrorIs(t, err, ErrNoResource)
	assert.ErrorIs(t, a.MountMetadata(http.NewServeMux()), ErrNoResource)
	assert.Nil(t, a.MetadataPaths())
	assert.Empty(t, a.ResourceMetadataURL())
}

func TestMetadataURLOverride(t *testing.T) {
	o := *testOpts
	o.ResourceMetadataURL = "https://meta.example.com/prm"
	a, err := New(TokenVerifierFunc(tokenVerifier), &o)
	require.NoError(t, err)
	assert.Equal(t, "https://meta.example.com/prm", a.ResourceMetadataURL())
}
