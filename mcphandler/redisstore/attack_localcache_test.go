package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/internal/redistest"
	"github.com/mcpauth/mcpauth/mcphandler"
)

// TestAttackLocalCacheAdmitsPreviousOwner: the package promises that the
// local cache "can never admit another principal". After alice's session
// "s1" is ended on replica a (a DELETE there) and the id is bound again,
// to bob, replica b still answers alice's checks for "s1" from its cache:
// alice is admitted to what Redis now records as bob's session. Upstream
// servers that reuse session ids (counters, ids reset on restart) make
// this reachable; the guard otherwise protects against such servers
// ("the first writer wins").
func TestAttackLocalCacheAdmitsPreviousOwner(t *testing.T) {
	r := redistest.Start(t)
	ctx := context.Background()
	const window = 2 * time.Second
	a := newStore(t, r.Client(), func(o *Options) { o.LocalCache = window })
	b := newStore(t, r.Client(), func(o *Options) { o.LocalCache = window })

	_, err := a.Bind(ctx, "s1", alice)
	require.NoError(t, err)
	ok, err := b.Check(ctx, "s1", alice) // b caches s1 -> alice
	require.NoError(t, err)
	require.True(t, ok)

	defer func(d time.Duration) { tombstone = d }(tombstone)
	tombstone = window
	require.NoError(t, a.Delete(ctx, "s1"))
	_, err = a.Bind(ctx, "s1", bob) // the upstream hands "s1" out again, to bob
	assert.ErrorIs(t, err, mcphandler.ErrSessionTaken, "an ended id cannot be bound again while a cache may still hold it")
	ok, err = b.Check(ctx, "s1", alice)
	require.NoError(t, err)
	assert.True(t, ok, "b's cached answer admits alice to a session that is nobody else's")

	time.Sleep(window + 100*time.Millisecond)
	ok, err = b.Check(ctx, "s1", alice)
	require.NoError(t, err)
	assert.False(t, ok, "past the window b asks Redis")
	_, err = a.Bind(ctx, "s1", bob)
	require.NoError(t, err, "and the id may be bound again")
	ok, err = b.Check(ctx, "s1", alice)
	require.NoError(t, err)
	assert.False(t, ok, "never alice's")
}
