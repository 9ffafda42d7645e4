package introspect

import (
	"crypto/sha256"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCacheHit(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token()
	p1, err := e.verify(tok)
	require.NoError(t, err)
	p2, err := e.verify(tok)
	require.NoError(t, err)
	assert.EqualValues(t, 1, e.as.calls.Load(), "second call answered from the cache")
	assert.Equal(t, p1, p2)

	_, err = e.verify(e.token())
	require.NoError(t, err)
	assert.EqualValues(t, 2, e.as.calls.Load(), "another token is introspected")
}

// TestCacheTTL: an entry lasts TTL on the injected clock.
func TestCacheTTL(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Cache.TTL = 30 * time.Second })
	tok := e.token()
	_, err := e.verify(tok)
	require.NoError(t, err)
	e.clock.Advance(29 * time.Second)
	_, err = e.verify(tok)
	require.NoError(t, err)
	assert.EqualValues(t, 1, e.as.calls.Load())
	e.clock.Advance(time.Second)
	_, err = e.verify(tok)
	require.NoError(t, err)
	assert.EqualValues(t, 2, e.as.calls.Load(), "introspected again once TTL has passed")
}

// TestCacheExpiry: a token whose exp comes before the TTL is cached only
// until exp, and the answer after it decides.
func TestCacheExpiry(t *testing.T) {
	e := newEnv(t, nil) // TTL 1m
	tok := e.token()
	e.as.set(200, activeBody(set("exp", t0.Add(10*time.Second).Unix())))
	_, err := e.verify(tok)
	require.NoError(t, err)
	e.clock.Advance(9 * time.Second)
	_, err = e.verify(tok)
	require.NoError(t, err)
	assert.EqualValues(t, 1, e.as.calls.Load())

	e.clock.Advance(time.Second)
	e.as.set(200, `{"active":false}`)
	_, err = e.verify(tok)
	requireKind(t, err, authresult.KindUnauthenticated, ErrInactive)
	assert.EqualValues(t, 2, e.as.calls.Load(), "not answered from the cache at exp")
}

// TestCacheFailuresNotCached: neither refusals nor outages are cached.
func TestCacheFailuresNotCached(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"inactive", 200, `{"active":false}`},
		{"expired", 200, activeBody(set("exp", t0.Add(-time.Hour).Unix()))},
		{"wrong audience", 200, activeBody(set("aud", "https://other.example"))},
		{"outage", 503, ""},
		{"malformed", 200, `{"active":true`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			tok := e.token()
			e.as.set(tc.status, tc.body)
			for range 3 {
				_, err := e.verify(tok)
				require.Error(t, err)
			}
			assert.EqualValues(t, 3, e.as.calls.Load())
			e.as.set(200, activeBody())
			_, err := e.verify(tok)
			require.NoError(t, err, "a failure does not stick")
		})
	}
}

// TestCacheRevocation: a token revoked at the authorization server is
// accepted from the cache until TTL, and refused after.
func TestCacheRevocation(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Cache.TTL = 20 * time.Second })
	tok := e.token()
	_, err := e.verify(tok)
	require.NoError(t, err)
	e.as.set(200, `{"active":false}`) // revoked
	e.clock.Advance(19 * time.Second)
	_, err = e.verify(tok)
	require.NoError(t, err, "within TTL the cache still answers")
	e.clock.Advance(time.Second)
	_, err = e.verify(tok)
	requireKind(t, err, authresult.KindUnauthenticated, ErrInactive)
	_, err = e.verify(tok)
	requireKind(t, err, authresult.KindUnauthenticated, ErrInactive)
}

func TestCacheDisabled(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Cache.Disabled = true })
	tok := e.token()
	for range 3 {
		_, err := e.verify(tok)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 3, e.as.calls.Load())
}

// TestCacheKeyedByHash: the cache holds the SHA-256 of the token and no
// copy of the token anywhere in its entries.
func TestCacheKeyedByHash(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token()
	_, err := e.verify(tok)
	require.NoError(t, err)
	require.Equal(t, 1, e.v.cache.len())
	key := sha256.Sum256([]byte(tok))
	s := e.v.cache.shard(&key)
	s.mu.RLock()
	entry := s.m[key]
	s.mu.RUnlock()
	require.NotNil(t, entry)
	assert.NotContains(t, fmt.Sprintf("%#v %#v", *entry, *entry.principal), tok)
	assert.Equal(t, 2, reflect.TypeFor[cacheEntry]().NumField(), "review this test when an entry gains a field")
}

// TestCacheEvictionBound: the cache never holds more than MaxEntries.
func TestCacheEvictionBound(t *testing.T) {
	for _, n := range []int{1, 4, 2048} {
		c := newTokenCache(n, time.Minute)
		p := &authresult.Principal{Subject: "a"}
		for i := range 3 * n {
			key := sha256.Sum256(fmt.Appendf(nil, "t%d", i))
			c.put(&key, p, t0.Add(time.Duration(i)*time.Millisecond), time.Time{})
		}
		assert.LessOrEqual(t, c.len(), n)
		assert.Positive(t, c.len())
	}
}

// TestCacheEvictsExpiredFirst: a full shard drops a run-out entry before
// a live one.
func TestCacheEvictsExpiredFirst(t *testing.T) {
	c := newTokenCache(2, time.Minute)
	p := &authresult.Principal{Subject: "a"}
	k := func(s string) *[sha256.Size]byte { h := sha256.Sum256([]byte(s)); return &h }
	c.put(k("old"), p, t0, t0.Add(time.Second))
	c.put(k("live"), p, t0, time.Time{})
	now := t0.Add(2 * time.Second)
	c.put(k("new"), p, now, time.Time{})
	assert.Nil(t, c.get(k("old"), now))
	assert.NotNil(t, c.get(k("live"), now))
	assert.NotNil(t, c.get(k("new"), now))
}

func TestCacheNothingPastExpiry(t *testing.T) {
	c := newTokenCache(4, time.Minute)
	key := sha256.Sum256([]byte("x"))
	c.put(&key, &authresult.Principal{Subject: "a"}, t0, t0)
	assert.Zero(t, c.len(), "an entry already run out is not stored")
}

func TestCacheConcurrent(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Cache.MaxEntries = 8 })
	toks := make([]string, 16)
	for i := range toks {
		toks[i] = e.token()
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				_, err := e.verify(toks[(g+i)%len(toks)])
				assert.NoError(t, err)
				if i%10 == 0 {
					e.clock.Advance(time.Second)
				}
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, e.v.cache.len(), 8)
}
