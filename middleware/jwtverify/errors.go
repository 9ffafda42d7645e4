package jwtverify

import (
	"errors"

	"github.com/mcpauth/mcpauth/authresult"
	claimread "github.com/mcpauth/mcpauth/internal/claims"
)

// Sentinel causes. Every failure [Verifier.VerifyToken] returns is an
// [*authresult.Error]; its cause (Err) wraps one or more of these, so
// errors.Is(err, ErrExpired) tells why a token was refused without looking
// at message text. Causes are for logs and never reach clients.
var (
	// ErrMalformed: the token is not a well-formed compact JWS.
	ErrMalformed = errors.New("jwtverify: malformed token")
	// ErrTooLarge: the token exceeds Options.MaxTokenBytes.
	ErrTooLarge = errors.New("jwtverify: token too large")
	// ErrAlgorithm: the header's alg is not in Options.Algorithms.
	ErrAlgorithm = errors.New("jwtverify: algorithm not allowed")
	// ErrHeader: the header carries a parameter the verifier refuses,
	// such as crit, jku, x5u or jwk, or the wrong typ.
	ErrHeader = errors.New("jwtverify: header not accepted")
	// ErrUnknownKey: no configured or published key matches the token.
	ErrUnknownKey = errors.New("jwtverify: unknown signing key")
	// ErrSignature: the signature does not verify.
	ErrSignature = errors.New("jwtverify: invalid signature")
	// ErrKeysUnavailable: the key server could not be reached or answered
	// with something that is not a usable key set.
	ErrKeysUnavailable = errors.New("jwtverify: signing keys unavailable")
	// ErrExpired: now is at or after exp plus the leeway.
	ErrExpired = errors.New("jwtverify: token expired")
	// ErrNotYetValid: nbf is later than now plus the leeway.
	ErrNotYetValid = errors.New("jwtverify: token not yet valid")
	// ErrIssuedInFuture: iat is later than now plus the leeway.
	ErrIssuedInFuture = errors.New("jwtverify: token issued in the future")
	// ErrClaim: a claim is missing or has the wrong JSON type.
	ErrClaim = errors.New("jwtverify: missing or malformed claim")
	// ErrIssuer: iss is not an accepted issuer, or the key belongs to
	// another issuer.
	ErrIssuer = errors.New("jwtverify: issuer not accepted")
	// ErrAudience: aud does not name this resource server.
	ErrAudience = errors.New("jwtverify: audience mismatch")
	// ErrRejected: the Options.Validate hook refused the token.
	ErrRejected = errors.New("jwtverify: rejected by validation hook")
)

// read reads claims; its errors wrap ErrClaim.
var read = claimread.Reader{Err: ErrClaim, Expired: ErrExpired, NotYetValid: ErrNotYetValid, IssuedInFuture: ErrIssuedInFuture}

// timeDesc is the client description of each failed time check.
var timeDesc = [...]string{claimread.Malformed: descClaim, claimread.Expired: descExpired, claimread.NotYetValid: descNotYetValid, claimread.IssuedInFuture: descIssuedAt}

// Client-safe descriptions. They name the class of failure only.
const (
	descMalformed   = "malformed token"
	descTooLarge    = "token too large"
	descAlgorithm   = "unsupported algorithm"
	descHeader      = "unsupported token header"
	descUnknownKey  = "unknown signing key"
	descSignature   = "invalid signature"
	descUnavailable = "signing keys unavailable"
	descRotating    = "signing key not yet known"
	descExpired     = "token expired"
	descNotYetValid = "token not yet valid"
	descIssuedAt    = "token issued in the future"
	descClaim       = "invalid claims"
	descSubject     = "missing subject"
	descIssuer      = "issuer not accepted"
	descAudience    = "audience mismatch"
	descRejected    = "token rejected"
)

// invalid builds the invalid_token error returned to the caller.
func invalid(desc string, cause error) *authresult.Error {
	return authresult.InvalidToken(desc, cause)
}
