package jsonrpcerr

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
)

// DefaultRetryAfter is the Retry-After sent with a 503 whose error gives no
// hint of its own.
const DefaultRetryAfter = 5 * time.Second

var errNilError = errors.New("jsonrpcerr: Write called with a nil error")

// Classify returns the typed error a response to err is built from: the
// first [*authresult.Error] in err's tree, or an internal error wrapping
// err. A nil err is a programming error and classifies as internal too.
func Classify(err error) *authresult.Error {
	if err == nil {
		return authresult.Internal(errNilError)
	}
	return authresult.As(err)
}

// Write answers a request with the JSON-RPC error response for err: the
// status from [Classify], Content-Type application/json, the challenge from
// c on 401, 400 and insufficient-scope 403 (c may be nil), Retry-After on
// 503, and a body whose message is the client-safe message of the typed
// error. The text of err itself is never written. id is echoed as given;
// nil means null.
func Write(w http.ResponseWriter, id json.RawMessage, err error, c *Challenge) {
	e := Classify(err)
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
	body, err := json.Marshal(resp)
	if err != nil {
		// Only an id that is not valid JSON can fail to marshal; answer
		// with a null id rather than with nothing.
		resp.ID = null
		body, _ = json.Marshal(resp)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// retryAfter formats d as delay-seconds, rounded up, at least one second.
func retryAfter(d time.Duration) string {
	if d <= 0 {
		d = DefaultRetryAfter
	}
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(s, 10)
}
