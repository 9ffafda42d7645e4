package mcphandler

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/reqbody"
	"github.com/mcpauth/mcpauth/jsonrpcerr"
)

// JSON-RPC codes of MCP revision 2026-07-28 and of unknown sessions.
const (
	// CodeHeaderMismatch answers Mcp-Method or Mcp-Name headers that are
	// missing or disagree with the body.
	CodeHeaderMismatch = -32020
	// CodeUnsupportedProtocolVersion answers an unknown
	// MCP-Protocol-Version.
	CodeUnsupportedProtocolVersion = -32022
	// CodeSessionNotFound answers an unknown session id (HTTP 404), as
	// the official SDKs do.
	CodeSessionNotFound = -32001
)

// MCP HTTP headers.
const (
	headerSession  = "Mcp-Session-Id"
	headerVersion  = "Mcp-Protocol-Version"
	headerMethod   = "Mcp-Method"
	headerName     = "Mcp-Name"
	allowedMethods = "GET, POST, DELETE"
)

// Factory returns the MCP handler that serves p, such as an MCP server
// built for p's tenant. Errors are answered by type (see package
// jsonrpcerr): unauthenticated 401, forbidden 403, anything else 500 with
// a generic message.
type Factory func(r *http.Request, p *authresult.Principal) (http.Handler, error)

// Handler guards an MCP Streamable HTTP endpoint. Create it with [New] or
// [NewFactory]; it is safe for concurrent use.
type Handler struct {
	cfg      *config
	factory  Factory
	warnOnce sync.Once
	keys     keyCache
}

var errNilNext = errors.New("mcphandler: nil handler or factory")

// New returns a guard in front of next, an MCP Streamable HTTP handler
// such as the go-sdk's StreamableHTTPHandler, mark3labs/mcp-go's
// StreamableHTTPServer or a reverse proxy. It returns an error if next is
// nil or opts is invalid.
func New(next http.Handler, opts *Options) (*Handler, error) {
	if next == nil {
		return nil, errNilNext
	}
	return NewFactory(func(*http.Request, *authresult.Principal) (http.Handler, error) { return next, nil }, opts)
}

// NewFactory returns a guard that, for each request it lets through, asks
// f for the handler to serve it. f runs only with a valid principal and
// only after every check has passed.
func NewFactory(f Factory, opts *Options) (*Handler, error) {
	if f == nil {
		return nil, errNilNext
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg, factory: f}, nil
}

// ServeHTTP refuses the request unless every check passes, in this order:
// an authenticated principal in the context (401), the HTTP method (405),
// Origin (403), MCP-Protocol-Version (400), body size (413), JSON-RPC
// syntax (400), Mcp-Method/Mcp-Name headers on session-less revisions
// (400), the policy (403), and the session binding (404). Only then does
// the wrapped handler run.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := authresult.FromContext(r.Context())
	if !ok {
		h.warnOnce.Do(func() {
			h.cfg.log.LogAttrs(r.Context(), slog.LevelError,
				"mcpauth: MCP endpoint reached without an authenticated principal; install middleware.Authenticator.Handler in front of mcphandler")
		})
		h.refuse(w, r, nil, authresult.NoCredentials())
		return
	}
	switch r.Method {
	case http.MethodPost, http.MethodGet, http.MethodDelete:
	default:
		w.Header().Set("Allow", allowedMethods)
		h.transport(w, r, http.StatusMethodNotAllowed, nil, jsonrpcerr.CodeInvalidRequest, "method not allowed")
		return
	}
	if name, ok := variantHeader(r.Header); ok {
		h.transport(w, r, http.StatusBadRequest, nil, jsonrpcerr.CodeInvalidRequest, "header "+name+" is not allowed")
		return
	}
	if origin := r.Header["Origin"]; len(origin) > 0 && !h.originAllowed(origin, r.Host) {
		h.transport(w, r, http.StatusForbidden, nil, jsonrpcerr.CodeInvalidRequest, "origin not allowed")
		return
	}
	version := ""
	if v := r.Header[headerVersion]; len(v) > 0 {
		if len(v) > 1 || !slices.Contains(protocolVersions, v[0]) {
			h.transport(w, r, http.StatusBadRequest, nil, CodeUnsupportedProtocolVersion, "unsupported MCP-Protocol-Version")
			return
		}
		version = v[0]
	}
	modern := sessionless(version)
	if modern && r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.transport(w, r, http.StatusMethodNotAllowed, nil, jsonrpcerr.CodeInvalidRequest, "method not allowed in "+version)
		return
	}

	var (
		one  [1]message
		msgs []message
	)
	if r.Method == http.MethodPost {
		body, complete, err := reqbody.Peek(r, h.cfg.maxBody)
		switch {
		case err != nil:
			h.transport(w, r, http.StatusBadRequest, nil, jsonrpcerr.CodeParseError, "could not read body")
			return
		case !complete:
			h.transport(w, r, http.StatusRequestEntityTooLarge, nil, jsonrpcerr.CodeInvalidRequest, "request body too large")
			return
		}
		var batch bool
		var perr *rpcError
		msgs, batch, perr = parseBody(body, one[:0])
		if perr != nil {
			h.transport(w, r, http.StatusBadRequest, perr.id, perr.code, perr.msg)
			return
		}
		if modern {
			if perr := checkHeaders(r.Header, msgs, batch); perr != nil {
				h.transport(w, r, http.StatusBadRequest, perr.id, perr.code, perr.msg)
				return
			}
		}
	}
	if err := h.cfg.policy.authorize(p, msgs); err != nil {
		h.refuse(w, r, firstID(msgs), err)
		return
	}

	var onHeader func(int, http.Header) bool
	if modern {
		// Session-less revisions ignore session ids; strip any, so an
		// upstream that does not know the revision cannot be steered into
		// someone's session. The caller's request is left as it was.
		if _, ok := r.Header[headerSession]; ok {
			r2 := new(http.Request)
			*r2 = *r
			r2.Header = r.Header.Clone()
			r2.Header.Del(headerSession)
			r = r2
		}
	} else if onHeader, ok = h.bindSession(w, r, p, msgs); !ok {
		return
	}
	var allowed func(string) bool
	if h.cfg.policy != nil && (r.Method == http.MethodGet || slices.ContainsFunc(msgs, func(m message) bool { return m.method == "tools/list" })) {
		// GET streams are filtered too: a resumed stream (Last-Event-ID)
		// can replay an earlier tools/list response.
		allowed = func(name string) bool { return h.cfg.policy.toolAllowed(p, name) }
	}

	next, err := h.serverFor(r, p)
	if err != nil {
		h.refuse(w, r, firstID(msgs), err)
		return
	}
	if onHeader == nil && allowed == nil {
		next.ServeHTTP(w, r)
		return
	}
	gw := &guardWriter{ResponseWriter: w, onHeader: onHeader, allowed: allowed}
	next.ServeHTTP(gw, r)
	if dropped, unanswered := gw.finish(); dropped {
		h.cfg.log.LogAttrs(r.Context(), slog.LevelError, "mcpauth: dropped a response that could not be filtered")
		if unanswered {
			h.refuse(w, r, firstID(msgs), authresult.Internal(errUnfilterable))
		}
	}
}

// bindSession enforces session binding for revisions with sessions. It
// returns false when it has answered the request, and otherwise the hook,
// if any, that must see the response's status and headers.
func (h *Handler) bindSession(w http.ResponseWriter, r *http.Request, p *authresult.Principal, msgs []message) (func(int, http.Header) bool, bool) {
	ids := r.Header[headerSession] // canonical keys: no re-canonicalising
	route := h.cfg.route
	if route == "" {
		route = r.URL.Path
	}
	key := h.keys.get(p, route)
	ctx := r.Context()
	switch {
	case len(ids) > 1:
		h.transport(w, r, http.StatusBadRequest, firstID(msgs), jsonrpcerr.CodeInvalidRequest, "more than one session id")
		return nil, false
	case len(ids) == 1:
		ok, err := h.cfg.store.Check(ctx, ids[0], key)
		if err != nil {
			h.refuse(w, r, firstID(msgs), authresult.Unavailable("session store unavailable", 0, err))
			return nil, false
		}
		if !ok {
			// Unknown, expired and other users' sessions look the same.
			h.transport(w, r, http.StatusNotFound, firstID(msgs), CodeSessionNotFound, "session not found")
			return nil, false
		}
		if r.Method == http.MethodDelete {
			id := ids[0]
			return func(status int, _ http.Header) bool {
				if status/100 == 2 {
					if err := h.cfg.store.Delete(ctx, id); err != nil {
						h.cfg.log.LogAttrs(ctx, slog.LevelError, "mcpauth: could not forget a deleted session", slog.Any("error", err))
					}
				}
				return true
			}, true
		}
		return nil, true
	default:
		// No session yet: a successful response that creates one binds it
		// to this principal before the client sees its id.
		return func(status int, hdr http.Header) bool {
			created := hdr.Values(headerSession)
			if status/100 != 2 || len(created) == 0 {
				return true
			}
			if len(created) == 1 && created[0] != "" {
				err := h.cfg.store.Bind(ctx, created[0], key)
				if err == nil {
					return true
				}
				h.cfg.log.LogAttrs(ctx, slog.LevelError, "mcpauth: could not bind a new session", slog.Any("error", err))
			}
			hdr.Del(headerSession)
			h.refuse(w, r, firstID(msgs), authresult.Unavailable("session could not be bound", 0, errors.New("mcphandler: binding failed")))
			return false
		}, true
	}
}

// serverFor runs the factory, turning a panic into an internal error.
func (h *Handler) serverFor(r *http.Request, p *authresult.Principal) (next http.Handler, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			h.cfg.log.LogAttrs(r.Context(), slog.LevelError, "mcpauth: server factory panicked",
				slog.String("panic", fmt.Sprint(rec)), slog.String("stack", string(debug.Stack())))
			next, err = nil, authresult.Internal(fmt.Errorf("mcphandler: factory panicked: %v", rec))
		}
	}()
	next, err = h.factory(r, p)
	if err == nil && next == nil {
		err = authresult.Internal(errors.New("mcphandler: factory returned no handler"))
	}
	return next, err
}

// guarded are the headers whose meaning the guard checks.
var guarded = []string{headerSession, headerVersion, headerMethod, headerName, "Authorization", "Last-Event-Id", "Origin"}

// variantHeader finds a header whose name, with '_' read as '-', is one of
// the guarded headers without being it. Servers that map headers
// CGI-style (Rack, WSGI, PHP) read such a twin as the header itself, so it
// could carry, say, a session id past the checks.
func variantHeader(h http.Header) (string, bool) {
	for name := range h {
		if strings.IndexByte(name, '_') < 0 {
			continue
		}
		canon := http.CanonicalHeaderKey(strings.ReplaceAll(name, "_", "-"))
		if slices.Contains(guarded, canon) {
			return canon, true
		}
	}
	return "", false
}

// originAllowed reports whether a browser at the Origin in values may call
// the server: an origin in the allow-list, or a loopback origin naming the
// very host and port the request was sent to (a page served by this local
// server itself). DNS rebinding cannot produce the latter: the attacker's
// page keeps its own origin.
func (h *Handler) originAllowed(values []string, host string) bool {
	if len(values) != 1 {
		return false
	}
	norm, ok := normalizeOrigin(values[0])
	if !ok {
		return false
	}
	if h.cfg.origins[norm] {
		return true
	}
	_, originHost, _ := strings.Cut(norm, "://")
	return originHost == strings.ToLower(host) && isLoopback(originHost)
}

// isLoopback reports whether hostport names a loopback host.
func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// refuse answers with the typed error err.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, id []byte, err error) {
	e := jsonrpcerr.Classify(err)
	level := slog.LevelInfo
	if e.Kind == authresult.KindInternal {
		level = slog.LevelError
	}
	h.cfg.log.LogAttrs(r.Context(), level, "mcpauth: MCP request refused",
		slog.Int("status", e.Status()), slog.String("method", r.Method), slog.String("error", err.Error()))
	jsonrpcerr.Write(w, id, err, h.cfg.challenge)
}

// transport answers a transport-level refusal.
func (h *Handler) transport(w http.ResponseWriter, r *http.Request, status int, id []byte, code int, msg string) {
	h.cfg.log.LogAttrs(r.Context(), slog.LevelInfo, "mcpauth: MCP request refused",
		slog.Int("status", status), slog.String("method", r.Method), slog.String("reason", msg))
	jsonrpcerr.WriteCode(w, status, id, code, msg)
}

func firstID(msgs []message) []byte {
	if len(msgs) == 1 {
		return msgs[0].id
	}
	return nil
}

// checkHeaders enforces the 2026-07-28 rule that Mcp-Method, and Mcp-Name
// where the method has a target, repeat the body, so that intermediaries
// routing on headers and the server executing the body agree.
func checkHeaders(hdr http.Header, msgs []message, batch bool) *rpcError {
	if batch {
		return &rpcError{code: jsonrpcerr.CodeInvalidRequest, msg: "batches are not allowed in this protocol revision"}
	}
	m := msgs[0]
	if m.method == "" {
		return nil // a response to a server request carries no method
	}
	mismatch := &rpcError{code: CodeHeaderMismatch, msg: "Mcp-Method or Mcp-Name does not match the body", id: m.id}
	if v := hdr.Values(headerMethod); len(v) != 1 || v[0] != m.method {
		return mismatch
	}
	if nameParam(m.method) == "" {
		return nil
	}
	v := hdr.Values(headerName)
	if len(v) != 1 {
		return mismatch
	}
	name, ok := decodeHeaderValue(v[0])
	if !ok || name != m.name {
		return mismatch
	}
	return nil
}

// decodeHeaderValue decodes an MCP header value, which is either plain or,
// for values that are not safe as plain ASCII, "=?base64?<standard
// base64>?=".
func decodeHeaderValue(v string) (string, bool) {
	inner, ok := strings.CutPrefix(v, "=?base64?")
	if !ok {
		return v, true
	}
	inner, ok = strings.CutSuffix(inner, "?=")
	if !ok {
		return "", false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(inner)
	if err != nil {
		return "", false
	}
	return string(b), true
}
