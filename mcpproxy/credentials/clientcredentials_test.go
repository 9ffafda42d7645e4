package credentials

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/mcpauth/mcpauth/authresult"
)

func TestStatic(t *testing.T) {
	src, err := Static("gw-token.abc_~+/=")
	require.NoError(t, err)
	h, err := src.Headers(context.Background(), alice)
	require.NoError(t, err)
	assert.Equal(t, "Bearer gw-token.abc_~+/=", h.Get("Authorization"))
	for _, bad := range []string{"", "a b", "tok\r\nX-Admin: 1", "===", "tök"} {
		_, err := Static(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestClientCredentials(t *testing.T) {
	ts := newTokenServer(t)
	src, err := ClientCredentials(&clientcredentials.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: ts.URL + "/token", Scopes: []string{"upstream"}}, nil)
	require.NoError(t, err)
	var wg sync.WaitGroup
	got := make([]string, 16)
	for i := range got {
		wg.Go(func() {
			h, err := src.Headers(context.Background(), []*authresult.Principal{alice, bob}[i%2])
			if assert.NoError(t, err) {
				got[i] = h.Get("Authorization")
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, ts.calls.Load(), "one token for every principal, fetched once")
	for _, h := range got {
		assert.Equal(t, got[0], h)
	}
	assert.Equal(t, "client_credentials", ts.lastForm()["grant_type"])
	assert.Equal(t, "upstream", ts.lastForm()["scope"])
}

func TestClientCredentialsRenewsAnExpiredToken(t *testing.T) {
	ts := newTokenServer(t)
	ts.set(func(ts *tokenServer) { ts.expires = 1 }) // within oauth2's 10 s early expiry: renewed every time
	src, err := ClientCredentials(&clientcredentials.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: ts.URL + "/token"}, nil)
	require.NoError(t, err)
	_, err = src.Headers(context.Background(), alice)
	require.NoError(t, err)
	time.Sleep(time.Millisecond)
	_, err = src.Headers(context.Background(), alice)
	require.NoError(t, err)
	assert.EqualValues(t, 2, ts.calls.Load())
}

func TestClientCredentialsWithoutExpiresInIsRenewed(t *testing.T) {
	ts := newTokenServer(t)
	ts.set(func(ts *tokenServer) { ts.expires = "omit" })
	src, err := ClientCredentials(&clientcredentials.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: ts.URL + "/token"},
		&ClientOptions{TTL: 20 * time.Second}) // within oauth2's 10 s early expiry after 10 s
	require.NoError(t, err)
	first, err := src.Headers(context.Background(), alice)
	require.NoError(t, err)
	again, err := src.Headers(context.Background(), alice)
	require.NoError(t, err)
	assert.Equal(t, first, again, "reused within its TTL")
	assert.EqualValues(t, 1, ts.calls.Load())

	src, err = ClientCredentials(&clientcredentials.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: ts.URL + "/token"},
		&ClientOptions{TTL: 5 * time.Second}) // already inside the early expiry: renewed every time
	require.NoError(t, err)
	for range 2 {
		_, err = src.Headers(context.Background(), alice)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 3, ts.calls.Load(), "a token without expires_in was kept forever")
}

func TestClientCredentialsFailures(t *testing.T) {
	tests := []struct {
		name   string
		set    func(*tokenServer)
		cfg    func(*clientcredentials.Config)
		cause  error
		status int
	}{
		{name: "wrong secret", cfg: func(c *clientcredentials.Config) { c.ClientSecret = "wrong" }, cause: ErrClientRefused, status: 503},
		{name: "grant refused", set: func(ts *tokenServer) { ts.status, ts.errCode = 400, "unauthorized_client" }, cause: ErrClientRefused, status: 503},
		{name: "server error", set: func(ts *tokenServer) { ts.status = 500 }, cause: ErrUnavailable, status: 503},
		{name: "server down", cfg: func(c *clientcredentials.Config) { c.TokenURL = "http://127.0.0.1:1/token" }, cause: ErrUnavailable, status: 503},
		{name: "token_type N_A", set: func(ts *tokenServer) { ts.tokType = "N_A" }, cause: ErrResponse, status: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t)
			if tt.set != nil {
				ts.set(tt.set)
			}
			cfg := &clientcredentials.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: ts.URL + "/token"}
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			src, err := ClientCredentials(cfg, nil)
			require.NoError(t, err)
			_, err = src.Headers(context.Background(), alice)
			require.ErrorIs(t, err, tt.cause)
			e := authresult.As(err)
			assert.Equal(t, tt.status, e.Status())
			assert.Equal(t, DefaultRetryAfter, e.RetryAfter)
			assert.NotContains(t, err.Error(), clientSecret)
			assert.NotContains(t, err.Error(), "wrong")
		})
	}
}

func TestClientCredentialsValidation(t *testing.T) {
	for name, cfg := range map[string]*clientcredentials.Config{
		"nil":             nil,
		"no client id":    {TokenURL: "https://as.example/token"},
		"http token URL":  {ClientID: "gw", TokenURL: "http://as.example/token"},
		"relative URL":    {ClientID: "gw", TokenURL: "/token"},
		"user info in it": {ClientID: "gw", TokenURL: "https://gw:pw@as.example/token"},
	} {
		_, err := ClientCredentials(cfg, nil)
		assert.Error(t, err, name)
	}
	_, err := ClientCredentials(&clientcredentials.Config{ClientID: "gw", TokenURL: "https://as.example/token"}, &ClientOptions{RetryAfter: -1})
	assert.Error(t, err)
}
