package introspect

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkCachedHit verifies a token answered from the cache: an opaque
// token of the usual size, and one the size of a JWT (the Revocation
// case), which costs more to hash.
func BenchmarkCachedHit(b *testing.B) {
	for _, size := range []int{43, 1024} {
		b.Run("token="+strconv.Itoa(size)+"B", func(b *testing.B) {
			e := newEnv(b, nil)
			tok := strings.Repeat("t", size)
			ctx := context.Background()
			if _, err := e.v.VerifyToken(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.v.VerifyToken(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
			if e.as.calls.Load() != 1 {
				b.Fatalf("%d introspections", e.as.calls.Load())
			}
		})
	}
}

// BenchmarkConcurrentFirst has 100 goroutines verify one new token at
// once, per iteration, against a loopback endpoint; calls/op is the
// number of introspection requests per token, which must be 1.
func BenchmarkConcurrentFirst(b *testing.B) {
	e := newEnv(b, nil)
	ctx := context.Background()
	const n = 100
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		tok := "tok" + strconv.Itoa(i)
		var start, wg sync.WaitGroup
		var fails atomic.Int32
		start.Add(1)
		for range n {
			wg.Go(func() {
				start.Wait()
				if _, err := e.v.VerifyToken(ctx, tok); err != nil {
					fails.Add(1)
				}
			})
		}
		start.Done()
		wg.Wait()
		if fails.Load() != 0 {
			b.Fatalf("%d failures", fails.Load())
		}
	}
	calls := float64(e.as.calls.Load()) / float64(i)
	b.ReportMetric(calls, "calls/op")
	if calls != 1 {
		b.Fatalf("%v introspections per token", calls)
	}
}

// BenchmarkIntrospect is one uncached introspection against a loopback
// endpoint: the request, the response checks and the cache insert.
func BenchmarkIntrospect(b *testing.B) {
	e := newEnv(b, func(o *Options) { o.Cache.Disabled = true })
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.v.VerifyToken(ctx, "tok"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck is the response checks alone: decode, duplicate scan and
// claims, on a typical response.
func BenchmarkCheck(b *testing.B) {
	e := newEnv(b, nil)
	body := []byte(activeBody())
	now := e.clock.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := e.v.check(body, now); err != nil {
			b.Fatal(err)
		}
	}
}
