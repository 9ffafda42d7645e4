package mcphandler

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/internal/evict"
)

// Store records which principal each session belongs to. Implementations
// must be safe for concurrent use. An error from any method makes the
// guard refuse the request with 503: a store that cannot answer never
// lets a request through.
type Store interface {
	// Bind records that session id belongs to key. It fails with
	// ErrSessionTaken if id is already bound to another key. To stay
	// within its bounds it may end other bindings (the least recently
	// used of key's own when key holds its maximum, or expired ones); it
	// returns them, and the guard then ends those sessions on the server
	// too.
	Bind(ctx context.Context, id string, key Key) (ended []Binding, err error)
	// Check reports whether id is bound to key, refreshing its idle
	// timer when it is. Unknown, expired and foreign ids are all false.
	Check(ctx context.Context, id string, key Key) (bool, error)
	// Delete forgets id.
	Delete(ctx context.Context, id string) error
}

// Binding is a session id and the key it is bound to.
type Binding struct {
	ID  string
	Key Key
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
	// MaxPerPrincipal bounds the sessions one principal holds on one
	// route; default 16. A new session past it ends the principal's least
	// recently used one, so no single user can make the server behind the
	// guard hold unbounded session state.
	MaxPerPrincipal int
	// IdleTTL is how long an unused binding lives; default 1 hour.
	IdleTTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// MemoryStore is the in-memory [Store]. It keeps its bindings in one
// process; replicas of a server need a shared Store.
type MemoryStore struct {
	mu        sync.Mutex
	m         map[string]binding
	byKey     map[Key][]string // each key's session ids
	max       int
	perKey    int
	ttl       int64 // nanoseconds
	now       func() time.Time
	inserts   int
	lastSweep int64
}

// binding is one session's owner and when it was last used.
type binding struct {
	key  Key
	seen int64 // unix nanoseconds
}

// sweepEvery is how many binds pass, at most, between full sweeps of
// expired entries; a sweep also runs when a tenth of IdleTTL has passed
// since the last one.
const sweepEvery = 4096

// NewMemoryStore returns an empty in-memory store. A nil *opts, and every
// zero field, means the documented default.
func NewMemoryStore(opts *MemoryStoreOptions) *MemoryStore {
	if opts == nil {
		opts = &MemoryStoreOptions{}
	}
	s := &MemoryStore{
		m: map[string]binding{}, byKey: map[Key][]string{},
		max: opts.MaxEntries, perKey: opts.MaxPerPrincipal, ttl: int64(opts.IdleTTL), now: opts.Now,
	}
	if s.max <= 0 {
		s.max = 100_000
	}
	if s.perKey <= 0 {
		s.perKey = 16
	}
	if s.ttl <= 0 {
		s.ttl = int64(time.Hour)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.lastSweep = s.now().UnixNano()
	return s
}

// Bind implements [Store].
func (s *MemoryStore) Bind(_ context.Context, id string, key Key) ([]Binding, error) {
	now := s.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	old, exists := s.m[id]
	if exists && old.key != key && now-old.seen < s.ttl {
		return nil, ErrSessionTaken
	}
	if exists {
		// An expired id bound anew: the server issued it again, so its
		// old session is gone and must not be ended.
		s.remove(id)
	}
	var ended []Binding
	if s.inserts++; s.inserts%sweepEvery == 0 || now-s.lastSweep >= s.ttl/10 {
		ended = s.sweep(now, ended)
	}
	if ids := s.byKey[key]; len(ids) >= s.perKey {
		ended = append(ended, Binding{ID: s.leastRecent(ids), Key: key})
		s.remove(ended[len(ended)-1].ID)
	}
	if len(s.m) >= s.max {
		ended = s.evict(now, ended)
	}
	s.m[id] = binding{key: key, seen: now}
	s.byKey[key] = append(s.byKey[key], id)
	return ended, nil
}

// Check implements [Store]. An expired binding stays until a sweep ends
// it, so that the guard learns of it.
func (s *MemoryStore) Check(_ context.Context, id string, key Key) (bool, error) {
	now := s.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[id]
	if !ok || now-b.seen >= s.ttl || b.key != key {
		return false, nil
	}
	b.seen = now
	s.m[id] = b
	return true, nil
}

// Delete implements [Store].
func (s *MemoryStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	s.remove(id)
	s.mu.Unlock()
	return nil
}

// len returns the number of bindings held, expired ones included until
// they are swept.
func (s *MemoryStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// remove forgets id, and it in its key's list. s.mu is held.
func (s *MemoryStore) remove(id string) {
	b, ok := s.m[id]
	if !ok {
		return
	}
	delete(s.m, id)
	ids := s.byKey[b.key]
	for i, x := range ids {
		if x == id {
			ids = append(ids[:i], ids[i+1:]...)
			break
		}
	}
	if len(ids) == 0 {
		delete(s.byKey, b.key)
	} else {
		s.byKey[b.key] = ids
	}
}

// leastRecent returns the id in ids used longest ago. s.mu is held.
func (s *MemoryStore) leastRecent(ids []string) string {
	victim, oldest := ids[0], s.m[ids[0]].seen
	for _, id := range ids[1:] {
		if seen := s.m[id].seen; seen < oldest {
			victim, oldest = id, seen
		}
	}
	return victim
}

// sweep ends every expired binding, appending it to ended.
func (s *MemoryStore) sweep(now int64, ended []Binding) []Binding {
	s.lastSweep = now
	for id, b := range s.m {
		if now-b.seen >= s.ttl {
			ended = append(ended, Binding{ID: id, Key: b.key})
			s.remove(id)
		}
	}
	return ended
}

// evict ends an expired binding if a sample has one, else the least
// recently used of the sample.
func (s *MemoryStore) evict(now int64, ended []Binding) []Binding {
	victim, _ := evict.Victim(s.m, func(b binding) (int64, bool) { return b.seen, now-b.seen >= s.ttl })
	ended = append(ended, Binding{ID: victim, Key: s.m[victim].key})
	s.remove(victim)
	return ended
}
