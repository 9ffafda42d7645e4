package mcphandler

import (
	"errors"
	"net/http"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
)

// report gives the guard's decision of q to the hook, which must be set: f
// when the guard refused (by a check, or while serving), otherwise the
// admission and the status the client got. start is when the checks
// began, for a refusal by a check; an admitted request carries its
// latency.
func (h *Handler) report(q *request, f *refusal, start time.Time) {
	d := decision.Decision{Layer: decision.LayerGuard, Outcome: decision.Allowed, Reason: decision.ReasonOK, Latency: q.latency}
	switch {
	case f != nil:
		d.Outcome, d.Reason, d.Status, d.Err = decision.OutcomeOf(f.status), f.reason, f.status, f
		if f.auth {
			d.Scopes = authresult.As(f.err).Scopes
		}
		if !start.IsZero() {
			d.Latency = time.Since(start)
		}
	case q.gw.status == 0 && q.r.Context().Err() != nil:
		d.Reason = decision.ReasonAborted // the client went away before an answer
	case q.filtered:
		d.Reason = decision.ReasonFiltered
	}
	if f == nil {
		d.Status = q.gw.status
		if d.Status == 0 && d.Reason != decision.ReasonAborted {
			d.Status = http.StatusOK // what net/http sends for a handler that wrote nothing
		}
	}
	h.describe(&d, q, f)
	h.cfg.onDecision(q.r, d)
}

// describe sets who and what of d from q: the principal, the calls and
// the session.
func (h *Handler) describe(d *decision.Decision, q *request, f *refusal) {
	d.WithPrincipal(q.a.principal)
	d.WithCall(q.a.Method(), q.a.Tool())
	if q.batch {
		for _, m := range q.a.msgs {
			d.AddCall(m.method, m.name)
		}
	}
	d.Session = decision.HashSession(reportedSession(q, f))
}

// reportPanic reports an admitted request whose handler panicked with
// rec: aborted (http.ErrAbortHandler, a response cut off on purpose) or
// failed with reason panic. The panic value is not reported; net/http
// logs it.
func (h *Handler) reportPanic(q *request, rec any) {
	d := decision.Decision{
		Layer: decision.LayerGuard, Outcome: decision.Failed, Reason: decision.ReasonPanic,
		Status: q.gw.status, Latency: q.latency, Err: errServerPanic,
	}
	if rec == http.ErrAbortHandler {
		d.Outcome, d.Reason, d.Err = decision.Allowed, decision.ReasonAborted, errAborted
	}
	h.describe(&d, q, nil)
	defer func() { _ = recover() }() // a panicking hook must not replace the server's panic
	h.cfg.onDecision(q.r, d)
}

// errAborted is the cause reported for a response the handler aborted.
var errAborted = errors.New("mcphandler: the server aborted the response (http.ErrAbortHandler)")

// reportedSession is the session a decision concerns: the one the request
// was checked against or created, or the single one a check refused.
func reportedSession(q *request, f *refusal) string {
	switch {
	case q.a.sessionID != "":
		return q.a.sessionID
	case q.created != "":
		return q.created
	case f != nil && f.check == checkSession && !q.modern:
		if ids := q.r.Header[headerSession]; len(ids) == 1 {
			return ids[0]
		}
	}
	return ""
}
