package mcphandler

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
)

// Key identifies who a session belongs to: the principal's issuer and
// subject (its [authresult.BindingKey]) and the route the session was
// made on. It does not depend on the token, so a refreshed token keeps
// the session.
type Key [sha256.Size]byte

// keyFor derives the binding key of p on route: one SHA-256 over the
// length-prefixed issuer, subject and route, so no choice of the three
// strings can collide with another.
func keyFor(p *authresult.Principal, route string) Key {
	var stack [256]byte
	b := stack[:0]
	for _, s := range [...]string{p.Issuer, p.Subject, route} {
		b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	return sha256.Sum256(b)
}

// keyCache remembers binding keys, which are pure functions of issuer,
// subject and route, so that a principal's requests hash once rather than
// once each. It holds at most maxCachedKeys entries and is emptied when
// full.
type keyCache struct {
	m sync.Map // identity -> Key
	n atomic.Int64
}

type identity struct{ iss, sub, route string }

const maxCachedKeys = 4096

func (c *keyCache) get(p *authresult.Principal, route string) Key {
	id := identity{p.Issuer, p.Subject, route}
	if k, ok := c.m.Load(id); ok {
		return k.(Key)
	}
	k := keyFor(p, route)
	if c.n.Add(1) > maxCachedKeys {
		c.m.Clear()
		c.n.Store(1)
	}
	c.m.Store(id, k)
	return k
}

// Store records which principal each session belongs to. Implementations
// must be safe for concurrent use. An error from any method makes the
// guard refuse the request with 503: a store that cannot answer never
// lets a request through.
type Store interface {
	// Bind records that session id belongs to key. It fails if id is
	// already bound to another key.
	Bind(ctx context.Context, id string, key Key) error
	// Check reports whether id is bound to key, refreshing its idle
	// timer when it is. Unknown, expired and foreign ids are all false.
	Check(ctx context.Context, id string, key Key) (bool, error)
	// Delete forgets id.
	Delete(ctx context.Context, id string) error
}

// ErrSessionTaken is returned by Bind for an id bound to another key.
var ErrSessionTaken = errors.New("mcphandler: session id already bound to another principal")

// MemoryStoreOptions configures a [MemoryStore]; zero fields mean the
// defaults.
type MemoryStoreOptions struct {
	// MaxEntries bounds the bindings held; default 100000. When full, an
	// expired binding is dropped, else the least recently used of a random
	// sample of 16 (an approximate LRU that needs no list per binding).
	MaxEntries int
	// IdleTTL is how long an unused binding lives; default 1 hour.
	IdleTTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// MemoryStore is the in-memory [Store].
type MemoryStore struct {
	mu      sync.Mutex
	m       map[string]binding
	max     int
	ttl     int64 // nanoseconds
	now     func() time.Time
	inserts int
}

// binding is one session's owner and when it was last used.
type binding struct {
	key  Key
	seen int64 // unix nanoseconds
}

// evictSample is how many entries a full store looks at for a victim.
const evictSample = 16

// sweepEvery is how many binds pass between full sweeps of expired
// entries.
const sweepEvery = 4096

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore(opts MemoryStoreOptions) *MemoryStore {
	s := &MemoryStore{m: map[string]binding{}, max: opts.MaxEntries, ttl: int64(opts.IdleTTL), now: opts.Now}
	if s.max <= 0 {
		s.max = 100_000
	}
	if s.ttl <= 0 {
		s.ttl = int64(time.Hour)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Bind implements [Store].
func (s *MemoryStore) Bind(_ context.Context, id string, key Key) error {
	now := s.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.m[id]; ok && b.key != key && now-b.seen < s.ttl {
		return ErrSessionTaken
	}
	if s.inserts++; s.inserts%sweepEvery == 0 {
		s.sweep(now)
	}
	if _, ok := s.m[id]; !ok && len(s.m) >= s.max {
		s.evict(now)
	}
	s.m[id] = binding{key: key, seen: now}
	return nil
}

// Check implements [Store].
func (s *MemoryStore) Check(_ context.Context, id string, key Key) (bool, error) {
	now := s.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[id]
	switch {
	case !ok:
		return false, nil
	case now-b.seen >= s.ttl:
		delete(s.m, id)
		return false, nil
	case b.key != key:
		return false, nil
	}
	b.seen = now
	s.m[id] = b
	return true, nil
}

// Delete implements [Store].
func (s *MemoryStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
	return nil
}

// Len returns the number of bindings held, expired ones included until
// they are swept.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *MemoryStore) sweep(now int64) {
	for id, b := range s.m {
		if now-b.seen >= s.ttl {
			delete(s.m, id)
		}
	}
}

// evict drops an expired binding if the sample has one, else the least
// recently used of the sample (map iteration starts at a random place).
func (s *MemoryStore) evict(now int64) {
	victim, oldest, n := "", int64(0), 0
	for id, b := range s.m {
		if now-b.seen >= s.ttl {
			victim = id
			break
		}
		if n == 0 || b.seen < oldest {
			victim, oldest = id, b.seen
		}
		if n++; n >= evictSample {
			break
		}
	}
	delete(s.m, victim)
}
