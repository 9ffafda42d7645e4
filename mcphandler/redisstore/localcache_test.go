package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/internal/redistest"
)

// TestLocalCache: with LocalCache a replica answers its owner's checks
// from memory, never another principal's; a DELETE on this replica stops
// the session at once, one on another replica within LocalCache.
func TestLocalCache(t *testing.T) {
	r := redistest.Start(t)
	ctx := context.Background()
	const window = 300 * time.Millisecond
	a := newStore(t, r.Client(), func(o *Options) { o.LocalCache = window })
	b := newStore(t, r.Client(), func(o *Options) { o.LocalCache = window })
	_, err := a.Bind(ctx, "s1", alice)
	require.NoError(t, err)
	ok, err := b.Check(ctx, "s1", alice)
	require.NoError(t, err)
	require.True(t, ok)

	r.Stop() // cached answers need no Redis
	ok, err = b.Check(ctx, "s1", alice)
	require.NoError(t, err)
	assert.True(t, ok, "the owner, from the cache")
	_, err = b.Check(ctx, "s1", bob)
	assert.Error(t, err, "another principal is never answered from the cache: Redis is asked, and is down")
	r.Restart()

	_, err = a.Bind(ctx, "s2", alice)
	require.NoError(t, err)
	for _, s := range []*Store{a, b} {
		ok, err := s.Check(ctx, "s2", alice)
		require.NoError(t, err)
		require.True(t, ok)
	}
	require.NoError(t, a.Delete(ctx, "s2"))
	ok, err = a.Check(ctx, "s2", alice)
	require.NoError(t, err)
	assert.False(t, ok, "ended at once on the replica that deleted it")
	ended := time.Now()
	require.Eventually(t, func() bool { ok, err := b.Check(ctx, "s2", alice); return err == nil && !ok }, 2*window, 10*time.Millisecond)
	assert.Less(t, time.Since(ended), window+100*time.Millisecond, "and within LocalCache on the others")

	for _, bad := range []time.Duration{-1, DefaultIdleTTL} {
		_, err := New(&Options{Client: r.Client(), LocalCache: bad})
		assert.ErrorIs(t, err, errConfig, "%v", bad)
	}
}
