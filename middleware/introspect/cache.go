package introspect

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/evict"
)

// tokenCache remembers tokens the endpoint called active and that passed
// every check. Entries are found by the SHA-256 hash of the token, and
// the token itself is not kept: a heap dump or a debugger shows no
// usable credential. Two tokens with one hash would be a SHA-256
// collision. Only successes are stored.
type tokenCache struct {
	shards   []cacheShard
	perShard int
	ttl      time.Duration
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[[sha256.Size]byte]*cacheEntry
}

type cacheEntry struct {
	principal *authresult.Principal
	until     time.Time // the earlier of exp and insertion plus TTL
}

// newTokenCache returns a cache holding at most maxEntries tokens.
func newTokenCache(maxEntries int, ttl time.Duration) *tokenCache {
	n := 1
	if maxEntries >= 1024 {
		n = 16
	}
	c := &tokenCache{
		shards:   make([]cacheShard, n),
		perShard: max(maxEntries/n, 1),
		ttl:      ttl,
	}
	for i := range c.shards {
		c.shards[i].m = make(map[[sha256.Size]byte]*cacheEntry)
	}
	return c
}

func (c *tokenCache) shard(key *[sha256.Size]byte) *cacheShard {
	return &c.shards[binary.LittleEndian.Uint64(key[:8])%uint64(len(c.shards))]
}

// get returns the principal cached under key, or nil. An entry that has
// run out is removed.
func (c *tokenCache) get(key *[sha256.Size]byte, now time.Time) *authresult.Principal {
	s := c.shard(key)
	s.mu.RLock()
	e := s.m[*key]
	s.mu.RUnlock()
	if e == nil {
		return nil
	}
	if !now.Before(e.until) {
		s.mu.Lock()
		if s.m[*key] == e {
			delete(s.m, *key)
		}
		s.mu.Unlock()
		return nil
	}
	return e.principal
}

// put stores an accepted token's principal until the earlier of exp (zero
// for none) and now plus the TTL.
func (c *tokenCache) put(key *[sha256.Size]byte, p *authresult.Principal, now, exp time.Time) {
	until := now.Add(c.ttl)
	if !exp.IsZero() && exp.Before(until) {
		until = exp
	}
	if !now.Before(until) {
		return
	}
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[*key]; !ok && len(s.m) >= c.perShard {
		if victim, ok := evict.Victim(s.m, func(e *cacheEntry) (int64, bool) {
			return e.until.UnixNano(), !now.Before(e.until)
		}); ok {
			delete(s.m, victim)
		}
	}
	s.m[*key] = &cacheEntry{principal: p, until: until}
}

// len returns the number of entries.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
