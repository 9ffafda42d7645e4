package mcphandler

import (
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
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

// Handler guards an MCP Streamable HTTP endpoint. Create it with [New] or
// [NewFactory]; it is safe for concurrent use.
type Handler struct {
	cfg      *config
	factory  Factory
	warnOnce sync.Once
	keys     boundedMap[identity, Key]
	owners   boundedMap[Key, *authresult.Principal]
	enders   chan struct{} // a slot per background goroutine ending sessions
	streams  streams
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
	return &Handler{cfg: cfg, factory: f, enders: make(chan struct{}, maxEnders), streams: streams{max: cfg.maxStreams}}, nil
}

// ServeHTTP decides the request with the checks listed in the package
// documentation, in that order, and answers the first refusal; only when
// every check has passed does the wrapped handler run, with the
// [Admission] in the request context.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var start time.Time
	if h.cfg.onDecision != nil {
		start = time.Now()
	}
	q, f := h.decide(w, r)
	if f != nil {
		if h.cfg.onDecision != nil {
			h.report(q, f, start)
		}
		h.respond(w, r, f)
		return
	}
	if q.stream {
		defer h.streams.release(q.key)
	}
	if h.cfg.onDecision == nil {
		h.serve(w, q)
		return
	}
	q.latency = time.Since(start)
	h.serveReported(w, q)
}

// serveReported is serve followed by the decision's report, which a
// panic of the wrapped handler (http.ErrAbortHandler among them: the
// reverse proxy's when a stream is cut) does not skip: the tool may have
// run, so the audit log must show it. The panic goes on.
func (h *Handler) serveReported(w http.ResponseWriter, q *request) {
	done := false
	defer func() {
		if done {
			return
		}
		rec := recover()
		if rec == nil { // runtime.Goexit: let it go on
			h.reportPanic(q, http.ErrAbortHandler)
			return
		}
		h.reportPanic(q, rec)
		panic(rec)
	}()
	f := h.serve(w, q)
	done = true
	h.report(q, f, time.Time{})
}

// serve runs the wrapped handler for an admitted request, watching the
// response where the bindings or the policy need it. It returns the
// refusal it answered instead of the handler's response, if any.
func (h *Handler) serve(w http.ResponseWriter, q *request) *refusal {
	r := q.r
	if q.modern {
		if _, ok := r.Header[headerSession]; ok {
			// Session-less revisions ignore session ids; strip any, so a
			// server that does not know the revision cannot be steered
			// into someone's session. The caller's request is left as is.
			r = r.Clone(r.Context())
			delete(r.Header, headerSession)
		}
	}
	r = r.WithContext(newContext(r.Context(), &q.a))

	h.sessionHook(q)
	var allowed func(string) bool
	if h.cfg.policy != nil && (r.Method == http.MethodGet || slices.ContainsFunc(q.a.msgs, func(m message) bool { return m.method == "tools/list" })) {
		// GET streams are filtered too: a resumed stream (Last-Event-ID)
		// can replay an earlier tools/list response.
		p := q.a.principal
		allowed = func(name string) bool {
			ok := h.cfg.policy.toolAllowed(p, name)
			q.filtered = q.filtered || !ok
			return ok
		}
	}

	next, err := h.serverFor(r, q.a.principal)
	if err != nil {
		f := authRefusal(refusedByFactory, q.firstID(), err)
		if errors.Is(err, errFactoryPanic) {
			f.reason = decision.ReasonPanic
		}
		h.respond(w, r, f)
		return f
	}
	q.gw = guardWriter{ResponseWriter: w, watch: q, allowed: allowed, id: q.firstID()}
	gw := &q.gw // in the request: no allocation of its own
	next.ServeHTTP(gw, r)
	f, dropped := gw.finish()
	if dropped > 0 {
		h.cfg.log.LogAttrs(r.Context(), slog.LevelError, "mcpauth: dropped SSE events that could not be filtered", slog.Int("events", dropped))
	}
	if f != nil {
		h.respond(w, r, f)
	}
	h.endSessions(r, q.ended)
	return f
}

// warnMissingMiddleware logs, once, that the guard is mounted without the
// authentication middleware in front of it.
func (h *Handler) warnMissingMiddleware(r *http.Request) {
	h.warnOnce.Do(func() {
		h.cfg.log.LogAttrs(r.Context(), slog.LevelError,
			"mcpauth: MCP endpoint reached without an authenticated principal; install middleware.Authenticator.Handler in front of mcphandler")
	})
}
