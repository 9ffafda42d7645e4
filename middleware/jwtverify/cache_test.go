package jwtverify

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingVerifier counts full verifications through the Validate hook,
// which runs only on cache misses.
func countingVerifier(t *testing.T, c *clock, edit func(*Options)) (*Verifier, *atomic.Int32) {
	var n atomic.Int32
	opts := baseOptions(c)
	opts.Algorithms = []string{"HS256"}
	opts.Keys = []Key{{Secret: hmacSecret}}
	opts.Validate = func(context.Context, map[string]any, *authresult.Principal) error { n.Add(1); return nil }
	if edit != nil {
		edit(&opts)
	}
	return newVerifier(t, opts), &n
}

func hsTok(t testing.TB, edits ...func(jwt.MapClaims)) string {
	return sign(t, jwt.SigningMethodHS256, hmacSecret, "", claims(edits...), nil)
}

func TestCacheHit(t *testing.T) {
	c := newClock()
	v, n := countingVerifier(t, c, nil)
	tok := hsTok(t)
	ctx := context.Background()
	p1, err := v.VerifyToken(ctx, tok)
	require.NoError(t, err)
	p2, err := v.VerifyToken(ctx, tok)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n.Load(), "second call answered from the cache")
	assert.Equal(t, p1, p2)
	p2.Subject = "mallory"
	p3, err := v.VerifyToken(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, "alice", p3.Subject, "callers get their own copy")
}

func TestCacheExpiry(t *testing.T) {
	c := newClock()
	v, n := countingVerifier(t, c, func(o *Options) { o.Leeway = 5 * time.Second; o.Cache.TTL = time.Minute })
	ctx := context.Background()
	short := hsTok(t, set("exp", t0.Add(10*time.Second).Unix()))
	long := hsTok(t)
	for _, tok := range []string{short, long} {
		_, err := v.VerifyToken(ctx, tok)
		require.NoError(t, err)
	}
	c.Advance(14 * time.Second)
	_, err := v.VerifyToken(ctx, short)
	require.NoError(t, err, "within exp plus leeway")
	c.Advance(time.Second) // exp + leeway reached
	_, err = v.VerifyToken(ctx, short)
	assert.ErrorIs(t, err, ErrExpired, "the cache never outlives exp")

	before := n.Load()
	_, err = v.VerifyToken(ctx, long)
	require.NoError(t, err)
	assert.Equal(t, before, n.Load(), "long token still cached")
	c.Advance(time.Minute) // past TTL
	_, err = v.VerifyToken(ctx, long)
	require.NoError(t, err)
	assert.Equal(t, before+1, n.Load(), "re-verified after TTL")
}

func TestCacheNotBefore(t *testing.T) {
	c := newClock()
	v, _ := countingVerifier(t, c, nil)
	tok := hsTok(t, set("nbf", t0.Unix()))
	_, err := v.VerifyToken(context.Background(), tok)
	require.NoError(t, err)
	c.Advance(-DefaultLeeway - time.Second) // the clock steps back, beyond the leeway
	_, err = v.VerifyToken(context.Background(), tok)
	assert.ErrorIs(t, err, ErrNotYetValid)
}

func TestCacheFailuresNotCached(t *testing.T) {
	c := newClock()
	v, n := countingVerifier(t, c, nil)
	tok := hsTok(t, set("aud", "other"))
	for range 3 {
		_, err := v.VerifyToken(context.Background(), tok)
		assert.ErrorIs(t, err, ErrAudience)
	}
	bad := hsTok(t)
	bad = bad[:len(bad)-2] + "AA"
	_, err := v.VerifyToken(context.Background(), bad)
	assert.ErrorIs(t, err, ErrSignature)
	assert.Zero(t, v.cache.len())
	assert.Zero(t, n.Load())

	// A hook failure is not cached either.
	v2, _ := countingVerifier(t, c, func(o *Options) {
		o.Validate = func(context.Context, map[string]any, *authresult.Principal) error { return fmt.Errorf("no") }
	})
	_, err = v2.VerifyToken(context.Background(), hsTok(t))
	assert.ErrorIs(t, err, ErrRejected)
	assert.Zero(t, v2.cache.len())
}

func TestCacheEvictionBound(t *testing.T) {
	for _, max := range []int{1, 8, 2000} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			c := newClock()
			v, _ := countingVerifier(t, c, func(o *Options) { o.Cache.MaxEntries = max })
			for i := range 2 * max {
				_, err := v.VerifyToken(context.Background(), hsTok(t, set("jti", i)))
				require.NoError(t, err)
				require.LessOrEqual(t, v.cache.len(), max)
			}
		})
	}
}

func TestCacheDisabled(t *testing.T) {
	c := newClock()
	v, n := countingVerifier(t, c, func(o *Options) { o.Cache.Disabled = true })
	tok := hsTok(t)
	for range 3 {
		_, err := v.VerifyToken(context.Background(), tok)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 3, n.Load())
	assert.Nil(t, v.cache)
}

func TestCacheComparesWholeToken(t *testing.T) {
	tc := newTokenCache(10, time.Hour)
	key := &verifyKey{}
	alice := &authresult.Principal{Subject: "alice"}
	tc.put("token-a", alice, key, t0, time.Time{}, time.Time{})
	// Plant token-a's entry at token-b's index, as a hash collision would.
	hb := maphash.String(tc.seed, "token-b")
	s := tc.shard(hb)
	s.m[hb] = s.m[maphash.String(tc.seed, "token-a")]
	assert.Nil(t, tc.get("token-b", t0), "a hash match is not a hit")
	assert.Same(t, alice, tc.get("token-a", t0))
}

func TestCacheKeyRemoval(t *testing.T) {
	tc := newTokenCache(10, time.Hour)
	k1, k2 := &verifyKey{}, &verifyKey{}
	tc.put("a", &authresult.Principal{Subject: "a"}, k1, t0, time.Time{}, time.Time{})
	tc.put("b", &authresult.Principal{Subject: "b"}, k2, t0, time.Time{}, time.Time{})
	k1.removed.Store(true)
	assert.Nil(t, tc.get("a", t0))
	assert.NotNil(t, tc.get("b", t0))
	k2.removed.Store(true)
	tc.dropRemoved()
	assert.Zero(t, tc.len())
}

func TestCacheConcurrent(t *testing.T) {
	c := newClock()
	v, _ := countingVerifier(t, c, func(o *Options) { o.Cache.MaxEntries = 16 })
	var good, bad []string
	for i := range 32 {
		good = append(good, hsTok(t, set("jti", i)))
		bad = append(bad, hsTok(t, set("jti", i), set("iss", "evil")))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				j := (i + g) % 32
				p, err := v.VerifyToken(context.Background(), good[j])
				if assert.NoError(t, err) {
					assert.Equal(t, float64(j), p.Claims["jti"])
				}
				_, err = v.VerifyToken(context.Background(), bad[j])
				assert.ErrorIs(t, err, ErrIssuer)
				if i%50 == 0 {
					c.Advance(time.Second)
				}
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, v.cache.len(), 16)
}
