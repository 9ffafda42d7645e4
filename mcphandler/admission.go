package mcphandler

import (
	"context"
	"encoding/json"

	"github.com/mcpauth/mcpauth/authresult"
)

// Admission is the guard's decision to serve a request: who makes it and
// exactly what was checked. The wrapped handler finds it in the request
// context with [FromContext]; a proxy forwards [Admission.Body] rather
// than re-reading the request, so that what goes on is what was checked.
type Admission struct {
	principal *authresult.Principal
	version   string
	body      []byte
	sessionID string
	msgs      []message
}

// Principal returns the authenticated principal the request was admitted
// for.
func (a *Admission) Principal() *authresult.Principal { return a.principal }

// Body returns the exact bytes of the POST body the guard checked, or nil
// for GET and DELETE. Callers must not modify it.
func (a *Admission) Body() []byte { return a.body }

// ProtocolVersion returns the request's MCP-Protocol-Version, or "" when
// it named none.
func (a *Admission) ProtocolVersion() string { return a.version }

// ID returns the JSON-RPC id of a request that carries one message, as
// sent, to echo in an error response; nil for batches, notifications and
// requests without a body.
func (a *Admission) ID() json.RawMessage {
	if len(a.msgs) == 1 {
		return a.msgs[0].id
	}
	return nil
}

// Method returns the JSON-RPC method of the request's first message, such
// as "tools/call", or "" for a request without a body.
func (a *Admission) Method() string {
	if len(a.msgs) == 0 {
		return ""
	}
	return a.msgs[0].method
}

// Tool returns what the first message acts on, as the policy checked it:
// the tool of tools/call, the prompt of prompts/get, the URI of
// resources/read, resources/subscribe and resources/unsubscribe; "" for
// other methods.
func (a *Admission) Tool() string {
	if len(a.msgs) == 0 {
		return ""
	}
	return a.msgs[0].name
}

// SessionID returns the session id the request was checked against, or ""
// for a request outside a session (an initialize, or a revision without
// sessions).
func (a *Admission) SessionID() string { return a.sessionID }

type admissionKey struct{}

// newContext returns ctx carrying a.
func newContext(ctx context.Context, a *Admission) context.Context {
	return context.WithValue(ctx, admissionKey{}, a)
}

// FromContext returns the admission of a request the guard let through.
// It is false for requests that did not pass a guard.
func FromContext(ctx context.Context) (*Admission, bool) {
	a, ok := ctx.Value(admissionKey{}).(*Admission)
	return a, ok && a != nil && a.principal.Valid()
}
