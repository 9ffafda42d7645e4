package mcphandler

import (
	"bytes"
	"mime"
	"net/http"
	"strings"
)

// guardWriter sits between the wrapped handler and the client when the
// guard must see the response: to bind a session the response creates, to
// forget a session a DELETE ends, or to filter tools/list results.
type guardWriter struct {
	http.ResponseWriter
	// onHeader runs once, before the status is sent. If it returns false it
	// has answered the request itself and the wrapped handler's response
	// is discarded.
	onHeader func(status int, h http.Header) bool
	// allowed, when set, filters tools/list results.
	allowed func(name string) bool

	wroteHeader bool
	discard     bool
	// unfilterable is set when a response that must be filtered arrived
	// encoded (compressed); it was discarded and the guard must answer.
	unfilterable bool
	status       int
	mode         int // passthrough, bufferJSON or filterSSE
	body         bytes.Buffer
	sse          *sseFilter
}

const (
	passthrough = iota
	bufferJSON
	filterSSE
)

func (g *guardWriter) WriteHeader(status int) {
	if g.wroteHeader {
		return
	}
	if status >= 100 && status < 200 {
		g.ResponseWriter.WriteHeader(status) // informational: not final
		return
	}
	g.wroteHeader, g.status = true, status
	h := g.ResponseWriter.Header()
	if g.onHeader != nil && !g.onHeader(status, h) {
		g.discard = true
		return
	}
	if g.allowed != nil && status/100 == 2 {
		if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
			// Encoded bytes cannot be filtered; fail closed. The
			// guard's own answer must not inherit the encoding.
			g.discard, g.unfilterable = true, true
			h.Del("Content-Encoding")
			h.Del("Content-Length")
			return
		}
		mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
		switch mt {
		case "application/json":
			g.mode = bufferJSON
			h.Del("Content-Length")
			return // the status is sent with the filtered body
		case "text/event-stream":
			g.mode = filterSSE
			g.sse = &sseFilter{allowed: g.allowed}
			h.Del("Content-Length")
		}
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *guardWriter) Write(p []byte) (int, error) {
	if !g.wroteHeader {
		g.WriteHeader(http.StatusOK)
	}
	switch {
	case g.discard:
		return len(p), nil
	case g.mode == bufferJSON:
		return g.body.Write(p)
	case g.mode == filterSSE:
		if out := g.sse.write(p); len(out) > 0 {
			if _, err := g.ResponseWriter.Write(out); err != nil {
				return 0, err
			}
		}
		return len(p), nil
	}
	return g.ResponseWriter.Write(p)
}

// Flush sends what can be sent: never a half-filtered JSON body.
func (g *guardWriter) Flush() {
	if g.discard || g.mode == bufferJSON {
		return
	}
	if !g.wroteHeader {
		g.WriteHeader(http.StatusOK)
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (g *guardWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// finish completes a buffered or filtered body once the wrapped handler
// has returned. It reports whether any part had to be dropped, and whether
// nothing was sent, so that the guard must answer the request itself.
func (g *guardWriter) finish() (dropped, unanswered bool) {
	switch {
	case g.unfilterable:
		return true, true
	case g.discard:
	case g.mode == bufferJSON:
		out, err := filterTools(g.body.Bytes(), g.allowed)
		if err != nil {
			return true, true
		}
		g.ResponseWriter.WriteHeader(g.status)
		_, _ = g.ResponseWriter.Write(out)
	case g.mode == filterSSE:
		if out := g.sse.flush(); len(out) > 0 {
			_, _ = g.ResponseWriter.Write(out)
		}
		return g.sse.dropped > 0, false
	}
	return false, false
}
