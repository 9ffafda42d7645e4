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

// bind binds id to key and returns the ids the store ended.
func bind(t *testing.T, s Store, id string, key Key) []string {
	t.Helper()
	ended, err := s.Bind(context.Background(), id, key)
	require.NoError(t, err)
	var ids []string
	for _, b := range ended {
		ids = append(ids, b.ID)
	}
	return ids
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	s := NewMemoryStore(&MemoryStoreOptions{IdleTTL: time.Minute, Now: clk.Now, MaxEntries: 3})
	a, b := keyFor(alice, "/mcp"), keyFor(bob, "/mcp")
	assert.NotEqual(t, a, keyFor(alice, "/other"), "the route is part of the key")
	assert.Equal(t, a, keyFor(aliceAgain, "/mcp"), "a refreshed token keeps the key")

	assert.Empty(t, bind(t, s, "s1", a))
	ok, err := s.Check(ctx, "s1", a)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, _ = s.Check(ctx, "s1", b)
	assert.False(t, ok)
	ok, _ = s.Check(ctx, "nope", a)
	assert.False(t, ok)
	_, err = s.Bind(ctx, "s1", b)
	assert.ErrorIs(t, err, ErrSessionTaken)

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
	assert.Empty(t, bind(t, s, "s1", b), "an expired id may be bound again; the server issued it anew")

	// Bounded: the least recently used binding goes first, and is
	// reported as ended.
	assert.Empty(t, bind(t, s, "s2", a))
	clk.Advance(time.Second)
	assert.Empty(t, bind(t, s, "s3", a))
	clk.Advance(time.Second)
	_, _ = s.Check(ctx, "s1", b)
	assert.Equal(t, []string{"s2"}, bind(t, s, "s4", a), "s2 was least recently used")
	assert.Equal(t, 3, s.len())
	ok, _ = s.Check(ctx, "s2", a)
	assert.False(t, ok)

	require.NoError(t, s.Delete(ctx, "s3"))
	ok, _ = s.Check(ctx, "s3", a)
	assert.False(t, ok)
}

// TestMemoryStorePerPrincipal: one principal cannot hold more than
// MaxPerPrincipal sessions on a route; its least recently used one ends,
// and other principals' sessions are untouched.
func TestMemoryStorePerPrincipal(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	s := NewMemoryStore(&MemoryStoreOptions{MaxPerPrincipal: 3, Now: clk.Now})
	a, b := keyFor(alice, "/mcp"), keyFor(bob, "/mcp")
	assert.Empty(t, bind(t, s, "bob-1", b))
	for i := range 3 {
		assert.Empty(t, bind(t, s, fmt.Sprint("a", i), a))
		clk.Advance(time.Second)
	}
	_, _ = s.Check(ctx, "a0", a) // a0 is now the most recently used
	clk.Advance(time.Second)
	ended, err := s.Bind(ctx, "a3", a)
	require.NoError(t, err)
	assert.Equal(t, []Binding{{ID: "a1", Key: a}}, ended)
	assert.Equal(t, []string{"a2"}, bind(t, s, "a4", a))
	assert.Equal(t, []string{"a0"}, bind(t, s, "a5", a))
	assert.Equal(t, 4, s.len(), "three of alice's, one of bob's")
	ok, _ := s.Check(ctx, "bob-1", b)
	assert.True(t, ok, "another principal's session is untouched")
	assert.Empty(t, bind(t, s, "a5-other-route", keyFor(alice, "/other")), "the bound is per route")

	// Deleting one makes room without ending another.
	require.NoError(t, s.Delete(ctx, "a3"))
	assert.Empty(t, bind(t, s, "a6", a))
}

func TestMemoryStoreSweeps(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	s := NewMemoryStore(&MemoryStoreOptions{IdleTTL: time.Hour, Now: clk.Now, MaxPerPrincipal: 1})
	for i := range 100 {
		assert.Empty(t, bind(t, s, fmt.Sprint("old", i), keyFor(&authresult.Principal{Subject: fmt.Sprint(i)}, "/")))
	}
	clk.Advance(2 * time.Hour)
	ended := bind(t, s, "new", keyFor(alice, "/"))
	assert.Len(t, ended, 100, "expired bindings are swept and reported, so their sessions end on the server too")
	assert.Equal(t, 1, s.len())

	// Sweeps run by time as well as by count: a tenth of the TTL later.
	assert.Empty(t, bind(t, s, "new2", keyFor(bob, "/")))
	clk.Advance(2 * time.Hour)
	assert.ElementsMatch(t, []string{"new", "new2"}, bind(t, s, "new3", keyFor(mallory, "/")))
}

func TestMemoryStoreConcurrent(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore(&MemoryStoreOptions{MaxEntries: 100})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			k := keyFor(alice, fmt.Sprint(g))
			for i := range 500 {
				id := fmt.Sprint(g, "-", i)
				if _, err := s.Bind(ctx, id, k); err == nil {
					_, _ = s.Check(ctx, id, k)
				}
				if i%3 == 0 {
					_ = s.Delete(ctx, id)
				}
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, s.len(), 100)
}

// TestMemoryPerBinding measures the heap a binding costs, with 100k
// bindings of 26-character ids (the go-sdk's rand.Text), each of its own
// principal: the most a binding costs, its key's index included.
func TestMemoryPerBinding(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 100k bindings")
	}
	const n = 100_000
	ctx := context.Background()
	keys := make([]Key, n)
	for i := range keys {
		keys[i] = keyFor(&authresult.Principal{Subject: fmt.Sprint(i)}, "/mcp")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := NewMemoryStore(&MemoryStoreOptions{MaxEntries: n})
	for i := range n {
		_, _ = s.Bind(ctx, fmt.Sprintf("%026d", i), keys[i]) // the id's bytes count too
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("memory per binding: %.0f B, id included", per)
	assert.Less(t, per, 256.0)
	runtime.KeepAlive(s)
}

func TestKeyCache(t *testing.T) {
	h := newGuard(t, &upstream{}, nil)
	for range 2 {
		assert.Equal(t, keyFor(alice, "/mcp"), h.bindingKey(alice, "/mcp"))
		assert.Equal(t, keyFor(bob, "/mcp"), h.bindingKey(bob, "/mcp"))
		assert.Equal(t, keyFor(alice, "/x"), h.bindingKey(alice, "/x"))
	}
	assert.Equal(t, h.bindingKey(alice, "/mcp"), h.bindingKey(aliceAgain, "/mcp"), "same identity, same key")
	assert.NotEqual(t, h.bindingKey(alice, "/mcp"), h.bindingKey(mallory, "/mcp"), "same subject, other issuer")
	for i := range maxCached + 10 {
		p := &authresult.Principal{Subject: fmt.Sprint("u", i), Issuer: "https://idp"}
		require.Equal(t, keyFor(p, "/mcp"), h.bindingKey(p, "/mcp"))
	}
	assert.LessOrEqual(t, h.keys.len(), maxCached)
}
