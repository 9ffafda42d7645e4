package jsonrpcerr

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
)

// DefaultRetryAfter is the Retry-After sent with a 503 whose error gives no
// hint of its own.
const DefaultRetryAfter = 5 * time.Second

// Write answers a request with the JSON-RPC error response for err: the
// status from [authresult.As], Content-Type application/json, the challenge from
// c on 401, 400 and insufficient-scope 403 (c may be nil), Retry-After on
// 503, and a body whose message is the client-safe message of the typed
// error. The text of err itself is never written. id is echoed as given;
// nil means null.
func Write(w http.ResponseWriter, id json.RawMessage, err error, c *Challenge) {
	e := authresult.As(err)
	h := w.Header()
	if v := c.Header(e); v != "" {
		h.Set("WWW-Authenticate", v)
	}
	if e.Kind == authresult.KindUnavailable {
		h.Set("Retry-After", retryAfter(e.RetryAfter))
	}
	resp := NewResponse(id, Code(e.Kind), e.ClientMessage())
	resp.Error.Data = c.data(e)
	writeJSON(w, e.Status(), resp)
}

// WriteCode answers with a JSON-RPC error of the given status, code and
// message, for transport-level failures such as a parse error (400,
// [CodeParseError]) or an oversized body (413). message must be client-safe.
func WriteCode(w http.ResponseWriter, status int, id json.RawMessage, code int, message string) {
	writeJSON(w, status, NewResponse(id, code, message))
}

func writeJSON(w http.ResponseWriter, status int, resp *Response) {
	bp := bufPool.Get().(*[]byte)
	body := appendResponse((*bp)[:0], resp)
	h := w.Header()
	// One fresh array for the three values, each slice capped at its
	// element: no response shares a value another could change.
	v := &[3]string{"application/json", "no-store", "nosniff"}
	h["Content-Type"] = v[0:1:1]
	h["Cache-Control"] = v[1:2:2]
	h["X-Content-Type-Options"] = v[2:3:3]
	delete(h, "Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	if cap(body) <= 4<<10 {
		*bp = body
		bufPool.Put(bp)
	}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// retryAfter formats d as delay-seconds, rounded up, at least one second.
func retryAfter(d time.Duration) string {
	if d <= 0 {
		d = DefaultRetryAfter
	}
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(s, 10)
}
