package credentials

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
)

// Source gives the headers that carry the gateway's credentials on the
// upstream request for principal p. Its Headers method has the signature
// of mcpproxy.Options.UpstreamHeaders. Implementations are safe for
// concurrent use.
type Source interface {
	Headers(ctx context.Context, p *authresult.Principal) (http.Header, error)
}

// Errors for errors.Is, each wrapped in an *authresult.Error that decides
// the response.
var (
	// ErrUnavailable: the token endpoint could not be reached or answered
	// with a server error (503).
	ErrUnavailable = errors.New("credentials: token endpoint unavailable")
	// ErrClientRefused: the token endpoint refused the gateway's own
	// client credentials or grant (503: the client cannot fix it).
	ErrClientRefused = errors.New("credentials: token endpoint refused the gateway's client credentials")
	// ErrResponse: the token endpoint answered something that is not a
	// usable bearer token (503).
	ErrResponse = errors.New("credentials: token endpoint answered no usable bearer token")
	// ErrExchangeRefused: the authorization server refused to exchange
	// this user's token for one of the upstream (403).
	ErrExchangeRefused = errors.New("credentials: token exchange refused")
	// ErrNoSubjectToken: the request has no verified token to exchange;
	// the Authenticator in front was not made by middleware.New (500).
	ErrNoSubjectToken = errors.New("credentials: no verified token in the request context to exchange; authenticate with middleware.New in front of the proxy")
)

// DefaultRetryAfter is the Retry-After of a 503 when the options set none.
const DefaultRetryAfter = 5 * time.Second

// descUnavailable is what a client is told of a 503.
const descUnavailable = "upstream credentials temporarily unavailable"

// unavailable is the 503 for cause.
func unavailable(retryAfter time.Duration, cause error) *authresult.Error {
	return authresult.Unavailable(descUnavailable, retryAfter, cause)
}

// static is the Source of Static.
type static struct{ h string }

// Static returns a Source that presents token as the gateway's bearer
// token on every upstream request. It returns an error for a token that
// is empty or not an RFC 6750 b64token.
func Static(token string) (Source, error) {
	if !b64token(token) {
		return nil, errors.New("credentials: Static: the token is empty or not an RFC 6750 b64token")
	}
	return static{h: "Bearer " + token}, nil
}

// Headers returns Authorization: Bearer with the static token.
func (s static) Headers(context.Context, *authresult.Principal) (http.Header, error) {
	return http.Header{"Authorization": {s.h}}, nil
}

// b64token reports whether s is an RFC 6750 §2.1 b64token, the only form
// a token may take in an Authorization header.
func b64token(s string) bool {
	if s == "" {
		return false
	}
	end := len(s)
	for end > 0 && s[end-1] == '=' {
		end--
	}
	if end == 0 {
		return false
	}
	for _, c := range []byte(s[:end]) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}

// retryAfterOr returns d, or DefaultRetryAfter for 0.
func retryAfterOr(d time.Duration) (time.Duration, error) {
	switch {
	case d < 0:
		return 0, fmt.Errorf("credentials: RetryAfter %v is negative", d)
	case d == 0:
		return DefaultRetryAfter, nil
	}
	return d, nil
}
