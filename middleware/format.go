package middleware

import (
	"context"
	"errors"
	"strings"

	"github.com/mcpauth/mcpauth/authresult"
)

// ErrTokenFormat is the cause of the refusal of a token whose format no
// verifier of [ByFormat] takes.
var ErrTokenFormat = errors.New("middleware: no verifier for this token format")

// ByFormat returns a verifier that sends a JWT (three dot-separated
// segments, the first starting "eyJ", the base64url of `{"`) to jwt and
// every other token to opaque: what a server needs whose provider issues
// both JWT access tokens (verified locally) and opaque ones (verified by
// introspection). A token goes to one verifier only, never to the other
// after a refusal. A nil verifier refuses its format with 401
// invalid_token.
func ByFormat(jwt, opaque TokenVerifier) TokenVerifier {
	return TokenVerifierFunc(func(ctx context.Context, token string) (*authresult.Principal, error) {
		v := opaque
		if IsJWT(token) {
			v = jwt
		}
		if v == nil {
			return nil, authresult.InvalidToken("unsupported token format", ErrTokenFormat)
		}
		return v.VerifyToken(ctx, token)
	})
}

// IsJWT reports whether token has the shape of a compact JWS: three
// dot-separated segments, the first starting "eyJ". It says nothing of
// whether the token is valid.
func IsJWT(token string) bool {
	return strings.HasPrefix(token, "eyJ") && strings.Count(token, ".") == 2
}
