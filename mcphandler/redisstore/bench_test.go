package redisstore

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/redistest"
	"github.com/mcpauth/mcpauth/mcphandler"
)

// roundTrips counts the commands a client sends, each a round trip (a
// script's EVALSHA is one; a pipeline is one).
type roundTrips struct{ n atomic.Int64 }

func (rt *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (rt *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		rt.n.Add(1)
		return next(ctx, cmd)
	}
}

func (rt *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		rt.n.Add(1)
		return next(ctx, cmds)
	}
}

// report reports the round trips since the last reset per operation.
func (rt *roundTrips) report(b *testing.B) {
	b.ReportMetric(float64(rt.n.Load())/float64(b.N), "roundtrips/op")
}

// benchRedis is a store on a loopback redis-server, its client counting
// round trips; the benchmark is skipped without redis-server.
func benchRedis(b *testing.B, local time.Duration) (*Store, *roundTrips) {
	r := redistest.Start(b)
	c := r.Client()
	rt := &roundTrips{}
	c.AddHook(rt)
	s, err := New(&Options{Client: c, LocalCache: local})
	if err != nil {
		b.Fatal(err)
	}
	return s, rt
}

var benchKey = key("bench")

func benchCheck(b *testing.B, s mcphandler.Store, rt *roundTrips) {
	b.ReportAllocs()
	ctx := context.Background()
	if _, err := s.Bind(ctx, "s1", benchKey); err != nil {
		b.Fatal(err)
	}
	if ok, err := s.Check(ctx, "s1", benchKey); !ok || err != nil { // scripts loaded
		b.Fatal(ok, err)
	}
	if rt != nil {
		rt.n.Store(0)
	}
	for b.Loop() {
		if ok, err := s.Check(ctx, "s1", benchKey); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
	if rt != nil {
		rt.report(b)
	}
}

// BenchmarkCheckRedis is Store.Check of a bound session on loopback Redis.
func BenchmarkCheckRedis(b *testing.B) {
	s, rt := benchRedis(b, 0)
	benchCheck(b, s, rt)
}

// BenchmarkCheckMemory is the same check on the in-memory store.
func BenchmarkCheckMemory(b *testing.B) {
	benchCheck(b, mcphandler.NewMemoryStore(nil), nil)
}

// call1K is a 1 KiB tools/call request (as in mcphandler's benchmarks).
var call1K = func() []byte {
	head := `{"jsonrpc":"2.0","id":"c0ffee-42","method":"tools/call","params":{"name":"search","arguments":{"query":"`
	tail := `","limit":10}}}`
	return []byte(head + strings.Repeat("lorem ipsum ", (1024-len(head)-len(tail))/12) + tail)
}()

// sink reads the body as an MCP server would and answers 200, handing
// out session s1 to a request outside a session.
var sink = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	var buf [2048]byte
	for {
		if _, err := r.Body.Read(buf[:]); err != nil {
			break
		}
	}
	if _, ok := r.Header["Mcp-Session-Id"]; !ok {
		w.Header().Set("Mcp-Session-Id", "s1")
	}
	w.WriteHeader(http.StatusOK)
})

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// statusWriter is a ResponseWriter that keeps the status of the last
// response only, so that every iteration's status is checked.
type statusWriter struct {
	hdr  http.Header
	code int
}

func (w *statusWriter) Header() http.Header         { return w.hdr }
func (w *statusWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *statusWriter) WriteHeader(code int)        { w.code = code }

var benchPrincipal = &authresult.Principal{Subject: "alice", Issuer: "https://idp", Scopes: []string{"tools:call"}}

// benchGuard is mcphandler's BenchmarkGuard on store: a whole ServeHTTP
// of a 1 KiB tools/call in a session the guard bound (by an initialize
// through it), with a per-tool policy.
func benchGuard(b *testing.B, store mcphandler.Store, rt *roundTrips) {
	b.ReportAllocs()
	h, err := mcphandler.New(sink, &mcphandler.Options{Store: store, Policy: &mcphandler.Policy{
		Methods: map[string][]string{"tools/call": {"tools:call"}},
		Tools:   map[string][]string{"search": nil},
	}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := authresult.NewContext(context.Background(), benchPrincipal)
	rec := httptest.NewRecorder()
	initialize := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}`))
	initialize.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, initialize.WithContext(ctx))
	if rec.Code != http.StatusOK || rec.Header().Get("Mcp-Session-Id") != "s1" {
		b.Fatal("initialize:", rec.Code, rec.Body.String())
	}

	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Mcp-Session-Id", "s1")
	r = r.WithContext(ctx)
	body := bytes.NewReader(call1K)
	w := &statusWriter{hdr: http.Header{}}
	serve := func() {
		body.Reset(call1K)
		r.Body, r.ContentLength = nopCloser{body}, int64(len(call1K))
		clear(w.hdr)
		w.code = 0
		h.ServeHTTP(w, r)
		if w.code != http.StatusOK {
			b.Fatal(w.code)
		}
	}
	serve() // the check script loaded
	if rt != nil {
		rt.n.Store(0)
	}
	for b.Loop() {
		serve()
	}
	if rt != nil {
		rt.report(b)
	}
}

// BenchmarkGuardRedis is the guard with the Redis store.
func BenchmarkGuardRedis(b *testing.B) {
	s, rt := benchRedis(b, 0)
	benchGuard(b, s, rt)
}

// BenchmarkGuardRedisLocalCache is BenchmarkGuardRedis with a local cache
// of confirmed bindings: no round trip in steady state.
func BenchmarkGuardRedisLocalCache(b *testing.B) {
	s, rt := benchRedis(b, MaxLocalCache)
	benchGuard(b, s, rt)
}

// BenchmarkGuardMemory is the guard with the in-memory store.
func BenchmarkGuardMemory(b *testing.B) {
	benchGuard(b, mcphandler.NewMemoryStore(nil), nil)
}
