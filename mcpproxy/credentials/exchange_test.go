package credentials

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/middleware"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// verifiedCtx returns a context as middleware.New leaves it after it
// accepted token for p.
func verifiedCtx(t *testing.T, p *authresult.Principal, token string) context.Context {
	t.Helper()
	auth, err := middleware.New(middleware.TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) { return p, nil }), nil)
	require.NoError(t, err)
	var ctx context.Context
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	auth.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { ctx = r.Context() })).ServeHTTP(httptest.NewRecorder(), r)
	require.NotNil(t, ctx)
	return ctx
}

var (
	alice = &authresult.Principal{Subject: "alice", Issuer: "https://idp.example"}
	bob   = &authresult.Principal{Subject: "bob", Issuer: "https://idp.example"}
)

const upstreamResource = "https://upstream.example/mcp"

func newExchange(t *testing.T, ts *tokenServer, mod func(*ExchangeOptions)) (Source, *clock) {
	t.Helper()
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	o := &ExchangeOptions{TokenURL: ts.URL + "/token", ClientID: clientID, ClientSecret: clientSecret, Resource: upstreamResource, Now: c.now}
	if mod != nil {
		mod(o)
	}
	src, err := TokenExchange(o)
	require.NoError(t, err)
	return src, c
}

func TestTokenExchangeSendsTheVerifiedTokenForTheUpstream(t *testing.T) {
	ts := newTokenServer(t)
	src, _ := newExchange(t, ts, func(o *ExchangeOptions) { o.Scopes = []string{"files:read", "files:write"}; o.Audience = "files" })
	h, err := src.Headers(verifiedCtx(t, alice, "alice-inbound"), alice)
	require.NoError(t, err)
	assert.Equal(t, "Bearer "+exchanged("alice-inbound", upstreamResource), h.Get("Authorization"))
	assert.Equal(t, map[string]string{
		"grant_type":           GrantTypeTokenExchange,
		"subject_token":        "alice-inbound",
		"subject_token_type":   TokenTypeAccessToken,
		"requested_token_type": TokenTypeAccessToken,
		"resource":             upstreamResource,
		"audience":             "files",
		"scope":                "files:read files:write",
	}, ts.lastForm(), "client credentials go in Basic, not the form")
	assert.Equal(t, []string{clientID}, ts.basicIDs)

	t.Run("client_secret_post", func(t *testing.T) {
		ts := newTokenServer(t)
		src, _ := newExchange(t, ts, func(o *ExchangeOptions) { o.ClientSecretPost = true })
		_, err := src.Headers(verifiedCtx(t, alice, "alice-inbound"), alice)
		require.NoError(t, err)
		assert.Equal(t, clientSecret, ts.lastForm()["client_secret"])
		assert.Empty(t, ts.basicIDs)
	})
}

func TestTokenExchangeCache(t *testing.T) {
	ts := newTokenServer(t)
	src, c := newExchange(t, ts, nil)
	aliceCtx := verifiedCtx(t, alice, "alice-1")
	for range 3 {
		_, err := src.Headers(aliceCtx, alice)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, ts.calls.Load(), "one exchange per principal and token")

	h, err := src.Headers(verifiedCtx(t, bob, "bob-1"), bob)
	require.NoError(t, err)
	assert.Equal(t, "Bearer "+exchanged("bob-1", upstreamResource), h.Get("Authorization"), "bob never gets alice's token")
	_, err = src.Headers(verifiedCtx(t, alice, "alice-2"), alice)
	require.NoError(t, err)
	assert.EqualValues(t, 3, ts.calls.Load(), "a new inbound token is exchanged anew")

	c.advance(3600*time.Second - expiryMargin - time.Second)
	_, err = src.Headers(aliceCtx, alice)
	require.NoError(t, err)
	assert.EqualValues(t, 3, ts.calls.Load(), "cached until shortly before expires_in")
	c.advance(2 * time.Second)
	_, err = src.Headers(aliceCtx, alice)
	require.NoError(t, err)
	assert.EqualValues(t, 4, ts.calls.Load(), "renewed at expiry")
}

