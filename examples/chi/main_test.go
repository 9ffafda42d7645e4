package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRouter(t *testing.T) {
	h, err := newRouter("http://127.0.0.1:8080", map[string]*authresult.Principal{
		"r": {Subject: "reader", Scopes: []string{"mcp:read"}},
		"a": {Subject: "admin", Scopes: []string{"mcp:read", "mcp:admin"}},
	})
	require.NoError(t, err)
	tests := []struct {
		name, path, token string
		status            int
	}{
		{"no token", "/mcp", "", 401},
		{"bad token", "/mcp", "x", 401},
		{"reader", "/mcp", "r", 200},
		{"reader on admin", "/mcp/admin", "r", 403},
		{"admin on admin", "/mcp/admin", "a", 200},
		{"no token on admin", "/mcp/admin", "", 401},
		{"metadata", "/.well-known/oauth-protected-resource/mcp", "", 200},
		{"root metadata", "/.well-known/oauth-protected-resource", "", 200},
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
		})
	}
}
