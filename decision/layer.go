package decision

// Layer names the layer that decided.
type Layer string

// The layers.
const (
	// LayerAuthentication is the middleware that verifies credentials.
	LayerAuthentication Layer = "authentication"
	// LayerGuard is mcphandler: transport checks, policy and sessions.
	LayerGuard Layer = "guard"
	// LayerProxy is mcpproxy: the call to the upstream.
	LayerProxy Layer = "proxy"
)

// Outcome is whether a layer let a request through.
type Outcome string

// The outcomes.
const (
	// Allowed: the layer let the request through.
	Allowed Outcome = "allowed"
	// Refused: the layer answered a 4xx; the client must change its
	// request or credentials.
	Refused Outcome = "refused"
	// Failed: the layer answered a 5xx; the fault is on the server side
	// (a key server, the session store, the upstream, a panic).
	Failed Outcome = "failed"
)

// OutcomeOf returns the outcome of a refusal answered with status: Failed
// for a 5xx, Refused otherwise.
func OutcomeOf(status int) Outcome {
	if status >= 500 {
		return Failed
	}
	return Refused
}
