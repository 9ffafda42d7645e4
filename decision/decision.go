package decision

import (
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth/authresult"
)

// Decision is how one layer decided one request.
type Decision struct {
	// Layer is the layer that decided.
	Layer Layer
	// Outcome is whether the layer let the request through.
	Outcome Outcome
	// Reason says why, in a stable low-cardinality name.
	Reason Reason
	// Status is the HTTP status the client was answered with, when the
	// layer knows it; 0 when the request went on to a handler whose
	// answer the layer does not see.
	Status int
	// Method is the JSON-RPC method of the request's first message, such
	// as "tools/call"; "" for requests without a body (GET, DELETE) and
	// for layers that do not read the body. At most MaxNameBytes.
	Method string
	// Tool is the name the first message acts on where it has one: the
	// tool of tools/call, the prompt of prompts/get, the URI of
	// resources/read and resources/subscribe. At most MaxNameBytes.
	Tool string
	// Calls are the method and tool of every message of a batch (a
	// revision that allows them), in order, the first MaxCalls of them;
	// nil for a request of one message, whose call Method and Tool are.
	// Only the guard, which reads every message, sets them.
	Calls []Call
	// Scopes are the scopes the refused operation needs (for
	// insufficient_scope), nil otherwise.
	Scopes []string
	// Principal is the binding key of the authenticated principal (see
	// [authresult.Principal.BindingKey]): stable across token refreshes,
	// derived from issuer and subject only. Zero when there is none.
	Principal authresult.BindingKey
	// Subject is the principal's subject, "" when there is none.
	Subject string
	// Session is the session id hashed with [HashSession], "" outside a
	// session. The id itself, which lets its holder act in the session,
	// is never reported.
	Session string
	// Latency is how long the layer took to decide: the checks of the
	// authentication layer and the guard, the upstream's time to its
	// response headers for the proxy.
	Latency time.Duration
	// Err is the cause of a refusal, for logs; nil when allowed. Its text
	// never reaches the client.
	Err error
}

// Call is one message of a batch: its method and the tool (prompt,
// resource) it acts on, each at most MaxNameBytes.
type Call struct{ Method, Tool string }

// MaxCalls bounds Decision.Calls.
const MaxCalls = 32

// Hook receives decisions. Every layer calls it once per request it
// decides, after deciding, on the request's goroutine; it must be safe for
// concurrent use, return quickly and not retain r.
type Hook func(r *http.Request, d Decision)

// Hooks returns a hook that calls each non-nil hook in order, or nil when
// there is none, so that layers keep their no-hook fast path.
func Hooks(hooks ...Hook) Hook {
	var hs []Hook
	for _, h := range hooks {
		if h != nil {
			hs = append(hs, h)
		}
	}
	switch len(hs) {
	case 0:
		return nil
	case 1:
		return hs[0]
	}
	return func(r *http.Request, d Decision) {
		for _, h := range hs {
			h(r, d)
		}
	}
}

// WithPrincipal sets d's Principal and Subject from p, which may be nil.
func (d *Decision) WithPrincipal(p *authresult.Principal) {
	if p.Valid() {
		d.Principal, d.Subject = p.BindingKey(), p.Subject
	}
}

// MaxNameBytes bounds Method and Tool as [Decision.WithCall] sets them:
// both come from the request, and a refused request may name anything,
// of any length, which would otherwise go into every log record, span
// name and metric exemplar made of it.
const MaxNameBytes = 128

// WithCall sets d's Method and Tool, each cut to at most MaxNameBytes at a
// UTF-8 boundary, with "…" marking a cut.
func (d *Decision) WithCall(method, tool string) {
	d.Method, d.Tool = bounded(method, MaxNameBytes), bounded(tool, MaxNameBytes)
}

// AddCall appends a message of a batch to d.Calls, bounded as WithCall
// bounds Method and Tool; past MaxCalls it does nothing.
func (d *Decision) AddCall(method, tool string) {
	if len(d.Calls) < MaxCalls {
		d.Calls = append(d.Calls, Call{bounded(method, MaxNameBytes), bounded(tool, MaxNameBytes)})
	}
}

// bounded is s cut to at most n bytes at a UTF-8 boundary, "…" marking a
// cut.
func bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
