package mcphandler

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	s := NewMemoryStore(MemoryStoreOptions{IdleTTL: time.Minute, Now: clk.Now, MaxEntries: 3})
	a, b := keyFor(alice, "/mcp"), keyFor(bob, "/mcp")
	assert.NotEqual(t, a, keyFor(alice, "/other"), "the route is part of the key")
	assert.Equal(t, a, keyFor(aliceAgain, "/mcp"), "a refreshed token keeps the key")

	require.NoError(t, s.Bind(ctx, "s1", a))
	ok, err := s.Check(ctx, "s1", a)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, _ = s.Check(ctx, "s1", b)
	assert.False(t, ok)
	ok, _ = s.Check(ctx, "nope", a)
	assert.False(t, ok)
	assert.ErrorIs(t, s.Bind(ctx, "s1", b), ErrSessionTaken)

	// Use keeps a binding alive; idleness expires it.
	clk.Advance(50 * time.Second)
	ok, _ = s.Check(ctx, "s1", a)
	assert.True(t, ok)
	clk.Advance(50 * time.Second)
	ok, _ = s.Check(ctx, "s1", a)
	assert.True(t, ok, "refreshed 50s ago")
	clk.Advance(61 * time.Second)
	ok, _ = s.Check(ctx, "s1", a)
	assert.False(t, ok, "idle past the TTL")
	require.NoError(t, s.Bind(ctx, "s1", b), "an expired id may be bound again")

	// Bounded: the least recently used binding goes first.
	require.NoError(t, s.Bind(ctx, "s2", a))
	clk.Advance(time.Second)
	require.NoError(t, s.Bind(ctx, "s3", a))
	clk.Advance(time.Second)
	_, _ = s.Check(ctx, "s1", b)
	require.NoError(t, s.Bind(ctx, "s4", a))
	assert.Equal(t, 3, s.Len())
	ok, _ = s.Check(ctx, "s2", a)
	assert.False(t, ok, "s2 was least recently used")

	require.NoError(t, s.Delete(ctx, "s3"))
	ok, _ = s.Check(ctx, "s3", a)
	assert.False(t, ok)
}

func TestMemoryStoreSweeps(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	s := NewMemoryStore(MemoryStoreOptions{IdleTTL: time.Minute, Now: clk.Now})
	for i := range sweepEvery - 1 {
		require.NoError(t, s.Bind(ctx, fmt.Sprint("old", i), keyFor(alice, "/")))
	}
	clk.Advance(2 * time.Minute)
	require.NoError(t, s.Bind(ctx, "new", keyFor(alice, "/")))
	assert.Equal(t, 1, s.Len(), "expired bindings are swept")
}

func TestMemoryStoreConcurrent(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore(MemoryStoreOptions{MaxEntries: 100})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			k := keyFor(alice, fmt.Sprint(g))
			for i := range 500 {
				id := fmt.Sprint(g, "-", i)
				if s.Bind(ctx, id, k) == nil {
					_, _ = s.Check(ctx, id, k)
				}
				if i%3 == 0 {
					_ = s.Delete(ctx, id)
				}
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, s.Len(), 100)
}

// TestMemoryPerBinding measures the heap a binding costs, with 100k
// bindings of 26-character ids (the go-sdk's rand.Text).
func TestMemoryPerBinding(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 100k bindings")
	}
	const n = 100_000
	ctx := context.Background()
	k := keyFor(alice, "/mcp")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := NewMemoryStore(MemoryStoreOptions{MaxEntries: n})
	for i := range n {
		_ = s.Bind(ctx, fmt.Sprintf("%026d", i), k) // the id's bytes count too
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("memory per binding: %.0f B, id included", per)
	assert.Less(t, per, 256.0)
	runtime.KeepAlive(s)
}

func TestKeyCache(t *testing.T) {
	var c keyCache
	for range 2 {
		assert.Equal(t, keyFor(alice, "/mcp"), c.get(alice, "/mcp"))
		assert.Equal(t, keyFor(bob, "/mcp"), c.get(bob, "/mcp"))
		assert.Equal(t, keyFor(alice, "/x"), c.get(alice, "/x"))
	}
	assert.Equal(t, c.get(alice, "/mcp"), c.get(aliceAgain, "/mcp"), "same identity, same key")
	assert.NotEqual(t, c.get(alice, "/mcp"), c.get(mallory, "/mcp"), "same subject, other issuer")
	for i := range maxCachedKeys + 10 {
		p := &authresult.Principal{Subject: fmt.Sprint("u", i), Issuer: "https://idp"}
		require.Equal(t, keyFor(p, "/mcp"), c.get(p, "/mcp"))
	}
	assert.LessOrEqual(t, c.n.Load(), int64(maxCachedKeys))
}
