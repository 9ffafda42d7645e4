package middleware

import (
	"context"

	"github.com/mcpauth/mcpauth/authresult"
)

type tokenKey struct{}

// verifiedToken is the bearer token a TokenVerifier accepted, tied to the
// principal it returned.
type verifiedToken struct {
	p     *authresult.Principal
	token string
}

// TokenFromContext returns the bearer token that the [TokenVerifier] of an
// Authenticator made by [New] accepted for the principal in ctx, for the
// one use that needs it: exchanging it for a token of another service
// (RFC 8693, as mcpproxy/credentials does). Never forward it: the MCP
// specification forbids passing a client's token through to an upstream.
//
// ok is false when the principal in ctx is not the one that token was
// verified for (an inner layer replaced it, or there is none) and for an
// Authenticator made by [NewFunc], whose function may have decided on
// something other than the token.
func TokenFromContext(ctx context.Context) (token string, ok bool) {
	v, _ := ctx.Value(tokenKey{}).(*verifiedToken)
	p, has := authresult.FromContext(ctx)
	if v == nil || !has || v.p != p {
		return "", false
	}
	return v.token, true
}
