package jwtverify

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReady: not ready before the first JWKS fetch succeeds, ready once
// it has, and still ready through a later outage (the keys are kept).
func TestReady(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "a", "RS256", "sig"))
	ks.setBody(http.StatusBadGateway, "down")
	v := jwksVerifier(t, c, ks, func(o *Options) { o.JWKSFetch.MinRefreshInterval = time.Minute })
	ctx := context.Background()

	require.Eventually(t, func() bool { return ks.hits.Load() >= 1 && c.Timers() == 1 }, 5*time.Second, time.Millisecond)
	err := v.Ready(ctx)
	require.ErrorIs(t, err, ErrKeysUnavailable)
	assert.Contains(t, err.Error(), ks.URL, "the error names the set that is missing")

	ks.setKeys(t, jwk(t, &rsaKey.PublicKey, "a", "RS256", "sig"))
	c.Advance(time.Minute) // the retry after a failure
	require.Eventually(t, func() bool { return v.Ready(ctx) == nil }, 5*time.Second, time.Millisecond)

	ks.setBody(http.StatusBadGateway, "down again")
	require.Eventually(t, func() bool { return c.Timers() == 1 }, 5*time.Second, time.Millisecond)
	c.Advance(24 * time.Hour)
	require.Eventually(t, func() bool { return ks.hits.Load() >= 3 }, 5*time.Second, time.Millisecond)
	assert.NoError(t, v.Ready(ctx), "keys loaded once are kept through an outage")

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, v.Ready(canceled), context.Canceled)

	require.NoError(t, v.Close())
	assert.ErrorIs(t, v.Ready(ctx), ErrKeysUnavailable, "a closed verifier is not ready")
}

// TestReadyStaticKeys: static keys need no fetch.
func TestReadyStaticKeys(t *testing.T) {
	opts := baseOptions(newClock())
	opts.Algorithms = []string{"RS256"}
	opts.Keys = []Key{{ID: "a", PublicKey: &rsaKey.PublicKey}}
	assert.NoError(t, newVerifier(t, opts).Ready(context.Background()))
}

// TestReadyNeedsAUsableKey: a key set that loads but holds no key the
// verifier can use (none, or only encryption keys) is not ready.
func TestReadyNeedsAUsableKey(t *testing.T) {
	c := newClock()
	ks := newKeyServer(t, jwk(t, &rsaKey.PublicKey, "e", "RS256", "enc"))
	v := jwksVerifier(t, c, ks)
	require.Eventually(t, func() bool { return ks.hits.Load() >= 1 && c.Timers() == 1 }, 5*time.Second, time.Millisecond)
	assert.ErrorIs(t, v.Ready(context.Background()), ErrKeysUnavailable)

	empty := newKeyServer(t)
	v = jwksVerifier(t, c, empty)
	require.Eventually(t, func() bool { return empty.hits.Load() >= 1 }, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool {
		err := v.Ready(context.Background())
		return err != nil && !errors.Is(err, errJWKSNotReady)
	}, 5*time.Second, time.Millisecond)
	assert.ErrorIs(t, v.Ready(context.Background()), errNoUsableKey)
}
