package redisstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/internal/redistest"
	"github.com/mcpauth/mcpauth/mcphandler"
)

func key(s string) mcphandler.Key { return sha256.Sum256([]byte(s)) }

var (
	alice = key("alice")
	bob   = key("bob")
)

func newStore(t *testing.T, c redis.UniversalClient, edit func(*Options)) *Store {
	t.Helper()
	o := &Options{Client: c}
	if edit != nil {
		edit(o)
	}
	s, err := New(o)
	require.NoError(t, err)
	return s
}

// TestStore: the Store contract on a real Redis, with two stores standing
// for two replicas.
func TestStore(t *testing.T) {
	r := redistest.Start(t)
	ctx := context.Background()
	a, b := newStore(t, r.Client(), nil), newStore(t, r.Client(), nil)

	ended, err := a.Bind(ctx, "s1", alice)
	require.NoError(t, err)
	assert.Empty(t, ended)
	for name, s := range map[string]*Store{"the replica that bound it": a, "another replica": b} {
		ok, err := s.Check(ctx, "s1", alice)
		require.NoError(t, err)
		assert.True(t, ok, name)
		ok, err = s.Check(ctx, "s1", bob)
		require.NoError(t, err)
		assert.False(t, ok, "another principal, on %s", name)
		ok, err = s.Check(ctx, "nope", alice)
		require.NoError(t, err)
		assert.False(t, ok, "an unknown id, on %s", name)
	}

	_, err = b.Bind(ctx, "s1", bob)
	assert.ErrorIs(t, err, mcphandler.ErrSessionTaken, "first writer wins across replicas")
	_, err = b.Bind(ctx, "s1", alice)
	assert.NoError(t, err, "binding again to the owner is fine")

	require.NoError(t, b.Delete(ctx, "s1"))
	ok, err := a.Check(ctx, "s1", alice)
	require.NoError(t, err)
	assert.False(t, ok, "a delete on one replica ends it on all, at once")
	require.NoError(t, a.Delete(ctx, "s1"), "deleting twice is fine")
	_, err = a.Bind(ctx, "s1", bob)
	assert.ErrorIs(t, err, mcphandler.ErrSessionTaken, "an ended id stays unbindable for a tombstone")
	defer func(d time.Duration) { tombstone = d }(tombstone)
	tombstone = 50 * time.Millisecond
	require.NoError(t, a.Delete(ctx, "s2-never-bound"))
	_, err = a.Bind(ctx, "s3", alice)
	require.NoError(t, err)
	require.NoError(t, a.Delete(ctx, "s3"))
	time.Sleep(100 * time.Millisecond)
	_, err = a.Bind(ctx, "s3", bob)
	assert.NoError(t, err, "then it is free")
}

// TestStoreConcurrentBind: many replicas race to bind one id to different
// principals: exactly one wins.
func TestStoreConcurrentBind(t *testing.T) {
	r := redistest.Start(t)
	c := r.Client()
	for round := range 20 {
		id := "race-" + string(rune('a'+round))
		var wg sync.WaitGroup
		wins := make(chan mcphandler.Key, 16)
		for i := range 16 {
			wg.Go(func() {
				k := key(id + string(rune('A'+i)))
				if _, err := newStore(t, c, nil).Bind(context.Background(), id, k); err == nil {
					wins <- k
				} else {
					assert.ErrorIs(t, err, mcphandler.ErrSessionTaken)
				}
			})
		}
		wg.Wait()
		close(wins)
		require.Len(t, wins, 1, "round %d", round)
	}
}

// TestStorePerPrincipal: the bound holds across replicas and ends the
// least recently used session, whose id the guard gets to end upstream.
func TestStorePerPrincipal(t *testing.T) {
	r := redistest.Start(t)
	ctx := context.Background()
	a := newStore(t, r.Client(), func(o *Options) { o.MaxPerPrincipal = 3 })
	b := newStore(t, r.Client(), func(o *Options) { o.MaxPerPrincipal = 3 })
	for i, id := range []string{"s1", "s2", "s3"} {
		s := []*Store{a, b}[i%2]
		_, err := s.Bind(ctx, id, alice)
		require.NoError(t, err)
		time.Sleep(2 * time.Millisecond) // distinct times of use
	}
	_, err := b.Bind(ctx, "bob1", bob)
	require.NoError(t, err)
	ok, err := a.Check(ctx, "s1", alice) // s1 used: s2 is now the least recent
	require.NoError(t, err)
	require.True(t, ok)
	time.Sleep(2 * time.Millisecond)
	ended, err := b.Bind(ctx, "s4", alice)
	require.NoError(t, err)
	assert.Equal(t, []mcphandler.Binding{{ID: "s2", Key: alice}}, ended)
	for id, want := range map[string]bool{"s1": true, "s2": false, "s3": true, "s4": true} {
		ok, err := a.Check(ctx, id, alice)
		require.NoError(t, err)
		assert.Equal(t, want, ok, id)
	}
	ok, err = a.Check(ctx, "bob1", bob)
	require.NoError(t, err)
	assert.True(t, ok, "other principals untouched")
}

