// Package redisstore keeps the guard's session bindings in Redis, so that
// every replica of a server or gateway sees the same bindings: a session
// made on one replica works on all, is another user's 404 on all, and
// ends on all when it is deleted on one.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	store, err := redisstore.New(&redisstore.Options{Client: rdb})
//	guard, err := mcphandler.New(mcpServer, &mcphandler.Options{Store: store})
//
// # What is stored
//
// Two keys per binding, both under Options.Prefix and both hashed: the
// session (SHA-1 of its id, hex) holds the binding key, itself a SHA-256
// of issuer, subject and route (mcphandler.Key), and expires after
// IdleTTL without use; the principal's sorted set, named by the binding
// key, holds its session ids by time of last use, so that its bound can
// be kept across replicas and its expired sessions ended on the server.
// No token, subject or issuer is ever written to Redis; session ids are,
// in the principal's set, as the guard needs them to end sessions.
//
// Every operation is one Lua script, atomic on the server, timed by the
// server's clock (so replicas whose clocks differ agree), and bounded by
// Options.Timeout. An id bound to another principal stays theirs: the
// first writer wins on every replica.
//
// # When Redis fails
//
// Any error — Redis unreachable, slow, read-only, out of memory, a script
// error — is returned, and the guard answers 503 with Retry-After: a
// request is never let through unbound. The client reconnects by itself;
// no restart is needed when Redis comes back. If Redis loses its data
// (a restart without persistence, a failover that lost writes), every
// session is unknown: clients get 404 and initialize again. Nothing can
// bind a session to another user, because a lost binding is absent, not
// reassigned.
//
// # Deployments
//
// Options.Client is a redis.UniversalClient: a single server (with TLS
// and ACL credentials in its options), or Sentinel (a failover client).
// Redis Cluster is not supported: a binding's two keys live in different
// hash slots, and New refuses a cluster client.
package redisstore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/mcphandler"
)

// Defaults of Options.
const (
	DefaultPrefix          = "mcpauth:"
	DefaultIdleTTL         = time.Hour
	DefaultMaxPerPrincipal = 16
	DefaultTimeout         = time.Second
)

// Options configures a [Store]. Client is required; every zero field
// means the default named after it.
type Options struct {
	// Client is the Redis connection: *redis.Client or a failover client
	// (Sentinel). A cluster client is refused.
	Client redis.UniversalClient
	// Prefix namespaces the keys, so that several services can share one
	// Redis. Default DefaultPrefix.
	Prefix string
	// IdleTTL is how long an unused binding lives. Default
	// DefaultIdleTTL.
	IdleTTL time.Duration
	// MaxPerPrincipal bounds the sessions one principal holds on one
	// route, across all replicas; a new one past it ends the least
	// recently used. Default DefaultMaxPerPrincipal.
	MaxPerPrincipal int
	// Timeout bounds each operation. Default DefaultTimeout.
	Timeout time.Duration
	// LocalCache, when positive (at most MaxLocalCache), lets a replica
	// answer a check from its own memory for that long after Redis last
	// confirmed the binding, so that a session's steady requests cost no
	// round trip. Only positive answers for the exact id and principal
	// are kept, and an ended id cannot be bound again, by anyone, for
	// MaxLocalCache (every store leaves a tombstone), so a cached answer
	// never admits a principal into a session that is now another's. The
	// price is that a session ended on another replica (a DELETE, an
	// eviction) still works here for up to LocalCache; one ended on this
	// replica stops at once. Zero (the default) asks Redis every time.
	LocalCache time.Duration
}

// MaxLocalCache bounds Options.LocalCache. It is also how long an ended
// session id stays unbindable (its tombstone), on every store whatever
// its own LocalCache, so that no replica's cached answer can outlive it.
const MaxLocalCache = 10 * time.Second

// tombstone is MaxLocalCache; the package's tests shorten it.
var tombstone = MaxLocalCache

// Store is an [mcphandler.Store] in Redis. It is safe for concurrent use
// by any number of replicas.
type Store struct {
	c       redis.UniversalClient
	prefix  string
	ttl     time.Duration
	max     int
	timeout time.Duration
	local   *localCache // nil without Options.LocalCache
}

var _ mcphandler.Store = (*Store)(nil)

var errConfig = errors.New("redisstore: invalid options")