func TestTokenExchangeNeverOutlivesTheInboundToken(t *testing.T) {
	ts := newTokenServer(t)
	src, c := newExchange(t, ts, nil)
	short := &authresult.Principal{Subject: "carol", Issuer: "https://idp.example", Expiry: c.now().Add(30 * time.Second)}
	ctx := verifiedCtx(t, short, "carol-1")
	_, err := src.Headers(ctx, short)
	require.NoError(t, err)
	c.advance(29 * time.Second)
	_, err = src.Headers(ctx, short)
	require.NoError(t, err)
	assert.EqualValues(t, 1, ts.calls.Load())
	c.advance(2 * time.Second)
	_, err = src.Headers(ctx, short)
	require.NoError(t, err)
	assert.EqualValues(t, 2, ts.calls.Load(), "the exchanged token is not used past the inbound token's exp")
}

func TestTokenExchangeOneFetchAtATime(t *testing.T) {
	ts := newTokenServer(t)
	ts.gate = make(chan struct{})
	src, _ := newExchange(t, ts, nil)
	ctx := verifiedCtx(t, alice, "alice-1")
	var wg sync.WaitGroup
	got := make([]string, 16)
	for i := range got {
		wg.Go(func() {
			h, err := src.Headers(ctx, alice)
			if assert.NoError(t, err) {
				got[i] = h.Get("Authorization")
			}
		})
	}
	require.Eventually(t, func() bool { return ts.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // let the others queue behind the first
	close(ts.gate)
	wg.Wait()
	assert.EqualValues(t, 1, ts.calls.Load())
	for _, h := range got {
		assert.Equal(t, "Bearer "+exchanged("alice-1", upstreamResource), h)
	}
}

func TestTokenExchangeFailures(t *testing.T) {
	tests := []struct {
		name    string
		set     func(*tokenServer)
		opts    func(*ExchangeOptions)
		ctx     func(t *testing.T) context.Context
		status  int
		cause   error
		noRetry bool
	}{
		{name: "exchange refused: invalid_grant", set: func(ts *tokenServer) { ts.status, ts.errCode = 400, "invalid_grant" }, status: 403, cause: ErrExchangeRefused},
		{name: "audience refused: invalid_target", set: func(ts *tokenServer) { ts.status, ts.errCode = 400, "invalid_target" }, status: 403, cause: ErrExchangeRefused},
		{name: "access_denied", set: func(ts *tokenServer) { ts.status, ts.errCode = 403, "access_denied" }, status: 403, cause: ErrExchangeRefused},
		{name: "gateway not allowed to exchange", set: func(ts *tokenServer) { ts.status, ts.errCode = 400, "unauthorized_client" }, status: 503, cause: ErrClientRefused},
		{name: "wrong client secret", opts: func(o *ExchangeOptions) { o.ClientSecret = "wrong" }, status: 503, cause: ErrClientRefused},
		{name: "token server error", set: func(ts *tokenServer) { ts.status = 500 }, status: 503, cause: ErrUnavailable},
		{name: "token server busy", set: func(ts *tokenServer) { ts.status = 429 }, status: 503, cause: ErrUnavailable},
		{name: "token server down", opts: func(o *ExchangeOptions) { o.TokenURL = "http://127.0.0.1:1/token" }, status: 503, cause: ErrUnavailable},
		{name: "token_type N_A", set: func(ts *tokenServer) { ts.tokType = "N_A" }, status: 503, cause: ErrResponse},
		{name: "token_type DPoP", set: func(ts *tokenServer) { ts.tokType = "DPoP" }, status: 503, cause: ErrResponse},
		{name: "expires_in negative", set: func(ts *tokenServer) { ts.expires = -5 }, status: 503, cause: ErrResponse},
		{name: "expires_in a string of no digits", set: func(ts *tokenServer) { ts.expires = "soon" }, status: 503, cause: ErrResponse},
		{name: "expires_in a fraction", set: func(ts *tokenServer) { ts.expires = 3600.5 }, status: 503, cause: ErrResponse},
		{name: "invalid_request: maybe the gateway's own request", set: func(ts *tokenServer) { ts.status, ts.errCode = 400, "invalid_request" }, status: 503, cause: ErrClientRefused},
		{name: "expires_in with a sign", set: func(ts *tokenServer) { ts.expires = "+3600" }, status: 503, cause: ErrResponse},
		{name: "expires_in with a space", set: func(ts *tokenServer) { ts.expires = " 3600" }, status: 503, cause: ErrResponse},
		{name: "subject token refused: invalid_token", set: func(ts *tokenServer) { ts.status, ts.errCode = 400, "invalid_token" }, status: 403, cause: ErrExchangeRefused},
		{name: "gateway's client refused with 401 whatever the code", set: func(ts *tokenServer) { ts.status, ts.errCode = 401, "invalid_request" }, status: 503, cause: ErrClientRefused},
		{name: "no verified token (NewFunc in front)", ctx: func(*testing.T) context.Context {
			return authresult.NewContext(context.Background(), alice)
		}, status: 500, cause: ErrNoSubjectToken, noRetry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t)
			if tt.set != nil {
				ts.set(tt.set)
			}
			src, _ := newExchange(t, ts, tt.opts)
			ctx := verifiedCtx(t, alice, "alice-inbound-token")
			if tt.ctx != nil {
				ctx = tt.ctx(t)
			}
			h, err := src.Headers(ctx, alice)
			require.Error(t, err)
			assert.Nil(t, h)
			e := authresult.As(err)
			assert.Equal(t, tt.status, e.Status())
			assert.ErrorIs(t, err, tt.cause)
			if tt.status == 503 {
				assert.Equal(t, DefaultRetryAfter, e.RetryAfter)
			}
			for _, secret := range []string{"alice-inbound-token", clientSecret} {
				assert.NotContains(t, err.Error(), secret)
				assert.NotContains(t, e.ClientMessage(), secret)
			}
		})
	}
}

