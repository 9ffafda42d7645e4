package jwtverify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jwksVerifier returns a verifier for ks with RS256 and ES256 and a
// one-minute unknown-kid interval on the clock c.
func jwksVerifier(t *testing.T, c *clock, ks *keyServer, edit ...func(*Options)) *Verifier {
	t.Helper()
	opts := baseOptions(c)
	opts.Algorithms = []string{"RS256", "ES256"}
	opts.JWKS = []JWKSSource{{URL: ks.URL}}
	opts.JWKSFetch = JWKSOptions{Timeout: 2 * time.Second, UnknownKIDInterval: time.Minute, RetryAfter: 7 * time.Second}
	for _, e := range edit {
		e(&opts)
	}
	return newVerifier(t, opts)
}

func rsTok(t *testing.T, kid string) string {
	return sign(t, jwt.SigningMethodRS256, rsaKey, kid, claims(), nil)
}

func rs2Tok(t *testing.T, kid string) string {
	return sign(t, jwt.SigningMethodRS256, rsaKey2, kid, claims(), nil)
}

func requireKind(t *testing.T, err error, kind authresult.Kind) *authresult.Error {
	t.Helper()
	require.Error(t, err)
	e, ok := err.(*authresult.Error)
	require.True(t, ok, "%T", err)
	require.Equal(t, kind, e.Kind, "%v", err)
	return e
}

func TestJWKSRotation(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "RS256", "sig"))
	v := jwksVerifier(t, c, ks)
	ctx := context.Background()

	_, err := v.VerifyToken(ctx, rsTok(t, "a"))
	require.NoError(t, err)
	require.EqualValues(t, 1, ks.hits.Load())

	// The provider publishes key b and signs with it; the first token
	// with kid b comes within the rate limit of the initial fetch: no
	// fetch, and not 401 (the client would drop a valid token) but 503
	// until the refetch is allowed.
	ks.setKeys(t, jwk(t, &rsaKey.PublicKey, "a", "RS256", "sig"), jwk(t, &rsaKey2.PublicKey, "b", "RS256", "sig"))
	c.Advance(30 * time.Second)
	fresh := func() string {
		return sign(t, jwt.SigningMethodRS256, rsaKey2, "b", claims(set("iat", c.Now().Unix())), nil)
	}
	_, err = v.VerifyToken(ctx, fresh())
	e := requireKind(t, err, authresult.KindUnavailable)
	assert.ErrorIs(t, e, ErrKeysUnavailable)
	assert.Equal(t, 30*time.Second, e.RetryAfter, "come back when the refetch is allowed")
	assert.EqualValues(t, 1, ks.hits.Load(), "rate-limited")

	// Once the interval has passed, the unknown kid triggers one refetch
	// and the token is accepted.
	c.Advance(31 * time.Second)
	_, err = v.VerifyToken(ctx, fresh())
	require.NoError(t, err)
	assert.EqualValues(t, 2, ks.hits.Load())

	// Tokens made before that fetch with kids it does not have are
	// refused (401), and cause no fetch within the rate limit.
	for _, kid := range []string{"x", "y", "z"} {
		_, err = v.VerifyToken(ctx, rs2Tok(t, kid))
		assert.ErrorIs(t, requireKind(t, err, authresult.KindUnauthenticated), ErrUnknownKey)
	}
	assert.EqualValues(t, 2, ks.hits.Load())
}

func TestJWKSRemoval(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "", ""), jwk(t, &rsaKey2.PublicKey, "b", "", ""))
	v := jwksVerifier(t, c, ks)
	ctx := context.Background()
	ta, tb := rsTok(t, "a"), rs2Tok(t, "b")
	for _, tok := range []string{ta, tb} {
		_, err := v.VerifyToken(ctx, tok)
		require.NoError(t, err)
	}
	require.Equal(t, 2, v.cache.len())

	ks.setKeys(t, jwk(t, &rsaKey2.PublicKey, "b", "", ""))
	c.Advance(2 * time.Minute) // a refresh well after the tokens were made
	require.NoError(t, v.sources[0].fetch(ctx))

	_, err := v.VerifyToken(ctx, ta)
	assert.ErrorIs(t, requireKind(t, err, authresult.KindUnauthenticated), ErrUnknownKey, "a removed key stops validating, cached or not")
	_, err = v.VerifyToken(ctx, tb)
	assert.NoError(t, err, "kept keys keep working")
	assert.Equal(t, 1, v.cache.len(), "entries of the removed key are dropped")

	// A key whose material changes under the same kid is a removal too.
	ks.setKeys(t, jwk(t, &rsaKey.PublicKey, "b", "", ""))
	require.NoError(t, v.sources[0].fetch(ctx))
	_, err = v.VerifyToken(ctx, tb)
	assert.ErrorIs(t, err, ErrSignature)
}

func TestJWKSFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(ks *keyServer)
		opts  func(*Options)
	}{
		{"5xx", func(ks *keyServer) { ks.setBody(http.StatusInternalServerError, "oops") }, nil},
		{"404", func(ks *keyServer) { ks.setBody(http.StatusNotFound, "") }, nil},
		{"malformed JSON", func(ks *keyServer) { ks.setBody(http.StatusOK, `{"keys":[`) }, nil},
		{"not a JWK Set", func(ks *keyServer) { ks.setBody(http.StatusOK, `{"kty":"RSA"}`) }, nil},
		{"HTML", func(ks *keyServer) { ks.setBody(http.StatusOK, `<html>login</html>`) }, nil},
		{"oversized body", func(ks *keyServer) {
			ks.setBody(http.StatusOK, `{"keys":[],"pad":"`+strings.Repeat("x", 4096)+`"}`)
		}, func(o *Options) { o.JWKSFetch.MaxResponseSize = 1024 }},
		{"slow server", func(ks *keyServer) { ks.block = make(chan struct{}) }, func(o *Options) { o.JWKSFetch.Timeout = 100 * time.Millisecond }},
		{"server gone", func(ks *keyServer) { ks.Close() }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "", ""))
			tt.setup(ks)
			if ks.block != nil {
				t.Cleanup(func() { close(ks.block) }) // runs before ks.Close
			}
			edits := []func(*Options){}
			if tt.opts != nil {
				edits = append(edits, tt.opts)
			}
			start := time.Now()
			v := jwksVerifier(t, c, ks, edits...)
			_, err := v.VerifyToken(context.Background(), rsTok(t, "a"))
			e := requireKind(t, err, authresult.KindUnavailable)
			assert.Equal(t, 503, e.Status())
			assert.Equal(t, authresult.CodeTemporarilyUnavailable, e.Code)
			assert.Equal(t, 7*time.Second, e.RetryAfter)
			assert.Equal(t, descUnavailable, e.Description)
			assert.ErrorIs(t, err, ErrKeysUnavailable)
			assert.Less(t, time.Since(start), 2*time.Second)
		})
	}
}

func TestJWKSOutageDuringRefresh(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "", ""))
	v := jwksVerifier(t, c, ks, func(o *Options) { o.Cache.Disabled = true })
	ctx := context.Background()
	_, err := v.VerifyToken(ctx, rsTok(t, "a"))
	require.NoError(t, err)

	ks.setBody(http.StatusBadGateway, "")
	require.Error(t, v.sources[0].fetch(ctx))
	_, err = v.VerifyToken(ctx, rsTok(t, "a"))
	assert.NoError(t, err, "stale keys keep working while the server is down")

	ks.setBody(http.StatusOK, `{"keys":[`)
	require.Error(t, v.sources[0].fetch(ctx))
	_, err = v.VerifyToken(ctx, rsTok(t, "a"))
	assert.NoError(t, err, "a malformed refresh keeps the last good set")

	// An unknown kid during the outage: the refetch fails, so 503.
	c.Advance(2 * time.Minute)
	hits := ks.hits.Load()
	_, err = v.VerifyToken(ctx, rs2Tok(t, "new"))
	requireKind(t, err, authresult.KindUnavailable)
	assert.Equal(t, hits+1, ks.hits.Load())
	// Still 503 while rate-limited, since the last fetch failed.
	_, err = v.VerifyToken(ctx, rs2Tok(t, "new"))
	requireKind(t, err, authresult.KindUnavailable)
	assert.Equal(t, hits+1, ks.hits.Load())

	// Recovery: the server comes back and the next due refetch finds it.
	ks.setKeys(t, jwk(t, &rsaKey.PublicKey, "a", "", ""), jwk(t, &rsaKey2.PublicKey, "new", "", ""))
	c.Advance(2 * time.Minute)
	_, err = v.VerifyToken(ctx, rs2Tok(t, "new"))
	assert.NoError(t, err)
}

