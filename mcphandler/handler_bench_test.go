package mcphandler

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/authresult"
)

// call1K is a 1 KiB tools/call request.
var call1K = func() []byte {
	head := `{"jsonrpc":"2.0","id":"c0ffee-42","method":"tools/call","params":{"name":"search","arguments":{"query":"`
	tail := `","limit":10}}}`
	return []byte(head + strings.Repeat("lorem ipsum ", (1024-len(head)-len(tail))/12) + tail)
}()

// sink reads the body as an MCP server would and answers 200.
var sink = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	var buf [2048]byte
	for {
		if _, err := r.Body.Read(buf[:]); err != nil {
			break
		}
	}
	w.WriteHeader(http.StatusOK)
})

func benchRequest(b *testing.B, sid string) (*http.Request, *bytes.Reader) {
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(headerSession, sid)
	r = r.WithContext(authresult.NewContext(context.Background(), alice))
	return r, bytes.NewReader(call1K)
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// BenchmarkDirect is the wrapped handler alone: the baseline.
func BenchmarkDirect(b *testing.B) {
	b.ReportAllocs()
	r, body := benchRequest(b, "s1")
	w := httptest.NewRecorder()
	for b.Loop() {
		body.Reset(call1K)
		r.Body, r.ContentLength = nopCloser{body}, int64(len(call1K))
		sink.ServeHTTP(w, r)
	}
}

// BenchmarkGuard is the same request through the guard: session check,
// JSON-RPC inspection and a per-tool policy. The difference to
// BenchmarkDirect is the guard's overhead.
func BenchmarkGuard(b *testing.B) {
	b.ReportAllocs()
	store := NewMemoryStore(nil)
	_, _ = store.Bind(context.Background(), "s1", keyFor(alice, "/mcp"))
	h, err := New(sink, &Options{Store: store, Policy: &Policy{
		Methods: map[string][]string{"tools/call": {"tools:call"}},
		Tools:   map[string][]string{"search": nil},
	}})
	if err != nil {
		b.Fatal(err)
	}
	r, body := benchRequest(b, "s1")
	w := httptest.NewRecorder()
	for b.Loop() {
		body.Reset(call1K)
		r.Body, r.ContentLength = nopCloser{body}, int64(len(call1K))
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
