package mcphandler

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
	"github.com/mcpauth/mcpauth/jsonrpcerr"
)

// refusal is the guard's typed decision not to serve a request. Every
// refusal, of authentication, authorization or protocol, is one of these,
// decided before anything is written; [Handler.respond] writes it.
type refusal struct {
	check   string          // the check that refused: a name in checks
	status  int             // HTTP status
	code    int             // JSON-RPC error code
	message string          // client-safe message
	reason  decision.Reason // what decisions report
	id      json.RawMessage // request id to echo; nil means null
	allow   string          // Allow header of a 405
	// retryAfter is the Retry-After of a 429.
	retryAfter time.Duration
	// err is the cause, for logs. For authentication and authorization
	// refusals it is the *authresult.Error the status, code and message
	// come from, and the response carries its challenge.
	err  error
	auth bool
}

// A kind is what a protocol refusal answers: status, JSON-RPC code and
// client-safe message, and the reason decisions report. Check code refuses with one of these values, so
// that statuses have one home.
type kind struct {
	status  int
	code    int
	message string
	reason  decision.Reason // what decisions report
}

// The protocol refusals of the guard.
var (
	kindMethod         = kind{http.StatusMethodNotAllowed, jsonrpcerr.CodeInvalidRequest, "method not allowed", decision.ReasonMethodNotAllowed}
	kindHeaderTwin     = kind{http.StatusBadRequest, jsonrpcerr.CodeInvalidRequest, "header name with '_' shadows a guarded header", decision.ReasonInvalidRequest}
	kindConnection     = kind{http.StatusBadRequest, jsonrpcerr.CodeInvalidRequest, "Connection header names a guarded header", decision.ReasonInvalidRequest}
	kindOrigin         = kind{http.StatusForbidden, jsonrpcerr.CodeInvalidRequest, "origin not allowed", decision.ReasonOrigin}
	kindVersion        = kind{http.StatusBadRequest, CodeUnsupportedProtocolVersion, "unsupported MCP-Protocol-Version", decision.ReasonProtocolVersion}
	kindMediaType      = kind{http.StatusUnsupportedMediaType, jsonrpcerr.CodeInvalidRequest, "Content-Type must be application/json (charset utf-8)", decision.ReasonMediaType}
	kindEncoding       = kind{http.StatusUnsupportedMediaType, jsonrpcerr.CodeInvalidRequest, "Content-Encoding not supported", decision.ReasonMediaType}
	kindBodyTooLarge   = kind{http.StatusRequestEntityTooLarge, jsonrpcerr.CodeInvalidRequest, "request body too large", decision.ReasonBodyTooLarge}
	kindBodyTimeout    = kind{http.StatusRequestTimeout, jsonrpcerr.CodeInvalidRequest, "request body not received in time", decision.ReasonBodyTimeout}
	kindBodyRead       = kind{http.StatusBadRequest, jsonrpcerr.CodeParseError, "could not read body", decision.ReasonInvalidRequest}
	kindTwoSessions    = kind{http.StatusBadRequest, jsonrpcerr.CodeInvalidRequest, "more than one session id", decision.ReasonInvalidRequest}
	kindNoSession      = kind{http.StatusNotFound, CodeSessionNotFound, "session not found", decision.ReasonSessionNotFound}
	kindHeaderMatch    = kind{http.StatusBadRequest, CodeHeaderMismatch, "Mcp-Method or Mcp-Name does not match the body", decision.ReasonHeaderMismatch}
	kindResourceURI    = kind{http.StatusBadRequest, jsonrpcerr.CodeInvalidParams, "params.uri is not a URI in normal form (RFC 3986 section 6)", decision.ReasonInvalidRequest}
	kindTooManyStreams = kind{http.StatusTooManyRequests, jsonrpcerr.CodeInvalidRequest, "too many open streams", decision.ReasonTooManyStreams}
	kindRateLimited    = kind{http.StatusTooManyRequests, CodeRateLimited, "rate limit exceeded", decision.ReasonRateLimited}
	kindOverBurst      = kind{http.StatusBadRequest, CodeRateLimited, "batch larger than the rate limit allows at once", decision.ReasonRateLimited}
	kindModernBatch    = kind{http.StatusBadRequest, jsonrpcerr.CodeInvalidRequest, "batches are not allowed in this protocol revision", decision.ReasonInvalidRequest}
)

// refusal returns the refusal of a body the JSON-RPC reading refused: 400
// with the error's code and message.
func (e *rpcError) refusal() *refusal {
	return kind{http.StatusBadRequest, e.code, e.msg, decision.ReasonInvalidRequest}.refuse(checkJSONRPC, e.id)
}

// refuse returns the refusal of check with kind k.
func (k kind) refuse(check string, id json.RawMessage) *refusal {
	return &refusal{check: check, status: k.status, code: k.code, message: k.message, reason: k.reason, id: id}
}

// authRefusal returns the refusal of check for a typed authentication or
// authorization failure: its status, code and message come from err's
// type, never from its text.
func authRefusal(check string, id json.RawMessage, err error) *refusal {
	e := authresult.As(err)
	return &refusal{
		check: check, status: e.Status(), code: jsonrpcerr.Code(e.Kind), message: e.ClientMessage(),
		reason: decision.ReasonOf(e), id: id, err: err, auth: true,
	}
}

// Error returns a log-oriented description of the refusal.
func (f *refusal) Error() string {
	s := "mcphandler: refused by " + f.check + ": " + f.message
	if f.err != nil {
		s += ": " + f.err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (f *refusal) Unwrap() error { return f.err }

// respond logs and writes the refusal. Its cause never reaches the client.
func (h *Handler) respond(w http.ResponseWriter, r *http.Request, f *refusal) {
	level := slog.LevelInfo
	if f.status >= 500 && f.status != http.StatusServiceUnavailable {
		level = slog.LevelError
	}
	if h.cfg.log.Enabled(r.Context(), level) {
		attrs := []slog.Attr{slog.String("check", f.check), slog.Int("status", f.status), slog.String("method", r.Method)}
		if f.err != nil {
			attrs = append(attrs, slog.String("error", f.err.Error()))
		}
		h.cfg.log.LogAttrs(r.Context(), level, "mcpauth: MCP request refused", attrs...)
	}
	if f.allow != "" {
		w.Header().Set("Allow", f.allow)
	}
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((f.retryAfter+time.Second-1)/time.Second), 10))
	}
	if f.auth {
		jsonrpcerr.Write(w, f.id, f.err, h.cfg.challenge)
		return
	}
	jsonrpcerr.WriteCode(w, f.status, f.id, f.code, f.message)
}

var errUnbound = errors.New("mcphandler: binding failed")