// Some token servers send expires_in as a string of digits: honoured.
func TestTokenExchangeExpiresInAsString(t *testing.T) {
	ts := newTokenServer(t)
	ts.set(func(ts *tokenServer) { ts.expires = "3600" })
	src, clk := newExchange(t, ts, nil)
	ctx := verifiedCtx(t, alice, "alice-1")
	for range 2 {
		h, err := src.Headers(ctx, alice)
		require.NoError(t, err)
		assert.Equal(t, "Bearer "+exchanged("alice-1", upstreamResource), h.Get("Authorization"))
	}
	assert.EqualValues(t, 1, ts.calls.Load(), "cached")
	clk.advance(time.Hour)
	_, err := src.Headers(verifiedCtx(t, alice, "alice-1"), alice)
	require.NoError(t, err)
	assert.EqualValues(t, 2, ts.calls.Load(), "renewed after expires_in")
}

// A token server (or an upstream's metadata) that never answers, through
// an HTTPClient without a timeout, holds no exchange for good: each one
// ends after maxExchangeTime, each caller waits only as long as its own
// request, and the next exchange is tried afresh.
func TestTokenExchangeNeverHangs(t *testing.T) {
	defer func(d time.Duration) { maxExchangeTime = d }(maxExchangeTime)
	maxExchangeTime = 300 * time.Millisecond
	release := make(chan struct{})
	var hung atomic.Int32
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hung.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer func() { close(release); stuck.Close() }()
	up, err := url.Parse(stuck.URL + "/mcp")
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		opts ExchangeOptions
	}{
		{"token server", ExchangeOptions{TokenURL: stuck.URL + "/token", ClientID: "gw", ClientSecret: clientSecret, Resource: upstreamResource, HTTPClient: &http.Client{}}},
		{"resource discovery", ExchangeOptions{TokenURL: stuck.URL + "/token", ClientID: "gw", ClientSecret: clientSecret, Upstream: up, HTTPClient: &http.Client{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := TokenExchange(&tc.opts)
			require.NoError(t, err)
			// A caller that gives up first gets 503 at once.
			ctx, cancel := context.WithTimeout(verifiedCtx(t, alice, "alice-1"), 50*time.Millisecond)
			defer cancel()
			t0 := time.Now()
			_, err = src.Headers(ctx, alice)
			assert.Equal(t, 503, authresult.As(err).Status())
			assert.Less(t, time.Since(t0), 250*time.Millisecond)
			// Another principal is not queued behind it for good either.
			t0 = time.Now()
			_, err = src.Headers(verifiedCtx(t, bob, "bob-1"), bob)
			assert.Equal(t, 503, authresult.As(err).Status())
			assert.ErrorIs(t, err, ErrUnavailable)
			assert.Less(t, time.Since(t0), 2*time.Second, "bounded by maxExchangeTime")
			// The stuck exchange ended: the next one is a new attempt.
			before := hung.Load()
			_, err = src.Headers(verifiedCtx(t, alice, "alice-1"), alice)
			assert.Equal(t, 503, authresult.As(err).Status())
			assert.Greater(t, hung.Load(), before, "tried afresh")
		})
	}
}

