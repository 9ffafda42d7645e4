package jwtverify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewRefusesUnsafeConfig(t *testing.T) {
	weakRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	ok := func(o *Options) {}
	tests := []struct {
		name string
		edit func(*Options)
		good bool
	}{
		{"valid", ok, true},
		{"no algorithms", func(o *Options) { o.Algorithms = nil }, false},
		{"none", func(o *Options) { o.Algorithms = []string{"RS256", "none"} }, false},
		{"NONE", func(o *Options) { o.Algorithms = []string{"NONE"} }, false},
		{"unknown algorithm", func(o *Options) { o.Algorithms = []string{"RS1"} }, false},
		{"lower-case algorithm", func(o *Options) { o.Algorithms = []string{"rs256"} }, false},
		{"no issuers", func(o *Options) { o.Issuers = nil }, false},
		{"empty issuer", func(o *Options) { o.Issuers = []string{""} }, false},
		{"no audience", func(o *Options) { o.Audiences = nil }, false},
		{"audience opt-out", func(o *Options) { o.Audiences = nil; o.AnyAudience = true }, true},
		{"audience and opt-out", func(o *Options) { o.AnyAudience = true }, false},
		{"audience with fragment", func(o *Options) { o.Audiences = []string{"https://a/#x"} }, false},
		{"empty audience", func(o *Options) { o.Audiences = []string{""} }, false},
		{"no keys", func(o *Options) { o.Keys = nil }, false},
		{"short secret", func(o *Options) { o.Algorithms = []string{"HS256"}; o.Keys = []Key{{Secret: hmacSecret[:31]}} }, false},
		{"secret too short for HS512", func(o *Options) { o.Algorithms = []string{"HS512"}; o.Keys = []Key{{Secret: hmacSecret}} }, false},
		{"HS256 without secret", func(o *Options) { o.Algorithms = []string{"RS256", "HS256"} }, false},
		{"HS256 with JWKS only", func(o *Options) {
			o.Algorithms = []string{"HS256"}
			o.Keys = nil
			o.JWKS = []JWKSSource{{URL: "https://idp.example/jwks"}}
		}, false},
		{"ES256 with RSA key only", func(o *Options) { o.Algorithms = []string{"ES256"} }, false},
		{"key fits no algorithm", func(o *Options) { o.Keys = append(o.Keys, Key{Secret: hmacSecret}) }, false},
		{"two key fields", func(o *Options) { o.Keys = []Key{{Secret: hmacSecret, PublicKey: &rsaKey.PublicKey}} }, false},
		{"empty key", func(o *Options) { o.Keys = []Key{{}} }, false},
		{"private key", func(o *Options) { o.Keys = []Key{{PublicKey: rsaKey}} }, false},
		{"weak RSA", func(o *Options) { o.Keys = []Key{{PublicKey: &weakRSA.PublicKey}} }, false},
		{"P-224", func(o *Options) { o.Algorithms = []string{"ES256"}; o.Keys = []Key{{PublicKey: &p224.PublicKey}} }, false},
		{"bad PEM", func(o *Options) { o.Keys = []Key{{PEM: []byte("nope")}} }, false},
		{"key issuer not accepted", func(o *Options) { o.Keys[0].Issuer = "https://other" }, false},
		{"JWKS issuer not accepted", func(o *Options) { o.JWKS = []JWKSSource{{URL: "https://a/jwks", Issuer: "https://other"}} }, false},
		{"JWKS relative URL", func(o *Options) { o.JWKS = []JWKSSource{{URL: "/jwks"}} }, false},
		{"JWKS file URL", func(o *Options) { o.JWKS = []JWKSSource{{URL: "file:///etc/passwd"}} }, false},
		{"negative leeway", func(o *Options) { o.Leeway = -time.Second }, false},
		{"negative size", func(o *Options) { o.MaxTokenBytes = -1 }, false},
		{"negative cache", func(o *Options) { o.Cache.MaxEntries = -1 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{
				Algorithms: []string{"RS256"},
				Issuers:    []string{testIss},
				Audiences:  []string{testAud},
				Keys:       []Key{{PublicKey: &rsaKey.PublicKey}},
			}
			tt.edit(&opts)
			v, err := New(&opts)
			if tt.good {
				require.NoError(t, err)
				require.NoError(t, v.Close())
				return
			}
			assert.Error(t, err)
			assert.Nil(t, v)
		})
	}
}

func TestJWKSOptionsDefaults(t *testing.T) {
	d := (&JWKSOptions{}).withDefaults()
	assert.Equal(t, JWKSOptions{
		Timeout: defaultTimeout, RefreshInterval: defaultRefreshInterval, MinRefreshInterval: defaultMinRefreshInterval,
		MaxRefreshInterval: defaultMaxRefreshInterval, UnknownKIDInterval: defaultUnknownKIDInterval,
		MaxResponseSize: defaultMaxResponseSize, RetryAfter: defaultRetryAfter,
	}, d)
}
