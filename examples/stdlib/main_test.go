package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServer(t *testing.T) {
	h, err := newServer("http://127.0.0.1:8080", "tok")
	require.NoError(t, err)
	tests := []struct {
		name, path, token string
		status            int
		contains          string
	}{
		{"no token", "/mcp", "", 401, "authentication required"},
		{"wrong token", "/mcp", "tak", 401, "unknown token"},
		{"prefix of token", "/mcp", "to", 401, "unknown token"},
		{"token", "/mcp", "tok", 200, `"subject":"demo-user"`},
		{"metadata needs no token", "/.well-known/oauth-protected-resource/mcp", "", 200, `"resource":"http://127.0.0.1:8080/mcp"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, tt.status, rec.Code)
			assert.Contains(t, rec.Body.String(), tt.contains)
			if tt.status == 401 {
				assert.Contains(t, rec.Header().Get("WWW-Authenticate"),
					`resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"`)
			}
		})
	}
}
