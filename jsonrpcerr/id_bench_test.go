package jsonrpcerr

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// toolsCall1K is a 1 KiB tools/call request, the common MCP POST.
var toolsCall1K = func() []byte {
	head := `{"jsonrpc":"2.0","id":"c0ffee-42","method":"tools/call","params":{"name":"search","arguments":{"query":"`
	tail := `","limit":10}}}`
	return []byte(head + strings.Repeat("lorem ipsum ", (1024-len(head)-len(tail))/12) + tail)
}()

func BenchmarkExtractID1K(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(toolsCall1K)))
	for b.Loop() {
		if ExtractID(toolsCall1K) == nil {
			b.Fatal("no id")
		}
	}
}

// BenchmarkRequestID1K measures the whole echo: reading, scanning and
// restoring a 1 KiB body.
func BenchmarkRequestID1K(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(toolsCall1K)))
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	rd := bytes.NewReader(toolsCall1K)
	for b.Loop() {
		rd.Reset(toolsCall1K)
		r.Body = readCloser{rd}
		r.ContentLength = int64(len(toolsCall1K))
		if RequestID(r, 0) == nil {
			b.Fatal("no id")
		}
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }
