package introspect

import (
	"errors"
	"strconv"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
)

// Sentinel causes. Every failure [Verifier.VerifyToken] returns is an
// [*authresult.Error]; its cause (Err) wraps one or more of these, so
// errors.Is(err, ErrInactive) tells why a token was refused without
// looking at message text. Causes are for logs and never reach clients.
var (
	// ErrMalformed: the token is empty or longer than
	// Options.MaxTokenBytes; it was not sent to the endpoint. (401)
	ErrMalformed = errors.New("introspect: malformed token")
	// ErrInactive: the response's "active" is not the JSON value true.
	// (401)
	ErrInactive = errors.New("introspect: token not active")
	// ErrExpired: now is at or after "exp" plus the leeway. (401)
	ErrExpired = errors.New("introspect: token expired")
	// ErrNotYetValid: "nbf" is later than now plus the leeway. (401)
	ErrNotYetValid = errors.New("introspect: token not yet valid")
	// ErrIssuedInFuture: "iat" is later than now plus the leeway. (401)
	ErrIssuedInFuture = errors.New("introspect: token issued in the future")
	// ErrIssuer: "iss" is not among Options.Issuers, or is missing and
	// Options.AllowMissingIssuer is not set. (401)
	ErrIssuer = errors.New("introspect: issuer not accepted")
	// ErrAudience: "aud" does not name this resource server. (401)
	ErrAudience = errors.New("introspect: audience mismatch")
	// ErrTokenType: "token_type", "token_use" or "typ" names something
	// other than a bearer access token, or "cnf" binds the token to a
	// key this verifier cannot check. (401)
	ErrTokenType = errors.New("introspect: token type not accepted")
	// ErrSubject: the response has no usable subject. (401)
	ErrSubject = errors.New("introspect: no subject")
	// ErrClaim: a member of the response has the wrong JSON type. (401)
	ErrClaim = errors.New("introspect: malformed claim")
	// ErrMismatch: the introspection response names another subject or
	// issuer than the locally verified token ([Revocation]). (401)
	ErrMismatch = errors.New("introspect: introspection disagrees with the token")
	// ErrUnavailable: the endpoint could not be reached, did not answer
	// within Options.Timeout, or answered with a status other than 200.
	// (503)
	ErrUnavailable = errors.New("introspect: introspection endpoint unavailable")
	// ErrCredentials: the endpoint answered 401 or 403, refusing this
	// server's own client credentials. (503, logged at error level)
	ErrCredentials = errors.New("introspect: client credentials refused by the introspection endpoint")
	// ErrResponse: the endpoint's 200 answer is not one JSON object of
	// valid UTF-8 within Options.MaxResponseBytes with each member named
	// once. (503)
	ErrResponse = errors.New("introspect: malformed introspection response")
)

// Client-safe descriptions. They name the class of failure only.
const (
	descMalformed   = "malformed token"
	descTooLarge    = "token too large"
	descInactive    = "token inactive"
	descExpired     = "token expired"
	descNotYetValid = "token not yet valid"
	descIssuedAt    = "token issued in the future"
	descIssuer      = "issuer not accepted"
	descAudience    = "audience mismatch"
	descTokenType   = "token type not accepted"
	descSubject     = "missing subject"
	descClaim       = "invalid claims"
	descMismatch    = "token rejected"
	descUnavailable = "token introspection unavailable"
)

// invalid builds the invalid_token error returned to the caller.
func invalid(desc string, cause error) *authresult.Error {
	return authresult.InvalidToken(desc, cause)
}

// unavailable builds the 503 error of an outage.
func unavailable(retryAfter time.Duration, cause error) *authresult.Error {
	return authresult.Unavailable(descUnavailable, retryAfter, cause)
}

// maxQuoted caps how much of a response value a cause quotes, so that
// logs stay bounded whatever the endpoint sends.
const maxQuoted = 64

// quote returns s quoted for a cause, cut to maxQuoted bytes.
func quote(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "…"
	}
	return strconv.Quote(s)
}
