package middleware

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
)

func TestTokenFromContext(t *testing.T) {
	verified, err := New(TokenVerifierFunc(tokenVerifier), testOpts)
	require.NoError(t, err)
	permissive, err := NewFunc(func(*http.Request) (any, error) { return alice, nil }, testOpts)
	require.NoError(t, err)
	tests := []struct {
		name   string
		auth   *Authenticator
		inner  func(context.Context) context.Context // what a layer after the Authenticator does
		token  string
		wantOK bool
	}{
		{name: "verified token", auth: verified, token: goodToken, wantOK: true},
		{name: "NewFunc decides on anything: no token", auth: permissive},
		{name: "principal replaced by an inner layer", auth: verified, inner: func(ctx context.Context) context.Context {
			return authresult.NewContext(ctx, &authresult.Principal{Subject: "mallory"})
		}},
		{name: "principal removed by an inner layer", auth: verified, inner: func(ctx context.Context) context.Context {
			return authresult.NewContext(ctx, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			var ok, ran bool
			h := tt.auth.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				ctx := r.Context()
				if tt.inner != nil {
					ctx = tt.inner(ctx)
				}
				got, ok = TokenFromContext(ctx)
				ran = true
			}))
			r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
			r.Header.Set("Authorization", "Bearer "+goodToken)
			h.ServeHTTP(httptest.NewRecorder(), r)
			require.True(t, ran)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.token, got)
		})
	}
	t.Run("no Authenticator", func(t *testing.T) {
		_, ok := TokenFromContext(authresult.NewContext(context.Background(), alice))
		assert.False(t, ok)
	})
}
