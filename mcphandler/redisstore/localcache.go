package redisstore

import (
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/internal/evict"
	"github.com/mcpauth/mcpauth/mcphandler"
)

// maxLocal bounds the local cache of a replica.
const maxLocal = 16384

// localCache remembers, for a short while, the bindings Redis confirmed:
// session id to the one key it was confirmed for. A nil *localCache is
// an empty one that keeps nothing.
type localCache struct {
	ttl time.Duration
	now func() time.Time
	mu  sync.Mutex
	m   map[string]localEntry
}

type localEntry struct {
	key   mcphandler.Key
	until int64 // unix nanoseconds
}

func newLocalCache(ttl time.Duration, now func() time.Time) *localCache {
	return &localCache{ttl: ttl, now: now, m: map[string]localEntry{}}
}

// has reports whether Redis confirmed id for key within the TTL.
func (c *localCache) has(id string, key mcphandler.Key) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	return ok && e.key == key && c.now().UnixNano() < e.until
}

// put records that Redis confirmed id for key now.
func (c *localCache) put(id string, key mcphandler.Key) {
	if c == nil {
		return
	}
	now := c.now().UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[id]; !ok && len(c.m) >= maxLocal {
		if victim, ok := evict.Victim(c.m, func(e localEntry) (int64, bool) { return e.until, e.until <= now }); ok {
			delete(c.m, victim)
		}
	}
	c.m[id] = localEntry{key: key, until: now + int64(c.ttl)}
}

// forget drops id.
func (c *localCache) forget(id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}