func TestTokenExchangeDiscoversTheUpstreamResource(t *testing.T) {
	var metadata string
	var metadataStatus = http.StatusOK
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/oauth-protected-resource/tools/mcp" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(metadataStatus)
		_, _ = w.Write([]byte(metadata))
	}))
	t.Cleanup(upstream.Close)
	up, err := url.Parse(upstream.URL + "/tools/mcp")
	require.NoError(t, err)

	tests := []struct {
		name     string
		status   int
		metadata string
		resource string // sent to the token endpoint
		fails    error
	}{
		{name: "metadata names the upstream", status: 200, metadata: `{"resource":"` + up.String() + `"}`, resource: up.String()},
		{name: "no metadata: the URL is the resource", status: 404, resource: up.String()},
		{name: "a server that answers 400 to unknown paths has none", status: 400, resource: up.String()},
		{name: "metadata names another resource", status: 200, metadata: `{"resource":"https://elsewhere.example/mcp"}`, fails: ErrResourceMismatch},
		{name: "metadata not JSON", status: 200, metadata: `<html>`, fails: ErrUnavailable},
		{name: "metadata server error", status: 502, fails: ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			metadata, metadataStatus = tt.metadata, tt.status
			ts := newTokenServer(t)
			src, _ := newExchange(t, ts, func(o *ExchangeOptions) { o.Resource, o.Upstream = "", up })
			_, err := src.Headers(verifiedCtx(t, alice, "alice-1"), alice)
			if tt.fails != nil {
				require.ErrorIs(t, err, tt.fails)
				assert.Equal(t, 503, authresult.As(err).Status())
				assert.EqualValues(t, 0, ts.calls.Load(), "no exchange for an unknown audience")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.resource, ts.lastForm()["resource"])
		})
	}
}

func TestTokenExchangeValidation(t *testing.T) {
	ok := ExchangeOptions{TokenURL: "https://as.example/token", ClientID: "gw", Resource: upstreamResource}
	tests := []struct {
		name string
		mod  func(*ExchangeOptions)
		want string
	}{
		{name: "plain http token endpoint", mod: func(o *ExchangeOptions) { o.TokenURL = "http://as.example/token" }, want: "TokenURL"},
		{name: "user info in token endpoint", mod: func(o *ExchangeOptions) { o.TokenURL = "https://u:p@as.example/token" }, want: "TokenURL"},
		{name: "no client", mod: func(o *ExchangeOptions) { o.ClientID = "" }, want: "ClientID"},
		{name: "no audience at all", mod: func(o *ExchangeOptions) { o.Resource = "" }, want: "Resource"},
		{name: "relative resource", mod: func(o *ExchangeOptions) { o.Resource = "/mcp" }, want: "Resource"},
		{name: "negative TTL", mod: func(o *ExchangeOptions) { o.TTL = -1 }, want: "negative"},
		{name: "upstream not http", mod: func(o *ExchangeOptions) { o.Resource = ""; o.Upstream = &url.URL{Scheme: "file", Path: "/x"} }, want: "Upstream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.mod(&o)
			_, err := TokenExchange(&o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := TokenExchange(nil)
	require.Error(t, err)
	_, err = TokenExchange(&ok)
	require.NoError(t, err)
}

func TestTokenExchangeCacheIsBounded(t *testing.T) {
	ts := newTokenServer(t)
	src, _ := newExchange(t, ts, func(o *ExchangeOptions) { o.MaxEntries = 4 })
	for i := range 20 {
		p := &authresult.Principal{Subject: "user" + strings.Repeat("x", i), Issuer: "https://idp.example"}
		_, err := src.Headers(verifiedCtx(t, p, "tok"), p)
		require.NoError(t, err)
	}
	ex := src.(*exchanger)
	ex.mu.Lock()
	defer ex.mu.Unlock()
	assert.Len(t, ex.entries, 4)
}