// New returns a store on opts.Client. It does not contact Redis: an
// unreachable Redis shows as errors of the operations (503), not as a
// failure to start.
func New(opts *Options) (*Store, error) {
	if opts == nil || opts.Client == nil {
		return nil, fmt.Errorf("%w: Client is required", errConfig)
	}
	if _, ok := opts.Client.(*redis.ClusterClient); ok {
		return nil, fmt.Errorf("%w: Redis Cluster is not supported (a binding's keys span hash slots)", errConfig)
	}
	s := &Store{c: opts.Client, prefix: opts.Prefix, ttl: opts.IdleTTL, max: opts.MaxPerPrincipal, timeout: opts.Timeout}
	switch {
	case s.ttl < 0 || s.max < 0 || s.timeout < 0 || opts.LocalCache < 0:
		return nil, fmt.Errorf("%w: negative IdleTTL, MaxPerPrincipal, Timeout or LocalCache", errConfig)
	case strings.ContainsAny(s.prefix, "{} \r\n"):
		return nil, fmt.Errorf("%w: Prefix %q has braces, spaces or line breaks", errConfig, s.prefix)
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.ttl == 0 {
		s.ttl = DefaultIdleTTL
	}
	if s.ttl < time.Millisecond {
		return nil, fmt.Errorf("%w: IdleTTL under a millisecond", errConfig)
	}
	if s.max == 0 {
		s.max = DefaultMaxPerPrincipal
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if opts.LocalCache > 0 {
		if opts.LocalCache >= s.ttl || opts.LocalCache > MaxLocalCache {
			return nil, fmt.Errorf("%w: LocalCache must be at most MaxLocalCache and shorter than IdleTTL", errConfig)
		}
		s.local = newLocalCache(opts.LocalCache, time.Now)
	}
	return s, nil
}

// sessionKey is the key of session id: its SHA-1, hex, under the prefix.
// The scripts compute the same with redis.sha1hex.
func (s *Store) sessionKey(id string) string {
	sum := sha1.Sum([]byte(id))
	return s.prefix + "s:" + hex.EncodeToString(sum[:])
}

// tombstoneKey is the key that keeps an ended id unbindable.
func (s *Store) tombstoneKey(id string) string {
	sum := sha1.Sum([]byte(id))
	return s.prefix + "t:" + hex.EncodeToString(sum[:])
}

// principalKey is the key of the sorted set of key's sessions.
func (s *Store) principalKey(key mcphandler.Key) string {
	return s.prefix + "p:" + hex.EncodeToString(key[:])
}

// bindScript binds ARGV[1] (the id) to ARGV[2] (the binding key, hex):
// -1 when the id is bound to another key or was ended less than a
// tombstone ago; otherwise the ids it ended, expired ones and, past
// ARGV[4] sessions, the least recently used (each leaving a tombstone of
// ARGV[6] milliseconds). KEYS[1] is the session, KEYS[2] the principal's
// set, KEYS[3] the session's tombstone; ARGV[3] the idle TTL in
// milliseconds, ARGV[5] the prefix.
var bindScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[2] then return -1 end
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
local ended = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - ttl))
if #ended > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - ttl)) end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[2], now, ARGV[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local victims = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  for _, v in ipairs(victims) do
    if v ~= ARGV[1] then
      redis.call('ZREM', KEYS[2], v)
      local h = redis.sha1hex(v)
      local sk = ARGV[5] .. 's:' .. h
      if redis.call('GET', sk) == ARGV[2] then
        redis.call('DEL', sk)
        redis.call('SET', ARGV[5] .. 't:' .. h, '1', 'PX', ARGV[6])
      end
      ended[#ended + 1] = v
    end
  end
end
redis.call('PEXPIRE', KEYS[2], ttl)
return ended
`)

// checkScript reports whether KEYS[1] is bound to ARGV[2] and, if so,
// refreshes it and its place in KEYS[2].
var checkScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`)

// deleteScript forgets the session KEYS[1] (id ARGV[1]), removes it from
// its principal's set and leaves its tombstone KEYS[2] for ARGV[3]
// milliseconds.
var deleteScript = redis.NewScript(`
local owner = redis.call('GET', KEYS[1])
if not owner then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
redis.call('ZREM', ARGV[2] .. 'p:' .. owner, ARGV[1])
return 1
`)

// Bind implements [mcphandler.Store].
func (s *Store) Bind(ctx context.Context, id string, key mcphandler.Key) ([]mcphandler.Binding, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := bindScript.Run(ctx, s.c, []string{s.sessionKey(id), s.principalKey(key), s.tombstoneKey(id)},
		id, hex.EncodeToString(key[:]), s.ttl.Milliseconds(), s.max, s.prefix, tombstone.Milliseconds()).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: bind: %w", err)
	}
	switch r := res.(type) {
	case int64:
		if r == -1 {
			return nil, mcphandler.ErrSessionTaken
		}
	case []any:
		ended := make([]mcphandler.Binding, 0, len(r))
		for _, v := range r {
			if e, ok := v.(string); ok {
				s.local.forget(e)
				ended = append(ended, mcphandler.Binding{ID: e, Key: key})
			}
		}
		return ended, nil
	}
	return nil, fmt.Errorf("redisstore: bind: unexpected reply %T", res)
}

// Check implements [mcphandler.Store].
func (s *Store) Check(ctx context.Context, id string, key mcphandler.Key) (bool, error) {
	if s.local.has(id, key) {
		return true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	n, err := checkScript.Run(ctx, s.c, []string{s.sessionKey(id), s.principalKey(key)},
		id, hex.EncodeToString(key[:]), s.ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("redisstore: check: %w", err)
	}
	if n == 1 {
		s.local.put(id, key)
	}
	return n == 1, nil
}

// Delete implements [mcphandler.Store].
func (s *Store) Delete(ctx context.Context, id string) error {
	s.local.forget(id)
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := deleteScript.Run(ctx, s.c, []string{s.sessionKey(id), s.tombstoneKey(id)}, id, s.prefix, tombstone.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("redisstore: delete: %w", err)
	}
	return nil
}