func TestJWKSKeyFiltering(t *testing.T) {
	oct := map[string]any{"kty": "oct", "kid": "hs", "k": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}
	encKey := jwk(t, &rsaKey.PublicKey, "enc", "", "enc")
	opsKey := jwk(t, &rsaKey.PublicKey, "ops", "", "")
	opsKey["key_ops"] = []string{"encrypt"}
	ks := newKeyServer(t,
		jwk(t, &rsaKey.PublicKey, "rs384", "RS384", "sig"),
		jwk(t, &rsaKey.PublicKey, "ps256", "PS256", "sig"),
		encKey, opsKey, oct,
		map[string]any{"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
		jwk(t, &rsaKey.PublicKey, "", "", ""),
		jwk(t, &rsaKey.PublicKey, "good", "RS256", "sig"),
	)
	c := newClock()
	v := jwksVerifier(t, c, ks, func(o *Options) {
		o.Algorithms = []string{"RS256", "HS256"}
		o.Keys = []Key{{ID: "x", Secret: hmacSecret}}
	})
	ctx := context.Background()

	_, err := v.VerifyToken(ctx, rsTok(t, "good"))
	require.NoError(t, err, "bad neighbours do not spoil the set")
	c.Advance(2 * time.Minute) // the next unknown kid refetches, after the tokens were made
	for _, kid := range []string{"rs384", "ps256", "enc", "ops", "broken"} {
		_, err := v.VerifyToken(ctx, rsTok(t, kid))
		assert.ErrorIs(t, requireKind(t, err, authresult.KindUnauthenticated), ErrUnknownKey, kid)
	}
	// A symmetric key published in a JWKS is never used for HS256.
	_, err = v.VerifyToken(ctx, sign(t, jwt.SigningMethodHS256, hmacSecret, "hs", claims(), nil))
	assert.ErrorIs(t, err, ErrUnknownKey)
}

func TestJWKSAlgMismatchForKnownKid(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "RS256", "sig"))
	v := jwksVerifier(t, c, ks, func(o *Options) { o.Algorithms = []string{"RS256", "PS256"} })
	_, err := v.VerifyToken(context.Background(), sign(t, jwt.SigningMethodPS256, rsaKey, "a", claims(), nil))
	assert.ErrorIs(t, requireKind(t, err, authresult.KindUnauthenticated), ErrAlgorithm, "the JWK's alg is respected")
	assert.EqualValues(t, 1, ks.hits.Load(), "a known kid with the wrong alg causes no refetch")
}

func TestJWKSIssuerBinding(t *testing.T) {
	c := newClock()
	ksA := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "", ""))
	ksB := newKeyServer(t, jwk(t, &rsaKey2.PublicKey, "b", "", ""))
	v := jwksVerifier(t, c, ksA, func(o *Options) {
		o.Issuers = []string{testIss, "https://b.example"}
		o.JWKS = []JWKSSource{{URL: ksA.URL, Issuer: testIss}, {URL: ksB.URL, Issuer: "https://b.example"}}
	})
	ctx := context.Background()
	_, err := v.VerifyToken(ctx, rsTok(t, "a"))
	require.NoError(t, err)
	_, err = v.VerifyToken(ctx, sign(t, jwt.SigningMethodRS256, rsaKey2, "b", claims(set("iss", "https://b.example")), nil))
	require.NoError(t, err)
	_, err = v.VerifyToken(ctx, rs2Tok(t, "b"))
	assert.ErrorIs(t, err, ErrIssuer, "issuer b's key cannot sign for testIss")
}

func TestJWKSOneFetchAtATime(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "", ""))
	v := jwksVerifier(t, c, ks)
	ctx := context.Background()
	_, err := v.VerifyToken(ctx, rsTok(t, "a"))
	require.NoError(t, err)

	ks.setKeys(t, jwk(t, &rsaKey.PublicKey, "a", "", ""), jwk(t, &rsaKey2.PublicKey, "b", "", ""))
	block := make(chan struct{})
	ks.mu.Lock()
	ks.block = block
	ks.mu.Unlock()
	c.Advance(2 * time.Minute)

	// A refresh is in flight (held by the server); unknown-kid refetches
	// from 20 requests join it instead of starting their own. Requests
	// that arrive after it finished find the new key without fetching.
	src := v.sources[0]
	go func() { _ = src.fetch(ctx) }()
	require.Eventually(t, func() bool { return ks.hits.Load() == 2 }, 5*time.Second, time.Millisecond)
	src.mu.Lock()
	inFlight := src.call
	src.mu.Unlock()
	require.NotNil(t, inFlight)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = v.VerifyToken(ctx, rs2Tok(t, "b"))
		})
	}
	require.Eventually(t, func() bool { return inFlight.waiters.Load() == 21 }, 5*time.Second, time.Millisecond,
		"the 20 requests and the refresh all wait for the one fetch")
	close(block)
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	assert.EqualValues(t, 2, ks.hits.Load())
}

