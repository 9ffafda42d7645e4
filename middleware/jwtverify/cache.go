package jwtverify

import (
	"hash/maphash"
	"strings"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/evict"
)

// tokenCache remembers verified tokens. The hash of a token is only the
// index: a hit requires the stored token to equal the presented one byte
// for byte, so a hash collision is a miss, never a wrong principal.
// Entries hold the key that verified them and are dropped once that key
// leaves its JWKS. Only successes are stored.
type tokenCache struct {
	seed     maphash.Seed
	shards   []cacheShard
	perShard int
	ttl      time.Duration
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[uint64]*cacheEntry
}

type cacheEntry struct {
	token     string
	principal *authresult.Principal
	validFrom time.Time // nbf minus leeway; zero when the token has no nbf
	until     time.Time // the earlier of exp plus leeway and insertion plus TTL
	key       *verifyKey
}

// usable reports whether e may answer a request at now.
func (e *cacheEntry) usable(now time.Time) bool {
	return now.Before(e.until) && !now.Before(e.validFrom) && !e.key.removed.Load()
}

// newTokenCache returns a cache holding at most maxEntries tokens.
func newTokenCache(maxEntries int, ttl time.Duration) *tokenCache {
	n := 1
	if maxEntries >= 1024 {
		n = 16
	}
	c := &tokenCache{
		seed:     maphash.MakeSeed(),
		shards:   make([]cacheShard, n),
		perShard: maxEntries / n,
		ttl:      ttl,
	}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]*cacheEntry)
	}
	return c
}

func (c *tokenCache) shard(h uint64) *cacheShard {
	return &c.shards[h%uint64(len(c.shards))]
}

// get returns the principal cached for token, or nil. An entry that is no
// longer usable is removed.
func (c *tokenCache) get(token string, now time.Time) *authresult.Principal {
	h := maphash.String(c.seed, token)
	s := c.shard(h)
	s.mu.RLock()
	e := s.m[h]
	s.mu.RUnlock()
	if e == nil || e.token != token {
		return nil
	}
	if !e.usable(now) {
		s.mu.Lock()
		if s.m[h] == e {
			delete(s.m, h)
		}
		s.mu.Unlock()
		return nil
	}
	return e.principal
}

// put stores a verified token. exp is the token's expiry plus leeway (zero
// for none), nbf its not-before minus leeway (zero for none).
func (c *tokenCache) put(token string, p *authresult.Principal, key *verifyKey, now, nbf, exp time.Time) {
	until := now.Add(c.ttl)
	if !exp.IsZero() && exp.Before(until) {
		until = exp
	}
	if !now.Before(until) {
		return
	}
	// The token is copied: a caller's string may share memory with a
	// request buffer.
	e := &cacheEntry{token: strings.Clone(token), principal: p, validFrom: nbf, until: until, key: key}
	h := maphash.String(c.seed, token)
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[h]; !ok && len(s.m) >= c.perShard {
		s.evictOne(now)
	}
	s.m[h] = e
}

// evictOne removes one entry: an unusable one, else the one that expires
// soonest, of a small random sample.
func (s *cacheShard) evictOne(now time.Time) {
	if victim, ok := evict.Victim(s.m, func(e *cacheEntry) (int64, bool) { return e.until.UnixNano(), !e.usable(now) }); ok {
		delete(s.m, victim)
	}
}

// dropRemoved deletes every entry whose key has been removed.
func (c *tokenCache) dropRemoved() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for h, e := range s.m {
			if e.key.removed.Load() {
				delete(s.m, h)
			}
		}
		s.mu.Unlock()
	}
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
