package discovery

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestURLs(t *testing.T) {
	for issuer, want := range map[string][]string{
		"https://idp.example":               {"https://idp.example/.well-known/oauth-authorization-server", "https://idp.example/.well-known/openid-configuration"},
		"https://idp.example/":              {"https://idp.example/.well-known/oauth-authorization-server", "https://idp.example/.well-known/openid-configuration"},
		"https://idp.example/realms/mcp":    {"https://idp.example/.well-known/oauth-authorization-server/realms/mcp", "https://idp.example/realms/mcp/.well-known/openid-configuration"},
		"http://127.0.0.1:9000/oauth2/main": {"http://127.0.0.1:9000/.well-known/oauth-authorization-server/oauth2/main", "http://127.0.0.1:9000/oauth2/main/.well-known/openid-configuration"},
	} {
		got, err := URLs(issuer)
		require.NoError(t, err, issuer)
		assert.Equal(t, want, got, issuer)
	}
	for _, bad := range []string{"http://idp.example", "https://idp.example?x=1", "https://idp.example#f", "https://u@idp.example", "idp.example", "", "ftp://idp.example"} {
		_, err := URLs(bad)
		assert.Error(t, err, bad)
	}
}

// idp serves metadata documents by path; hits counts requests.
func idp(t *testing.T, docs map[string]string) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		doc, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(strings.ReplaceAll(doc, "ISSUER", "http://"+r.Host)))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestFetch(t *testing.T) {
	const good = `{"issuer":"ISSUER","jwks_uri":"ISSUER/jwks","introspection_endpoint":"ISSUER/introspect","scopes_supported":["a"]}`
	tests := []struct {
		name string
		docs map[string]string
		want string // error substring; "" for success
	}{
		{"RFC 8414", map[string]string{"/.well-known/oauth-authorization-server": good}, ""},
		{"OpenID fallback", map[string]string{"/.well-known/openid-configuration": good}, ""},
		{"another issuer", map[string]string{"/.well-known/oauth-authorization-server": `{"issuer":"https://evil.example","jwks_uri":"https://evil.example/jwks"}`}, "another issuer"},
		{"issuer with trailing slash", map[string]string{"/.well-known/oauth-authorization-server": `{"issuer":"ISSUER/","jwks_uri":"ISSUER/jwks"}`}, "another issuer"},
		{"issuer twice", map[string]string{"/.well-known/oauth-authorization-server": `{"issuer":"https://evil.example","issuer":"ISSUER"}`}, "no metadata"},
		{"issuer in another case", map[string]string{"/.well-known/oauth-authorization-server": `{"Issuer":"https://evil.example","issuer":"ISSUER"}`}, "no metadata"},
		{"plain http endpoint elsewhere", map[string]string{"/.well-known/oauth-authorization-server": `{"issuer":"ISSUER","jwks_uri":"http://keys.example/jwks"}`}, "not https"},
		{"not JSON", map[string]string{"/.well-known/oauth-authorization-server": `<html>`}, "no metadata"},
		{"no issuer", map[string]string{"/.well-known/oauth-authorization-server": `{"jwks_uri":"ISSUER/jwks"}`}, "no metadata"},
		{"nothing", map[string]string{}, "no metadata"},
		{"huge", map[string]string{"/.well-known/oauth-authorization-server": `{"issuer":"ISSUER","x":"` + strings.Repeat("a", MaxBytes) + `"}`}, "no metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := idp(t, tt.docs)
			md, err := Fetch(context.Background(), srv.Client(), srv.URL)
			if tt.want != "" {
				assert.ErrorContains(t, err, tt.want)
				assert.Nil(t, md)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, srv.URL, md.Issuer)
			assert.Equal(t, srv.URL+"/jwks", md.JWKSURI)
			assert.Equal(t, srv.URL+"/introspect", md.IntrospectionEndpoint)
		})
	}
	t.Run("mix-up stops the search", func(t *testing.T) {
		srv, hits := idp(t, map[string]string{
			"/.well-known/oauth-authorization-server": `{"issuer":"https://evil.example"}`,
			"/.well-known/openid-configuration":       good,
		})
		_, err := Fetch(context.Background(), srv.Client(), srv.URL)
		assert.ErrorIs(t, err, ErrIssuerMismatch)
		assert.EqualValues(t, 1, hits.Load())
	})
}
