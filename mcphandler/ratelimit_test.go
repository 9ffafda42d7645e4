package mcphandler

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
)

func TestMemoryLimiter(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	l, err := NewMemoryLimiter(&MemoryLimiterOptions{Rate: 2, Burst: 4, Now: clk.Now})
	require.NoError(t, err)
	ctx := context.Background()
	take := func(key string, n int) (bool, time.Duration) {
		ok, wait, err := l.Take(ctx, key, n)
		require.NoError(t, err)
		return ok, wait
	}
	for i := range 4 {
		ok, _ := take("a", 1)
		assert.True(t, ok, "burst %d", i)
	}
	ok, wait := take("a", 1)
	assert.False(t, ok, "past the burst")
	assert.Equal(t, 500*time.Millisecond, wait, "one token at 2/s")
	ok, _ = take("b", 4)
	assert.True(t, ok, "another key has its own bucket")
	clk.Advance(500 * time.Millisecond)
	ok, _ = take("a", 1)
	assert.True(t, ok, "refilled at the rate")
	ok, wait = take("a", 3)
	assert.False(t, ok, "a batch takes all its tokens or none")
	assert.Equal(t, 1500*time.Millisecond, wait)
	clk.Advance(time.Hour)
	ok, _ = take("a", 4)
	assert.True(t, ok, "refilled up to the burst, not beyond")
	ok, _ = take("a", 1)
	assert.False(t, ok)

	for _, o := range []*MemoryLimiterOptions{nil, {}, {Rate: -1}, {Rate: 1, Burst: -1}, {Rate: 1, MaxKeys: -1}} {
		_, err := NewMemoryLimiter(o)
		assert.Error(t, err, "%+v", o)
	}
	d, err := NewMemoryLimiter(&MemoryLimiterOptions{Rate: 0.5})
	require.NoError(t, err)
	assert.Equal(t, 1.0, d.burst, "a burst of at least one")
}

// TestMemoryLimiterBounded: the buckets held stay within MaxKeys however
// many principals come.
func TestMemoryLimiterBounded(t *testing.T) {
	l, err := NewMemoryLimiter(&MemoryLimiterOptions{Rate: 1, MaxKeys: 100})
	require.NoError(t, err)
	for i := range 10_000 {
		_, _, _ = l.Take(context.Background(), strings.Repeat("k", i%50)+string(rune(i)), 1)
	}
	assert.LessOrEqual(t, len(l.buckets), 100)
}

// TestRateLimitThroughTheGuard: past the limit the guard answers 429 with
// Retry-After and a JSON-RPC error echoing the id, and the server is not
// called; principals have their own buckets; a listed tool its own.
func TestRateLimitThroughTheGuard(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	principal, err := NewMemoryLimiter(&MemoryLimiterOptions{Rate: 1, Burst: 3, Now: clk.Now})
	require.NoError(t, err)
	tool, err := NewMemoryLimiter(&MemoryLimiterOptions{Rate: 1, Burst: 1, Now: clk.Now})
	require.NoError(t, err)
	up := &upstream{}
	h := newGuard(t, up, &Options{RateLimit: &RateLimit{Limiter: principal, Tools: map[string]Limiter{"echo": tool}}})
	call := func(p *authresult.Principal, body string) *httptest.ResponseRecorder {
		return do(t, h, req{body: body, p: p})
	}
	ping := `{"jsonrpc":"2.0","id":"p-1","method":"ping"}`
	assert.Equal(t, http.StatusOK, call(alice, callEcho).Code)
	rec := call(alice, callEcho)
	assert.Equal(t, http.StatusTooManyRequests, rec.Code, "echo's own bucket")
	assert.Equal(t, "1", rec.Header().Get("Retry-After"))
	assert.Equal(t, http.StatusOK, call(alice, ping).Code, "other requests still pass")
	before := up.calls.Load()
	rec = call(alice, ping)
	assert.Equal(t, http.StatusTooManyRequests, rec.Code, "the principal's bucket is spent")
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":"p-1","error":{"code":-32029,"message":"rate limit exceeded"}}`, rec.Body.String())
	assert.Equal(t, before, up.calls.Load(), "the server is not called")
	assert.Equal(t, http.StatusOK, call(bob, ping).Code, "bob has his own bucket")
	clk.Advance(time.Second)
	assert.Equal(t, http.StatusOK, call(alice, ping).Code, "refilled")

	_, err = New(http.NotFoundHandler(), &Options{RateLimit: &RateLimit{}})
	assert.ErrorIs(t, err, errConfig)
	_, err = New(http.NotFoundHandler(), &Options{RateLimit: &RateLimit{Limiter: principal, Tools: map[string]Limiter{"x": nil}}})
	assert.ErrorIs(t, err, errConfig)
}
