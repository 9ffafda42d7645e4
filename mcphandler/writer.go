package mcphandler

import (
	"bytes"
	"mime"
	"net/http"
	"strings"

	"github.com/mcpauth/mcpauth/authresult"
)

// guardWriter sits between the wrapped handler and the client when the
// guard must see the response: to bind a session the response creates, to
// forget a session a DELETE ends, to drop a session id a session-less
// revision must not see, or to filter tools/list results.
type guardWriter struct {
	http.ResponseWriter
	// watch sees the status and headers once, before they are sent. A
	// refusal it returns replaces the wrapped handler's response, which
	// is discarded.
	watch headerWatcher
	// allowed, when set, filters tools/list results.
	allowed func(name string) bool
	// id is echoed in a refusal of the response.
	id []byte

	wroteHeader bool
	// refused is set when the guard must answer instead of the wrapped
	// handler: a failed binding, or a response that must be filtered but
	// arrived encoded (compressed) or unreadable.
	refused *refusal
	status  int
	mode    int // passthrough, bufferJSON or filterSSE
	body    bytes.Buffer
	sse     *sseFilter
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
	if g.watch != nil {
		if g.refused = g.watch.onHeader(status, h); g.refused != nil {
			return
		}
	}
	if g.allowed != nil && status/100 == 2 {
		if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
			// Encoded bytes cannot be filtered; fail closed.
			g.refused = g.unfilterable()
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
	case g.refused != nil:
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
	if g.refused != nil || g.mode == bufferJSON {
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

// unfilterable is the refusal of a response that must be filtered and
// cannot be.
func (g *guardWriter) unfilterable() *refusal {
	return authRefusal(refusedByFilter, g.id, authresult.Internal(errUnfilterable))
}

// finish completes a buffered or filtered body once the wrapped handler
// has returned. It returns the refusal the guard must answer with instead
// of the response, if any; SSE events that could not be filtered have
// been dropped and are counted in dropped.
func (g *guardWriter) finish() (f *refusal, dropped int) {
	switch {
	case g.refused != nil:
		// The guard answers: nothing of the wrapped handler's response
		// may go with it, headers included.
		clear(g.ResponseWriter.Header())
		return g.refused, 0
	case g.mode == bufferJSON:
		out, err := filterTools(g.body.Bytes(), g.allowed)
		if err != nil {
			clear(g.ResponseWriter.Header())
			return g.unfilterable(), 0
		}
		g.ResponseWriter.WriteHeader(g.status)
		_, _ = g.ResponseWriter.Write(out)
	case g.mode == filterSSE:
		if out := g.sse.flush(); len(out) > 0 {
			_, _ = g.ResponseWriter.Write(out)
		}
		return nil, g.sse.dropped
	}
	return nil, 0
}
