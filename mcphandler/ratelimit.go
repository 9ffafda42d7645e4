package mcphandler

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/evict"
)

// CodeRateLimited answers a request past its principal's rate limit
// (HTTP 429 with Retry-After).
const CodeRateLimited = -32029

// Limiter holds token buckets: each key has one, refilled at a steady
// rate up to a burst. [MemoryLimiter] holds them in one process;
// redisstore.Limiter in Redis, shared by replicas. Implementations must
// be safe for concurrent use.
type Limiter interface {
	// Take takes n tokens from key's bucket. When it holds fewer, it
	// takes none and reports how long until it holds n, or a negative
	// duration when it never can (n is over the burst). An error refuses
	// the request with 503: a limiter that cannot answer lets nothing
	// through.
	Take(ctx context.Context, key string, n int) (ok bool, retryAfter time.Duration, err error)
}

// RateLimit limits each principal's requests (Options.RateLimit).
type RateLimit struct {
	// Limiter holds each principal's bucket, from which every request
	// takes a token per JSON-RPC message. Required.
	Limiter Limiter
	// Tools gives the tools listed a bucket per principal of their own,
	// from the tool's limiter (with its own rate): a tools/call of one
	// takes from both, so an expensive tool is held to its rate while
	// the principal's other requests use the rest.
	Tools map[string]Limiter
}

// checkRateLimit takes a token per message (one for GET and DELETE) from
// the principal's bucket and one per call of a listed tool from the
// tool's. Keys are the principal's binding key (hashed issuer and
// subject), with the tool's name.
func (h *Handler) checkRateLimit(q *request) *refusal {
	rl := h.cfg.rateLimit
	if rl == nil {
		return nil
	}
	bk := q.a.principal.BindingKey()
	key := hex.EncodeToString(bk[:])
	if f := h.take(q, rl.Limiter, key, max(len(q.a.msgs), 1)); f != nil {
		return f
	}
	for i := range q.a.msgs {
		m := &q.a.msgs[i]
		if l := rl.Tools[m.name]; l != nil && m.method == "tools/call" {
			if f := h.take(q, l, key+" tool "+m.name, 1); f != nil {
				return f
			}
		}
	}
	return nil
}

func (h *Handler) take(q *request, l Limiter, key string, n int) *refusal {
	ok, wait, err := l.Take(q.r.Context(), key, n)
	switch {
	case err != nil:
		return authRefusal(checkRateLimit, q.firstID(), authresult.Unavailable("rate limiter unavailable", 0, err))
	case !ok && wait < 0:
		return kindOverBurst.refuse(checkRateLimit, q.firstID())
	case !ok:
		f := kindRateLimited.refuse(checkRateLimit, q.firstID())
		f.retryAfter = max(wait, time.Second)
		return f
	}
	return nil
}

// MemoryLimiter is a [Limiter] in this process's memory, for a single
// replica: replicas each hold their own buckets.
type MemoryLimiter struct {
	rate    float64 // tokens per second
	burst   float64
	max     int
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]bucket
}

type bucket struct {
	tokens float64
	at     int64 // unix nanoseconds of tokens
}

// MemoryLimiterOptions configures a [MemoryLimiter].
type MemoryLimiterOptions struct {
	// Rate is the tokens each bucket gains per second. Required.
	Rate float64
	// Burst is what a bucket holds at most, and holds at first. Default:
	// a second's worth, at least 1.
	Burst int
	// MaxKeys bounds the buckets held; past it the fullest one is dropped
	// (a full bucket is a fresh one). Default 100000.
	MaxKeys int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

var errLimiter = errors.New("mcphandler: invalid limiter options")

// NewMemoryLimiter returns a limiter with opts.
func NewMemoryLimiter(opts *MemoryLimiterOptions) (*MemoryLimiter, error) {
	if opts == nil || !(opts.Rate > 0) || math.IsInf(opts.Rate, 0) || opts.Burst < 0 || opts.MaxKeys < 0 {
		return nil, fmt.Errorf("%w: Rate must be positive and finite, Burst and MaxKeys not negative", errLimiter)
	}
	l := &MemoryLimiter{rate: opts.Rate, burst: float64(opts.Burst), max: opts.MaxKeys, now: opts.Now, buckets: map[string]bucket{}}
	if l.burst == 0 {
		l.burst = max(math.Floor(opts.Rate), 1)
	}
	if l.max == 0 {
		l.max = 100_000
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l, nil
}

// Take implements [Limiter].
func (l *MemoryLimiter) Take(_ context.Context, key string, n int) (bool, time.Duration, error) {
	now := l.now().UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			if victim, ok := evict.Victim(l.buckets, func(b bucket) (int64, bool) { return b.at, l.fill(b, now) >= l.burst }); ok {
				delete(l.buckets, victim)
			}
		}
		b = bucket{tokens: l.burst, at: now}
	}
	need := float64(n)
	if need > l.burst {
		return false, -1, nil
	}
	tokens := l.fill(b, now)
	if tokens < need {
		l.buckets[key] = bucket{tokens: tokens, at: now}
		return false, time.Duration((need - tokens) / l.rate * float64(time.Second)), nil
	}
	l.buckets[key] = bucket{tokens: tokens - need, at: now}
	return true, 0, nil
}

// fill is what b holds at now.
func (l *MemoryLimiter) fill(b bucket, now int64) float64 {
	elapsed := float64(max(now-b.at, 0)) / float64(time.Second)
	return math.Min(l.burst, b.tokens+elapsed*l.rate)
}
