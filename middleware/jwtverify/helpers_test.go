package jwtverify

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

const (
	testIss = "https://idp.example"
	testAud = "https://mcp.example/mcp"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Unix(1_800_000_000, 0).UTC()

var hmacSecret = []byte("0123456789abcdef0123456789abcdef")

// Test keys, generated once.
var (
	rsaKey  = mustRSA()
	rsaKey2 = mustRSA()
	ecKey   = mustEC()
	edPriv  = ed25519.NewKeyFromSeed([]byte("mcpauth jwtverify test key 0001!"))
	edPub   = edPriv.Public().(ed25519.PublicKey)
)

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func mustEC() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func pemOf(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// clock is an injectable, advanceable clock.
// clock is the tests' clock: Now and the timers of background refreshes
// (Options.after) move only with Advance.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []clockTimer
}

type clockTimer struct {
	at time.Time
	c  chan time.Time
}

// After returns a channel that receives once Advance has moved the clock
// d past now.
func (c *clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := clockTimer{c.now.Add(d), make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
		return t.c
	}
	c.timers = append(c.timers, t)
	return t.c
}

// Timers returns how many timers wait on the clock.
func (c *clock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	waiting := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			waiting = append(waiting, t)
			continue
		}
		t.c <- c.now
	}
	c.timers = waiting
}

// claims returns a valid claims set, changed by the given edits.
func claims(edits ...func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss":       testIss,
		"sub":       "alice",
		"aud":       testAud,
		"exp":       t0.Add(time.Hour).Unix(),
		"iat":       t0.Unix(),
		"scope":     "read write",
		"client_id": "app",
	}
	for _, e := range edits {
		e(c)
	}
	return c
}

func set(k string, v any) func(jwt.MapClaims) { return func(c jwt.MapClaims) { c[k] = v } }
func del(k string) func(jwt.MapClaims)        { return func(c jwt.MapClaims) { delete(c, k) } }

// sign signs c with method and key, adding kid and extra header fields.
func sign(t testing.TB, method jwt.SigningMethod, key any, kid string, c jwt.Claims, hdr map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	for k, v := range hdr {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// seg base64url-encodes s without padding.
func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// hsRaw builds an HS256 token from raw header and payload JSON, signed
// with secret.
func hsRaw(t testing.TB, header, payload string, secret []byte) string {
	t.Helper()
	in := seg(header) + "." + seg(payload)
	sig, err := jwt.SigningMethodHS256.Sign(in, secret)
	require.NoError(t, err)
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// jwk returns the public JWK JSON object of key.
func jwk(t testing.TB, pub any, kid, alg, use string) map[string]any {
	t.Helper()
	j, err := jwkset.NewJWKFromKey(pub, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
		KID: kid, ALG: jwkset.ALG(alg), USE: jwkset.USE(use),
	}})
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustJSON(t, j.Marshal())), &m))
	return m
}

// keyServer is a fake JWKS endpoint whose answer tests change.
type keyServer struct {
	*httptest.Server
	hits atomic.Int32

	mu     sync.Mutex
	status int
	body   string
	header http.Header
	block  chan struct{} // when non-nil, requests wait for it to close
}

func newKeyServer(t *testing.T, keys ...map[string]any) *keyServer {
	t.Helper()
	ks := &keyServer{status: http.StatusOK}
	ks.setKeys(t, keys...)
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.hits.Add(1)
		ks.mu.Lock()
		status, body, header, block := ks.status, ks.body, ks.header, ks.block
		ks.mu.Unlock()
		if block != nil {
			select {
			case <-block:
			case <-r.Context().Done():
				return
			}
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ks.Close)
	return ks
}

func (ks *keyServer) setKeys(t testing.TB, keys ...map[string]any) {
	if keys == nil {
		keys = []map[string]any{}
	}
	ks.setBody(http.StatusOK, mustJSON(t, map[string]any{"keys": keys}))
}

func (ks *keyServer) setBody(status int, body string) {
	ks.mu.Lock()
	ks.status, ks.body = status, body
	ks.mu.Unlock()
}

// baseOptions returns options for a verifier of testIss/testAud at t0.
func baseOptions(c *clock) Options {
	return Options{
		Issuers:   []string{testIss},
		Audiences: []string{testAud},
		Now:       c.Now,
		after:     c.After,
	}
}

func newVerifier(t testing.TB, opts Options) *Verifier {
	t.Helper()
	v, err := New(&opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	return v
}
