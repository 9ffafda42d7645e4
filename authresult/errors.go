package authresult

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Kind is the class of an authentication or authorization failure. Each kind
// maps to one HTTP status; the mapping never depends on message text.
type Kind uint8

// The failure kinds. The zero Kind is not a valid failure and is reported as
// KindInternal.
const (
	// KindInternal is any failure that is not the client's fault, including
	// programming errors such as an authenticated result without a subject.
	KindInternal Kind = iota + 1
	// KindUnauthenticated means no valid credentials were presented.
	KindUnauthenticated
	// KindForbidden means the credentials are valid but not sufficient.
	KindForbidden
	// KindInvalidRequest means the credentials were malformed or sent in a
	// way the protocol forbids.
	KindInvalidRequest
	// KindUnavailable means the credentials could not be checked right now,
	// for example because the key server is down.
	KindUnavailable
)

// String returns the kind's name, such as "unauthenticated".
func (k Kind) String() string {
	switch k {
	case KindUnauthenticated:
		return "unauthenticated"
	case KindForbidden:
		return "forbidden"
	case KindInvalidRequest:
		return "invalid_request"
	case KindUnavailable:
		return "unavailable"
	default:
		return "internal"
	}
}

// Status returns the HTTP status code for the kind: 401, 403, 400, 503, or
// 500 for KindInternal and any unknown kind.
func (k Kind) Status() int {
	switch k {
	case KindUnauthenticated:
		return http.StatusUnauthorized
	case KindForbidden:
		return http.StatusForbidden
	case KindInvalidRequest:
		return http.StatusBadRequest
	case KindUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// RFC 6750 §3.1 and RFC 6749 §4.1.2.1 error codes carried by an [Error].
const (
	CodeInvalidRequest         = "invalid_request"
	CodeInvalidToken           = "invalid_token"
	CodeInsufficientScope      = "insufficient_scope"
	CodeTemporarilyUnavailable = "temporarily_unavailable"
)

// Error is a typed authentication or authorization failure. Its Kind decides
// the HTTP status; Description is safe to send to clients; Err is the cause,
// which is for logs only and never sent to clients.
//
// An *Error matches the sentinel of its kind under errors.Is, so
// errors.Is(err, ErrUnauthenticated) holds for every unauthenticated error
// however it was wrapped or joined.
type Error struct {
	// Kind is the failure class.
	Kind Kind
	// Code is the OAuth error code for the WWW-Authenticate challenge
	// (RFC 6750 §3.1), such as "invalid_token". Empty means the challenge
	// carries no error attribute, as when no credentials were presented.
	Code string
	// Description is a short client-safe text, sent as error_description
	// and as the JSON-RPC error message. It must not contain secrets.
	Description string
	// Scopes lists every scope the request needed (KindForbidden).
	Scopes []string
	// RetryAfter is a hint for KindUnavailable; zero means no hint.
	RetryAfter time.Duration
	// Err is the underlying cause. It is logged, never sent to clients.
	Err error
}

// Error returns a log-oriented description including the cause. It is not
// meant for clients; send Description instead.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("authresult: ")
	b.WriteString(e.Kind.String())
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's kind. Only sentinels
// match by kind, so two distinct errors of one kind are not "equal" under
// errors.Is.
func (e *Error) Is(target error) bool {
	s, ok := target.(sentinel)
	return ok && Kind(s) == e.Kind
}

// ClientMessage returns Description, or when it is empty a generic
// client-safe text for the kind. It is what responses show.
func (e *Error) ClientMessage() string {
	if e.Description != "" {
		return e.Description
	}
	switch e.Kind {
	case KindUnauthenticated:
		return descUnauthenticated
	case KindForbidden:
		return "forbidden"
	case KindInvalidRequest:
		return "invalid request"
	case KindUnavailable:
		return descUnavailable
	default:
		return descInternal
	}
}

// Status returns the HTTP status for the error's kind.
func (e *Error) Status() int { return e.Kind.Status() }

// Sentinels for errors.Is; each matches every *Error of its kind. They
// are values with nothing to change, so no caller can alter what they
// match. Returned as errors, they classify as an *Error of their kind.
var (
	ErrInternal        error = sentinel(KindInternal)
	ErrUnauthenticated error = sentinel(KindUnauthenticated)
	ErrForbidden       error = sentinel(KindForbidden)
	ErrInvalidRequest  error = sentinel(KindInvalidRequest)
	ErrUnavailable     error = sentinel(KindUnavailable)
)

// sentinel is the type of the kind sentinels.
type sentinel Kind

func (s sentinel) Error() string { return "authresult: " + Kind(s).String() }

// Client-safe descriptions used by this package.
const (
	descUnauthenticated = "authentication required"
	descInternal        = "internal error"
	descUnavailable     = "authentication temporarily unavailable"
)

// NoCredentials reports that the request carried no credentials. Its
// challenge has no error attribute (RFC 6750 §3.1).
func NoCredentials() *Error {
	return &Error{Kind: KindUnauthenticated, Description: descUnauthenticated}
}

// InvalidToken reports credentials that were presented but are not valid:
// expired, wrongly signed, for another audience. description is sent to the
// client; cause is logged only.
func InvalidToken(description string, cause error) *Error {
	return &Error{Kind: KindUnauthenticated, Code: CodeInvalidToken, Description: description, Err: cause}
}

// InsufficientScope reports a valid principal that lacks scopes. scopes must
// list every scope the request needs, so that one step-up authorization
// suffices.
func InsufficientScope(description string, scopes ...string) *Error {
	return &Error{Kind: KindForbidden, Code: CodeInsufficientScope, Description: description, Scopes: slices.Clone(scopes)}
}

// Forbidden reports a valid principal that may not perform the request for a
// reason other than scopes. The response carries no OAuth error code.
func Forbidden(description string, cause error) *Error {
	return &Error{Kind: KindForbidden, Description: description, Err: cause}
}

// InvalidRequest reports malformed credentials or credentials sent in a
// forbidden way, such as a token in the query string.
func InvalidRequest(description string, cause error) *Error {
	return &Error{Kind: KindInvalidRequest, Code: CodeInvalidRequest, Description: description, Err: cause}
}

// Unavailable reports that credentials could not be checked right now.
// retryAfter is a hint for clients; zero sends none.
func Unavailable(description string, retryAfter time.Duration, cause error) *Error {
	return &Error{Kind: KindUnavailable, Code: CodeTemporarilyUnavailable, Description: description, RetryAfter: retryAfter, Err: cause}
}

// Internal reports a failure that is not the client's fault. The client is
// told only "internal error"; cause is logged.
func Internal(cause error) *Error {
	return &Error{Kind: KindInternal, Description: descInternal, Err: cause}
}

// As classifies err: it returns the first *Error in err's tree (an *Error
// of its kind for a sentinel), or an internal *Error wrapping err when it
// holds none. A nil err is a programming error and classifies as internal
// too. The result is what a response to err is built from.
func As(err error) *Error {
	if err == nil {
		return Internal(errNilError)
	}
	if e, _, ok := typed(err); ok {
		return e
	}
	return Internal(err)
}

// typed returns the *Error in err's tree: the first *Error, or else, for
// a sentinel, a new *Error of its kind with err as the cause (fresh
// reports whether it is new).
func typed(err error) (e *Error, fresh, ok bool) {
	if e, ok := errors.AsType[*Error](err); ok && e != nil {
		return e, false, true
	}
	if s, ok := errors.AsType[sentinel](err); ok {
		return &Error{Kind: Kind(s), Err: err}, true, true
	}
	return nil, false, false
}

var errNilError = errors.New("authresult: a nil error classified")
