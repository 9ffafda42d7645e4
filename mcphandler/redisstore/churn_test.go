package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/internal/redistest"
	"github.com/mcpauth/mcpauth/mcphandler"
)

// violations counts what must never happen under churn, keeping the
// first message of each kind for the failure report.
type violations struct {
	mu    sync.Mutex
	count map[string]int
	first map[string]string
}

func (v *violations) add(kind, format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.count == nil {
		v.count, v.first = map[string]int{}, map[string]string{}
	}
	if v.count[kind]++; v.count[kind] == 1 {
		v.first[kind] = fmt.Sprintf(format, args...)
	}
}

// TestStoreChurn: 10 000 sessions made and ended by 16 workers across
// three replicas sharing one Redis, principals drawn from a pool of 208
// so that the bound of 16 per principal keeps ending sessions. For every
// session, concurrently, its owner's check is true on another replica,
// and another principal's check is false and its bind ErrSessionTaken on
// a third; a session the bound ended, or one deleted on any replica, is
// over on all three. No operation errs, and at the end Redis holds no
// session's key and no principal's set. Then the memory of 10 000 live
// bindings is measured, on a Redis of its own.
func TestStoreChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("10 000 sessions and 10 000 bindings measured")
	}
	const (
		sessions   = 10_000
		workers    = 16
		principals = 208 // 13 per worker
		bound      = DefaultMaxPerPrincipal
	)
	r := redistest.Start(t)
	ctx := context.Background()
	c := r.Client()
	var rep [3]*Store
	for i := range rep {
		rep[i] = newStore(t, r.Client(), nil) // a client each, as replicas have
	}
	pool := make([]mcphandler.Key, principals)
	for i := range pool {
		pool[i] = key("principal-" + strconv.Itoa(i))
	}

	var (
		v                                 violations
		ops, evictions, deletes, foreigns atomic.Int64
		wg                                sync.WaitGroup
	)
	// do runs one store operation, counting it; an error is a violation.
	do := func(what string, err error) bool {
		ops.Add(1)
		if err != nil && !errors.Is(err, mcphandler.ErrSessionTaken) {
			v.add("error", "%s: %v", what, err)
			return false
		}
		return true
	}
	// over checks that id is no longer its owner's on any replica.
	over := func(why, id string, owner mcphandler.Key) {
		for i, s := range rep {
			ok, err := s.Check(ctx, id, owner)
			if do("check", err) && ok {
				v.add("over", "a session %s is still its owner's on replica %d", why, i)
			}
		}
	}
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			// A worker owns principals w, w+16, …: it alone binds and
			// deletes their sessions, so it knows which are live, while
			// the other workers' principals try to take its sessions.
			rnd := mrand.New(mrand.NewPCG(uint64(w), 1))
			var mine []int
			for p := w; p < principals; p += workers {
				mine = append(mine, p)
			}
			live := map[int][]string{} // per principal, in order of binding
			for range sessions / workers {
				p := mine[rnd.IntN(len(mine))]
				owner := pool[p]
				id := rand.Text()
				at := rnd.IntN(len(rep))
				ended, err := rep[at].Bind(ctx, id, owner)
				if !do("bind", err) {
					continue
				}
				if err != nil {
					v.add("taken", "a fresh id was taken")
					continue
				}
				// The bound: exactly one of the principal's own live
				// sessions is ended once it holds the maximum.
				want := 0
				if len(live[p]) == bound {
					want = 1
				}
				if len(ended) != want {
					v.add("bound", "bind with %d live ended %d sessions", len(live[p]), len(ended))
				}
				for _, e := range ended {
					i := slices.Index(live[p], e.ID)
					if e.Key != owner || i < 0 {
						v.add("evict", "a bind ended a session that was not its principal's own")
						continue
					}
					live[p] = append(live[p][:i], live[p][i+1:]...)
					evictions.Add(1)
					over("ended by the bound", e.ID, owner)
				}
				live[p] = append(live[p], id)

				// Concurrently: the owner on the next replica, another
				// principal (any, often another worker's) on the third.
				other := pool[(p+1+rnd.IntN(principals-1))%principals]
				var checks sync.WaitGroup
				checks.Go(func() {
					ok, err := rep[(at+1)%3].Check(ctx, id, owner)
					if do("check", err) && !ok {
						v.add("owner", "the owner's check on another replica is false")
					}
				})
				checks.Go(func() {
					ok, err := rep[(at+2)%3].Check(ctx, id, other)
					if do("check", err) && ok {
						v.add("cross", "another principal's check is true")
					}
				})
				checks.Go(func() {
					_, err := rep[(at+2)%3].Bind(ctx, id, other)
					switch {
					case !do("bind", err):
					case errors.Is(err, mcphandler.ErrSessionTaken):
						foreigns.Add(1)
					default:
						v.add("cross", "another principal bound a bound id")
					}
				})
				checks.Wait()

				// An older session of the principal is used (and so
				// moves in its order of use), on any replica.
				old := live[p][rnd.IntN(len(live[p]))]
				ok, err := rep[rnd.IntN(3)].Check(ctx, old, owner)
				if do("check", err) && !ok {
					v.add("owner", "a live session's check is false")
				}

				// Now and then one of the principal's sessions ends: the
				// guard deletes it on one replica, it is over on all.
				if rnd.IntN(100) < 45 {
					i := rnd.IntN(len(live[p]))
					gone := live[p][i]
					live[p] = append(live[p][:i], live[p][i+1:]...)
					if do("delete", rep[rnd.IntN(3)].Delete(ctx, gone)) {
						deletes.Add(1)
						over("deleted", gone, owner)
					}
				}
			}
			// Redis agrees with the worker on every principal's live
			// sessions, within the bound; then they all end.
			for _, p := range mine {
				n, err := c.ZCard(ctx, rep[0].principalKey(pool[p])).Result()
				if do("zcard", err) && (n != int64(len(live[p])) || n > bound) {
					v.add("bound", "Redis holds %d sessions of a principal, the worker %d", n, len(live[p]))
				}
				for _, id := range live[p] {
					if do("delete", rep[rnd.IntN(3)].Delete(ctx, id)) {
						deletes.Add(1)
						over("deleted", id, pool[p])
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	keys := bindingKeys(t, c)
	t.Logf("%d sessions across %d replicas by %d workers in %v: %d store operations (%.0f/s), %d ended by the bound, %d deleted, %d foreign binds refused (ErrSessionTaken); sessions' keys and principals' sets left: %d (all keys: %d)",
		sessions, len(rep), workers, elapsed.Round(time.Millisecond), ops.Load(), float64(ops.Load())/elapsed.Seconds(),
		evictions.Load(), deletes.Load(), foreigns.Load(), keys, scanCount(t, c, DefaultPrefix+"*"))
	for kind, n := range v.count {
		t.Errorf("%d violations of kind %q, the first: %s", n, kind, v.first[kind])
	}
	assert.Equal(t, int64(sessions), foreigns.Load(), "every foreign bind refused with ErrSessionTaken")
	assert.Equal(t, int64(sessions), evictions.Load()+deletes.Load(), "every session ended, once")
	assert.Greater(t, evictions.Load(), int64(sessions/50), "the bound was exercised")
	assert.Zero(t, keys, "no key is left for ended sessions")

	m := redistest.Start(t)
	mc := m.Client()
	measureMemory(t, mc, []*Store{newStore(t, mc, nil), newStore(t, m.Client(), nil), newStore(t, m.Client(), nil)})
}

// measureMemory binds 10 000 sessions (1 000 principals with 10 each),
// and logs what Redis spends on them by INFO memory and by MEMORY USAGE;
// the value bytes per binding (the binding key and the id in the
// principal's set) must be at most 200.
func measureMemory(t *testing.T, c *redis.Client, rep []*Store) {
	const n, per = 10_000, 10
	ctx := context.Background()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = rand.Text() // 26 characters, as the go-sdk's ids
	}
	owner := func(i int) mcphandler.Key { return key("memory-" + strconv.Itoa(i/per)) }
	bindAll := func(ids []string, first int) {
		var wg sync.WaitGroup
		for w := range 16 {
			wg.Go(func() {
				for i := w; i < len(ids); i += 16 {
					_, err := rep[i%len(rep)].Bind(ctx, ids[i], owner(first+i))
					assert.NoError(t, err)
				}
			})
		}
		wg.Wait()
	}
	// Warm up: the scripts are loaded and every connection is open.
	warm := make([]string, 10*per)
	for i := range warm {
		warm[i] = "warm-" + strconv.Itoa(i)
	}
	bindAll(warm, n)

	before := memoryInfo(t, c)
	bindAll(ids, 0)
	after := memoryInfo(t, c)
	require.Equal(t, n+len(warm)+(n+len(warm))/per, bindingKeys(t, c), "a key per session and one per principal")

	var value, sessionKey, setKey int64
	const sample = 100
	for i := range sample {
		s := rep[0]
		sk, pk := s.sessionKey(ids[i*per]), s.principalKey(owner(i*per))
		v, err := c.Get(ctx, sk).Result()
		require.NoError(t, err)
		value += int64(len(v) + len(ids[i*per])) // the binding key, and the id as a member
		u, err := c.MemoryUsage(ctx, sk, 0).Result()
		require.NoError(t, err)
		sessionKey += u
		u, err = c.MemoryUsage(ctx, pk, 0).Result()
		require.NoError(t, err)
		setKey += u
	}
	perBinding := float64(after["used_memory"]-before["used_memory"]) / n
	clients := float64(after["mem_clients_normal"]-before["mem_clients_normal"]) / n
	valuePer := float64(value) / sample
	t.Logf("Redis memory per binding: %.0f B without the clients' buffers (used_memory %d → %d for %d bindings of %d principals: %.0f B per binding, %.0f B of it the clients' query buffers); value bytes per binding %.0f (+8 of score); MEMORY USAGE: session key %d B, principal's set %d B for %d sessions (%d B per binding)",
		perBinding-clients, before["used_memory"], after["used_memory"], n, n/per, perBinding, clients, valuePer, sessionKey/sample, setKey/sample, per, sessionKey/sample+setKey/sample/per)
	assert.LessOrEqual(t, valuePer, 200.0, "value bytes per binding")

	for i, id := range append(ids, warm...) {
		require.NoError(t, rep[i%len(rep)].Delete(ctx, id))
	}
	assert.Zero(t, bindingKeys(t, c), "no key is left for ended sessions")
}

// bindingKeys counts, with SCAN, the sessions' keys and the principals'
// sets in Redis.
func bindingKeys(t *testing.T, c *redis.Client) int {
	return scanCount(t, c, DefaultPrefix+"s:*") + scanCount(t, c, DefaultPrefix+"p:*")
}

// scanCount counts the keys matching pattern with SCAN.
func scanCount(t *testing.T, c *redis.Client, pattern string) int {
	t.Helper()
	n := 0
	iter := c.Scan(context.Background(), 0, pattern, 1000).Iterator()
	for iter.Next(context.Background()) {
		n++
	}
	require.NoError(t, iter.Err())
	return n
}

// memoryInfo reads the numbers of INFO memory.
func memoryInfo(t *testing.T, c *redis.Client) map[string]int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "memory").Result()
	require.NoError(t, err)
	m := map[string]int64{}
	for line := range strings.Lines(info) {
		name, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			m[name] = n
		}
	}
	require.Contains(t, m, "used_memory")
	return m
}
