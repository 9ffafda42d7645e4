package decision

import (
	"slices"

	"github.com/mcpauth/mcpauth/authresult"
)

// Reason is why a layer decided as it did: a name from a small closed set
// ([Reasons]), stable across releases, used as a metrics label and in log
// records.
type Reason string

// The reasons.
const (
	// ReasonOK: allowed.
	ReasonOK Reason = "ok"
	// ReasonFiltered: allowed, and a tools/list answer lost tools the
	// principal may not call.
	ReasonFiltered Reason = "filtered"
	// ReasonAborted: allowed, but the answer did not complete: the client
	// went away, or the response was cut off (the upstream failed
	// mid-stream, the handler aborted). Status is what was sent, 0 for
	// nothing. The authentication layer reports a client that went away
	// with the reason it decided and status 0 instead.
	ReasonAborted Reason = "aborted"

	// ReasonNoCredentials: no token was presented (401).
	ReasonNoCredentials Reason = "no_credentials"
	// ReasonInvalidToken: the token was refused: forged, expired, for
	// another audience or issuer, revoked (401).
	ReasonInvalidToken Reason = "invalid_token"
	// ReasonInsufficientScope: the operation needs scopes the principal
	// lacks (403); Decision.Scopes names them.
	ReasonInsufficientScope Reason = "insufficient_scope"
	// ReasonForbidden: the operation is not allowed to anyone (403), such
	// as a tool the policy does not declare.
	ReasonForbidden Reason = "forbidden"
	// ReasonInvalidRequest: a malformed request (400): credentials sent
	// wrongly, a header that shadows a guarded one, an unreadable body,
	// invalid JSON-RPC, a resource URI not in normal form.
	ReasonInvalidRequest Reason = "invalid_request"
	// ReasonMethodNotAllowed: an HTTP method MCP does not use here (405).
	ReasonMethodNotAllowed Reason = "method_not_allowed"
	// ReasonOrigin: a browser Origin that is not allowed (403).
	ReasonOrigin Reason = "origin_not_allowed"
	// ReasonProtocolVersion: an unknown MCP-Protocol-Version (400).
	ReasonProtocolVersion Reason = "unsupported_protocol_version"
	// ReasonMediaType: a Content-Type or Content-Encoding the guard
	// cannot read exactly as the server would (415).
	ReasonMediaType Reason = "unsupported_media_type"
	// ReasonBodyTooLarge: a body over the limit (413).
	ReasonBodyTooLarge Reason = "body_too_large"
	// ReasonBodyTimeout: a body not received in time (408).
	ReasonBodyTimeout Reason = "body_timeout"
	// ReasonHeaderMismatch: Mcp-Method or Mcp-Name disagree with the
	// body (400).
	ReasonHeaderMismatch Reason = "header_mismatch"
	// ReasonSessionNotFound: a session id that is unknown, expired or
	// another principal's (404), or two of them (400).
	ReasonSessionNotFound Reason = "session_not_found"
	// ReasonRateLimited: over the rate limit (429), or a batch larger
	// than it allows at once (400).
	ReasonRateLimited Reason = "rate_limited"
	// ReasonTooManyStreams: too many open GET streams (429).
	ReasonTooManyStreams Reason = "too_many_streams"

	// ReasonUnavailable: something the decision needs is down: the key
	// server, the introspection endpoint, the session store, the rate
	// limiter (503).
	ReasonUnavailable Reason = "unavailable"
	// ReasonInternal: a misconfiguration or a bug (500).
	ReasonInternal Reason = "internal"
	// ReasonPanic: a verifier or hook panicked (500).
	ReasonPanic Reason = "panic"
	// ReasonUpstream: the upstream could not be reached or failed to
	// answer (502).
	ReasonUpstream Reason = "upstream_failed"
	// ReasonUpstreamRefused: the upstream refused the gateway's own
	// credentials with 401 or 403 (502); configure upstream credentials.
	ReasonUpstreamRefused Reason = "upstream_refused"
)

var reasons = []Reason{
	ReasonOK, ReasonFiltered, ReasonAborted,
	ReasonNoCredentials, ReasonInvalidToken, ReasonInsufficientScope, ReasonForbidden,
	ReasonInvalidRequest, ReasonMethodNotAllowed, ReasonOrigin, ReasonProtocolVersion,
	ReasonMediaType, ReasonBodyTooLarge, ReasonBodyTimeout, ReasonHeaderMismatch,
	ReasonSessionNotFound, ReasonRateLimited, ReasonTooManyStreams,
	ReasonUnavailable, ReasonInternal, ReasonPanic, ReasonUpstream, ReasonUpstreamRefused,
}

// Reasons returns every reason, for dashboards and tests. The set only
// grows.
func Reasons() []Reason { return slices.Clone(reasons) }

// Valid reports whether r is one of [Reasons].
func (r Reason) Valid() bool { return slices.Contains(reasons, r) }

// ReasonOf returns the reason of a typed authentication or authorization
// failure, by its kind and code, never by its text; ReasonOK for nil.
func ReasonOf(e *authresult.Error) Reason {
	switch {
	case e == nil:
		return ReasonOK
	case e.Kind == authresult.KindUnauthenticated && e.Code == "":
		return ReasonNoCredentials
	case e.Kind == authresult.KindUnauthenticated:
		return ReasonInvalidToken
	case e.Kind == authresult.KindForbidden && e.Code == authresult.CodeInsufficientScope:
		return ReasonInsufficientScope
	case e.Kind == authresult.KindForbidden:
		return ReasonForbidden
	case e.Kind == authresult.KindInvalidRequest:
		return ReasonInvalidRequest
	case e.Kind == authresult.KindUnavailable:
		return ReasonUnavailable
	}
	return ReasonInternal
}

// WithFailure sets d as the refusal of a typed failure err answered with
// status: outcome by status, reason and scopes by err's type
// ([ReasonOf]), err as the cause.
func (d *Decision) WithFailure(status int, err error) {
	e := authresult.As(err)
	d.Outcome, d.Reason, d.Scopes, d.Status, d.Err = OutcomeOf(status), ReasonOf(e), e.Scopes, status, err
}
