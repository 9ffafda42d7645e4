package mcpproxy

import (
	"errors"
	"net/http"
	"time"

	"github.com/mcpauth/mcpauth/decision"
	"github.com/mcpauth/mcpauth/mcphandler"
)

// report gives the proxy's decision of r to the hook, if one listens.
// With status 2xx–4xx from the upstream (err nil) the call is allowed;
// otherwise err is the failure, answered with status.
func (c *config) report(r *http.Request, a *mcphandler.Admission, start time.Time, status int, err error) {
	if c.onDecision == nil {
		return
	}
	d := decision.Decision{Layer: decision.LayerProxy, Outcome: decision.Allowed, Reason: decision.ReasonOK, Status: status}
	if !start.IsZero() {
		d.Latency = time.Since(start)
	}
	if err != nil {
		d.Outcome, d.Err = decision.OutcomeOf(status), err
		switch {
		case errors.Is(err, errClientGone):
			d.Outcome, d.Reason = decision.Allowed, decision.ReasonAborted
		case errors.Is(err, errUpstreamRefused):
			d.Reason = decision.ReasonUpstreamRefused
		case errors.Is(err, ErrUpstream):
			d.Reason = decision.ReasonUpstream
		default:
			d.WithFailure(status, err)
		}
	}
	if a != nil {
		d.WithPrincipal(a.Principal())
		d.WithCall(a.Method(), a.Tool())
		d.Session = decision.HashSession(a.SessionID())
	}
	c.onDecision(r, d)
}