func TestJWKSContextCancelled(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "", ""))
	block := make(chan struct{})
	ks.block = block
	t.Cleanup(func() { close(block) })
	v := jwksVerifier(t, c, ks)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.VerifyToken(ctx, rsTok(t, "a"))
	requireKind(t, err, authresult.KindUnavailable)
}

func TestJWKSBackgroundRefresh(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "", ""))
	v := jwksVerifier(t, c, ks, func(o *Options) {
		o.JWKSFetch.RefreshInterval = 10 * time.Minute
		o.JWKSFetch.MinRefreshInterval = time.Minute
	})
	waitTimer := func() { require.Eventually(t, func() bool { return c.Timers() == 1 }, 5*time.Second, time.Millisecond) }
	waitTimer()
	require.EqualValues(t, 1, ks.hits.Load(), "the first fetch, at once")
	c.Advance(9 * time.Minute)
	assert.EqualValues(t, 1, ks.hits.Load(), "not before the interval")
	c.Advance(time.Minute)
	require.Eventually(t, func() bool { return ks.hits.Load() == 2 }, 5*time.Second, time.Millisecond, "a refresh after RefreshInterval")
	waitTimer()

	ks.mu.Lock()
	ks.header = http.Header{"Cache-Control": {"max-age=120"}}
	ks.mu.Unlock()
	c.Advance(10 * time.Minute)
	require.Eventually(t, func() bool { return ks.hits.Load() == 3 }, 5*time.Second, time.Millisecond)
	waitTimer()
	c.Advance(2 * time.Minute)
	require.Eventually(t, func() bool { return ks.hits.Load() == 4 }, 5*time.Second, time.Millisecond, "max-age decides the next refresh")
	waitTimer()

	require.NoError(t, v.Close())
	c.Advance(time.Hour)
	assert.EqualValues(t, 4, ks.hits.Load(), "no fetch after Close")
	require.NoError(t, v.Close(), "Close is idempotent")
}

func TestRefreshAfter(t *testing.T) {
	s := &jwksSource{cfg: JWKSOptions{RefreshInterval: 10 * time.Minute, MinRefreshInterval: time.Minute, MaxRefreshInterval: time.Hour}}
	tests := []struct {
		cc   string
		want time.Duration
	}{
		{"", 10 * time.Minute},
		{"max-age=300", 5 * time.Minute},
		{"public, max-age=300, must-revalidate", 5 * time.Minute},
		{"MAX-AGE=120", 2 * time.Minute},
		{"max-age=5", time.Minute},
		{"max-age=999999999999", time.Hour},
		{"max-age=-1", 10 * time.Minute},
		{"max-age=abc", 10 * time.Minute},
		{"no-store", time.Minute},
		{"no-cache, max-age=600", time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.cc, func(t *testing.T) {
			h := http.Header{}
			if tt.cc != "" {
				h.Set("Cache-Control", tt.cc)
			}
			assert.Equal(t, tt.want, s.refreshAfter(h))
		})
	}
}

func TestJWKSCacheControlSchedulesRefresh(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "", ""))
	ks.header = http.Header{"Cache-Control": {"max-age=120"}}
	v := jwksVerifier(t, c, ks)
	_, err := v.VerifyToken(context.Background(), rsTok(t, "a"))
	require.NoError(t, err)
	v.sources[0].mu.Lock()
	defer v.sources[0].mu.Unlock()
	assert.Equal(t, 2*time.Minute, v.sources[0].ttl)
}

