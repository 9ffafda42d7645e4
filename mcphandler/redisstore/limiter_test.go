package redisstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/internal/redistest"
)

// TestLimiter: one bucket per key shared by replicas, refilled by Redis's
// clock; a batch takes all its tokens or none; Redis down is an error.
func TestLimiter(t *testing.T) {
	r := redistest.Start(t)
	ctx := context.Background()
	newLimiter := func() *Limiter {
		l, err := NewLimiter(&LimiterOptions{Client: r.Client(), Rate: 10, Burst: 5})
		require.NoError(t, err)
		return l
	}
	a, b := newLimiter(), newLimiter()
	for i := range 5 {
		ok, _, err := []*Limiter{a, b}[i%2].Take(ctx, "alice", 1)
		require.NoError(t, err)
		assert.True(t, ok, "burst %d, shared by replicas", i)
	}
	ok, wait, err := a.Take(ctx, "alice", 1)
	require.NoError(t, err)
	assert.False(t, ok, "the burst is spent on every replica")
	assert.InDelta(t, 100, wait.Milliseconds(), 20, "a token every 100 ms")
	ok, _, err = b.Take(ctx, "bob", 5)
	require.NoError(t, err)
	assert.True(t, ok, "bob's own bucket")
	ok, wait, err = b.Take(ctx, "carol", 6)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Negative(t, wait, "more than the burst: never")
	time.Sleep(250 * time.Millisecond)
	ok, _, err = b.Take(ctx, "alice", 4)
	require.NoError(t, err)
	assert.False(t, ok, "a batch of 4 waits for 4 tokens")
	ok, _, err = b.Take(ctx, "alice", 2)
	require.NoError(t, err)
	assert.True(t, ok, "refilled by about 2.5 tokens")

	r.Stop()
	_, _, err = a.Take(ctx, "alice", 1)
	assert.Error(t, err)
	r.Restart()
	require.Eventually(t, func() bool { _, _, err := a.Take(ctx, "alice", 1); return err == nil }, 10*time.Second, 50*time.Millisecond)
}

// TestLimiterAcrossReplicas: 3 replicas taking concurrently for one key
// for about a second get what one bucket gives: the burst plus the rate
// times the time, within a token.
func TestLimiterAcrossReplicas(t *testing.T) {
	r := redistest.Start(t)
	const rate, burst = 20, 10
	var allowed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 3 {
		l, err := NewLimiter(&LimiterOptions{Client: r.Client(), Rate: rate, Burst: burst})
		require.NoError(t, err)
		for range 4 {
			wg.Go(func() {
				for time.Since(start) < time.Second {
					if ok, _, err := l.Take(context.Background(), "alice", 1); err == nil && ok {
						allowed.Add(1)
					}
					time.Sleep(2 * time.Millisecond)
				}
			})
		}
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	want := burst + rate*elapsed
	t.Logf("%d allowed in %.2fs, one bucket allows %.1f", allowed.Load(), elapsed, want)
	assert.InDelta(t, want, float64(allowed.Load()), 2)
}

func TestNewLimiterValidation(t *testing.T) {
	r := redistest.Start(t)
	for name, o := range map[string]*LimiterOptions{
		"nil": nil, "no client": {Rate: 1}, "no rate": {Client: r.Client()}, "negative burst": {Client: r.Client(), Rate: 1, Burst: -1},
		"prefix with a brace": {Client: r.Client(), Rate: 1, Prefix: "{x}"},
	} {
		_, err := NewLimiter(o)
		assert.ErrorIs(t, err, errConfig, name)
	}
}