// TestStoreExpiry: an idle binding expires on every replica, and the next
// bind of its principal reports it, so that the guard ends it upstream.
func TestStoreExpiry(t *testing.T) {
	r := redistest.Start(t)
	ctx := context.Background()
	c := r.Client()
	s := newStore(t, c, func(o *Options) { o.IdleTTL = 300 * time.Millisecond })
	_, err := s.Bind(ctx, "old", alice)
	require.NoError(t, err)
	_, err = s.Bind(ctx, "kept", alice)
	require.NoError(t, err)
	expired := false
	for deadline := time.Now().Add(5 * time.Second); !expired && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		ok, err := s.Check(ctx, "kept", alice) // used: it stays
		require.NoError(t, err)
		require.True(t, ok, "a binding in use does not expire")
		if n, _ := c.Exists(ctx, s.sessionKey("old")).Result(); n == 0 {
			expired = true // looked at without touching it
		}
	}
	require.True(t, expired, "an unused binding expires")
	ok, err := s.Check(ctx, "old", alice)
	require.NoError(t, err)
	assert.False(t, ok)
	ended, err := s.Bind(ctx, "new", alice)
	require.NoError(t, err)
	assert.Equal(t, []mcphandler.Binding{{ID: "old", Key: alice}}, ended)
}

// TestStoreKeepsNoIdentity: Redis holds hashed keys, binding keys and
// session ids; never a subject, an issuer or a token.
func TestStoreKeepsNoIdentity(t *testing.T) {
	r := redistest.Start(t)
	ctx := context.Background()
	c := r.Client()
	s := newStore(t, c, nil)
	p := mcphandler.Key(sha256.Sum256([]byte("https://idp.example|alice@example.com|/mcp")))
	_, err := s.Bind(ctx, "session-xyz", p)
	require.NoError(t, err)
	keys, err := c.Keys(ctx, "*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 2)
	for _, k := range keys {
		assert.True(t, strings.HasPrefix(k, DefaultPrefix), k)
		assert.NotContains(t, k, "session-xyz", "keys are hashed")
		typ, _ := c.Type(ctx, k).Result()
		var vals []string
		if typ == "string" {
			v, _ := c.Get(ctx, k).Result()
			vals = []string{v}
			assert.LessOrEqual(t, len(v), 200, "bytes of value per binding")
		} else {
			vals, _ = c.ZRange(ctx, k, 0, -1).Result()
		}
		for _, v := range vals {
			for _, secret := range []string{"alice", "idp.example"} {
				assert.NotContains(t, v, secret)
			}
		}
	}
}

// TestStoreRedisDown: with Redis gone every operation errs (the guard
// answers 503) and Ready fails, and the same store works again once Redis
// is back.
func TestStoreRedisDown(t *testing.T) {
	r := redistest.Start(t)
	ctx := context.Background()
	s := newStore(t, r.Client(), func(o *Options) { o.Timeout = 500 * time.Millisecond })
	_, err := s.Bind(ctx, "s1", alice)
	require.NoError(t, err)
	require.NoError(t, s.Ready(ctx))
	r.Stop()
	assert.Error(t, s.Ready(ctx), "not ready while Redis is down")
	_, err = s.Bind(ctx, "s2", alice)
	assert.Error(t, err)
	ok, err := s.Check(ctx, "s1", alice)
	assert.Error(t, err)
	assert.False(t, ok, "never true on an error")
	assert.Error(t, s.Delete(ctx, "s1"))

	r.Restart()
	require.Eventually(t, func() bool { _, err := s.Bind(ctx, "s3", alice); return err == nil }, 10*time.Second, 50*time.Millisecond, "recovers without a restart")
	assert.NoError(t, s.Ready(ctx), "ready again")
	ok, err = s.Check(ctx, "s1", alice)
	require.NoError(t, err)
	assert.False(t, ok, "the binding was lost with Redis's data: 404, never another user's")
}

func TestNewValidation(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer cluster.Close()
	for name, o := range map[string]*Options{
		"nil":                 nil,
		"no client":           {},
		"cluster":             {Client: cluster},
		"negative ttl":        {Client: c, IdleTTL: -time.Second},
		"tiny ttl":            {Client: c, IdleTTL: time.Microsecond},
		"negative max":        {Client: c, MaxPerPrincipal: -1},
		"negative timeout":    {Client: c, Timeout: -1},
		"prefix with a brace": {Client: c, Prefix: "a{b}:"},
	} {
		_, err := New(o)
		assert.True(t, errors.Is(err, errConfig), name)
	}
	s, err := New(&Options{Client: c})
	require.NoError(t, err)
	assert.Equal(t, DefaultPrefix, s.prefix)
	assert.Equal(t, DefaultIdleTTL, s.ttl)
}
