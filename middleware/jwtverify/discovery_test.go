package jwtverify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
)

// metadataServer is an authorization server that publishes its metadata
// (naming itself, or issuer when set) and its keys.
type metadataServer struct {
	*httptest.Server
	mu       sync.Mutex
	issuer   string // "" means the server's own URL
	down     bool
	metaHits atomic.Int32
	keys     *keyServer
}

func newMetadataServer(t *testing.T, keys *keyServer) *metadataServer {
	m := &metadataServer{keys: keys}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		iss, down := m.issuer, m.down
		m.mu.Unlock()
		if iss == "" {
			iss = m.URL
		}
		switch {
		case down:
			http.Error(w, "down", http.StatusBadGateway)
		case r.URL.Path == "/.well-known/oauth-authorization-server":
			m.metaHits.Add(1)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(mustJSON(t, map[string]any{"issuer": iss, "jwks_uri": keys.URL + "/jwks"})))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *metadataServer) set(issuer string, down bool) {
	m.mu.Lock()
	m.issuer, m.down = issuer, down
	m.mu.Unlock()
}

// TestJWKSDiscovery: given only the issuer, the keys come from the
// jwks_uri of its metadata; a document naming another issuer, or a
// metadata server that is down, is an outage (503), never a key source.
func TestJWKSDiscovery(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "RS256", "sig"))
	md := newMetadataServer(t, ks)
	verifier := func(t *testing.T) *Verifier {
		opts := baseOptions(c)
		opts.Issuers = []string{md.URL}
		opts.Algorithms = []string{"RS256"}
		opts.JWKS = []JWKSSource{{Issuer: md.URL}}
		return newVerifier(t, opts)
	}
	tok := sign(t, jwt.SigningMethodRS256, rsaKey, "a", claims(set("iss", md.URL)), nil)

	v := verifier(t)
	p, err := v.VerifyToken(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, md.URL, p.Issuer)
	assert.EqualValues(t, 1, md.metaHits.Load())
	assert.EqualValues(t, 1, ks.hits.Load())

	// The keys are bound to the discovered issuer.
	other := sign(t, jwt.SigningMethodRS256, rsaKey, "a", claims(), nil)
	_, err = v.VerifyToken(context.Background(), other)
	assert.ErrorIs(t, err, ErrIssuer)

	for name, set := range map[string]func(){
		"mix-up":        func() { md.set("https://evil.example", false) },
		"metadata down": func() { md.set("", true) },
	} {
		t.Run(name, func(t *testing.T) {
			set()
			defer md.set("", false)
			_, err := verifier(t).VerifyToken(context.Background(), tok)
			e := requireKind(t, err, authresult.KindUnavailable)
			assert.ErrorIs(t, e, ErrKeysUnavailable)
		})
	}

	// Refreshes read the metadata again.
	n := md.metaHits.Load()
	require.Eventually(t, func() bool {
		c.Advance(11 * time.Minute)
		return md.metaHits.Load() > n
	}, 5*time.Second, 10*time.Millisecond)

	for _, bad := range []string{"", "https://idp.example/{tid}", "http://idp.example"} {
		opts := baseOptions(c)
		opts.Issuers = []string{"https://idp.example", "https://idp.example/{tid}", "http://idp.example"}
		opts.Algorithms = []string{"RS256"}
		opts.JWKS = []JWKSSource{{Issuer: bad}}
		_, err := New(&opts)
		assert.Error(t, err, "discovery from %q", bad)
	}
}
