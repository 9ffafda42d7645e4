package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/mcphandler"
)

// LimiterOptions configures a [Limiter]. Client and Rate are required.
type LimiterOptions struct {
	// Client is the Redis connection, as for [Options].
	Client redis.UniversalClient
	// Prefix namespaces the keys. Default DefaultPrefix.
	Prefix string
	// Rate is the tokens each bucket gains per second.
	Rate float64
	// Burst is what a bucket holds at most, and at first. Default: a
	// second's worth, at least 1.
	Burst int
	// Timeout bounds each operation. Default DefaultTimeout.
	Timeout time.Duration
}

// Limiter is an [mcphandler.Limiter] in Redis: one token bucket per key,
// shared by every replica, refilled by the Redis server's clock. A bucket
// is one hash under a hashed key, expiring once it would be full again.
type Limiter struct {
	c       redis.UniversalClient
	prefix  string
	rate    float64
	burst   float64
	timeout time.Duration
}

var _ mcphandler.Limiter = (*Limiter)(nil)

// NewLimiter returns a limiter with opts. It does not contact Redis.
func NewLimiter(opts *LimiterOptions) (*Limiter, error) {
	switch {
	case opts == nil || opts.Client == nil:
		return nil, fmt.Errorf("%w: Client is required", errConfig)
	case !(opts.Rate > 0) || math.IsInf(opts.Rate, 0):
		return nil, fmt.Errorf("%w: Rate must be positive and finite", errConfig)
	case opts.Burst < 0 || opts.Timeout < 0:
		return nil, fmt.Errorf("%w: negative Burst or Timeout", errConfig)
	case strings.ContainsAny(opts.Prefix, "{} \r\n"):
		return nil, fmt.Errorf("%w: Prefix %q has braces, spaces or line breaks", errConfig, opts.Prefix)
	}
	if _, ok := opts.Client.(*redis.ClusterClient); ok {
		return nil, fmt.Errorf("%w: Redis Cluster is not supported", errConfig)
	}
	l := &Limiter{c: opts.Client, prefix: opts.Prefix, rate: opts.Rate, burst: float64(opts.Burst), timeout: opts.Timeout}
	if l.prefix == "" {
		l.prefix = DefaultPrefix
	}
	if l.burst == 0 {
		l.burst = max(math.Floor(l.rate), 1)
	}
	if l.timeout == 0 {
		l.timeout = DefaultTimeout
	}
	return l, nil
}

// takeScript takes ARGV[3] tokens from the bucket KEYS[1] refilled at
// ARGV[1] per second up to ARGV[2]: {1, 0} when taken, {0, -1} when it
// can never hold them, else {0, the milliseconds until it holds them}.
var takeScript = redis.NewScript(`
local rate, burst, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if n > burst then return {0, -1} end
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(b[1]), tonumber(b[2])
if not tokens then tokens, at = burst, now end
tokens = math.min(burst, tokens + math.max(now - at, 0) / 1000 * rate)
local ok, wait = 0, 0
if tokens >= n then
  tokens, ok = tokens - n, 1
else
  wait = math.ceil((n - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {ok, wait}
`)

// Take implements [mcphandler.Limiter].
func (l *Limiter) Take(ctx context.Context, key string, n int) (bool, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	sum := sha256.Sum256([]byte(key))
	res, err := takeScript.Run(ctx, l.c, []string{l.prefix + "r:" + hex.EncodeToString(sum[:])}, l.rate, l.burst, n).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("redisstore: rate limit: %w", err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("redisstore: rate limit: unexpected reply %v", res)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Millisecond, nil
}