// TestJWKSRedirects: a JWKS URL that redirects to another origin does not
// get to choose the keys (its key never validates a token; the verifier
// answers 503 as for an outage), while a redirect within the origin is
// followed.
func TestJWKSRedirects(t *testing.T) {
	evil := newKeyServer(t, jwk(t, &rsaKey2.PublicKey, "k", "RS256", "sig"))
	same := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "k", "RS256", "sig"))
	redirect := func(to func(r *http.Request) string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/keys" {
				same.Config.Handler.ServeHTTP(w, r)
				return
			}
			http.Redirect(w, r, to(r), http.StatusFound)
		}))
		t.Cleanup(s.Close)
		return s
	}
	cross := redirect(func(*http.Request) string { return evil.URL })
	within := redirect(func(*http.Request) string { return "/keys" })
	for _, tc := range []struct {
		name  string
		url   string
		token string
		ok    bool
	}{
		{"cross-origin redirect", cross.URL + "/jwks", rs2Tok(t, "k"), false},
		{"same-origin redirect", within.URL + "/jwks", rsTok(t, "k"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			v := newVerifier(t, func() Options {
				o := baseOptions(c)
				o.Algorithms = []string{"RS256"}
				o.JWKS = []JWKSSource{{URL: tc.url}}
				return o
			}())
			_, err := v.VerifyToken(context.Background(), tc.token)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			requireKind(t, err, authresult.KindUnavailable)
		})
	}
	assert.Zero(t, evil.hits.Load(), "the other origin was never asked for keys")
}

// TestJWKSRotationFlood: tokens with random kids, claiming to be fresh,
// arrive all the time; they get 503 (never accepted) and the key server
// sees at most one fetch per UnknownKIDInterval. A token signed with a
// key the provider really published meanwhile is accepted at the first
// allowed refetch.
func TestJWKSRotationFlood(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "RS256", "sig"))
	v := jwksVerifier(t, c, ks)
	ctx := context.Background()
	_, err := v.VerifyToken(ctx, rsTok(t, "a"))
	require.NoError(t, err)

	var wg sync.WaitGroup
	for minute := range 3 {
		for i := range 200 {
			wg.Go(func() {
				kid := "r" + strconv.Itoa(minute) + "-" + strconv.Itoa(i)
				tok := sign(t, jwt.SigningMethodRS256, rsaKey2, kid, claims(set("iat", c.Now().Unix())), nil)
				_, err := v.VerifyToken(ctx, tok)
				e := requireKind(t, err, authresult.KindUnavailable)
				assert.GreaterOrEqual(t, e.RetryAfter, time.Second)
			})
			if i == 100 {
				wg.Wait()
				c.Advance(10 * time.Second)
			}
		}
		wg.Wait()
		assert.LessOrEqual(t, int(ks.hits.Load()), 1+minute+1, "at most one fetch per interval")
		c.Advance(time.Minute)
	}
	without := sign(t, jwt.SigningMethodRS256, rsaKey2, "noiat", claims(del("iat")), nil)
	_, err = v.VerifyToken(ctx, without)
	assert.Error(t, err, "a token without iat is never accepted by an unknown key")

	// The provider publishes b and signs with it: accepted at the next
	// allowed refetch.
	ks.setKeys(t, jwk(t, &rsaKey.PublicKey, "a", "RS256", "sig"), jwk(t, &rsaKey2.PublicKey, "b", "RS256", "sig"))
	c.Advance(time.Minute)
	_, err = v.VerifyToken(ctx, sign(t, jwt.SigningMethodRS256, rsaKey2, "b", claims(set("iat", c.Now().Unix())), nil))
	assert.NoError(t, err)
}

// TestJWKSUnknownKidOfRefusedIssuer: a fresh token with an unknown kid
// from an issuer that is not accepted is refused at once (401), without
// a fetch and without the 503 a key rotation would get.
func TestJWKSUnknownKidOfRefusedIssuer(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "RS256", "sig"))
	v := jwksVerifier(t, c, ks)
	_, err := v.VerifyToken(context.Background(), rsTok(t, "a"))
	require.NoError(t, err)
	tok := sign(t, jwt.SigningMethodRS256, rsaKey2, "new", claims(set("iss", "https://evil.example"), set("iat", c.Now().Unix())), nil)
	_, err = v.VerifyToken(context.Background(), tok)
	assert.ErrorIs(t, requireKind(t, err, authresult.KindUnauthenticated), ErrUnknownKey)
	assert.EqualValues(t, 1, ks.hits.Load())
}
