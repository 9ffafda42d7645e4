// Package gosdk connects mcpauth to the official MCP Go SDK
// (github.com/modelcontextprotocol/go-sdk): tool handlers see the
// authenticated principal as req.Extra.TokenInfo, and the SDK's own check
// that every request of a session comes from the same user engages.
//
//	server := mcp.NewServer(...)
//	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
//	guard, _ := mcphandler.New(gosdk.Handler(sdk), opts)
//	mux.Handle("/mcp", auth.Handler(guard))
//
// Inside a tool handler, [Principal] returns the principal.
package gosdk

import (
	"context"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth/authresult"
)

// extraKey is the TokenInfo.Extra key that carries the principal.
const extraKey = "mcpauth.principal"

// placeholder replaces the client's Authorization header before the SDK
// sees the request: the SDK needs a bearer token to run its token hook,
// and the real token has no business beyond the authentication layer.
const placeholder = "Bearer mcpauth-verified"

// Handler returns h, an SDK StreamableHTTPHandler, wrapped so that the SDK
// receives the principal from the request context (see
// [authresult.FromContext]) as its TokenInfo, with UserID set to the
// principal's binding key. Requests without a principal are refused by the
// SDK with 401; install middleware.Authenticator.Handler (and, for session
// binding and policies, mcphandler) in front of it.
//
// The SDK has no exported way to attach TokenInfo to a request, so the
// principal travels through the SDK's own auth.RequireBearerToken, with
// the client's token replaced by a placeholder.
func Handler(h http.Handler) http.Handler {
	inner := auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := new(http.Request)
		*r2 = *r
		r2.Header = r.Header.Clone()
		r2.Header.Set("Authorization", placeholder)
		inner.ServeHTTP(w, r2)
	})
}

func verify(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
	p, ok := authresult.FromContext(ctx)
	if !ok {
		return nil, auth.ErrInvalidToken
	}
	return TokenInfo(p), nil
}

// TokenInfo converts a principal to the SDK's token information: scopes,
// expiry, UserID (the binding key in hex, stable across token refreshes)
// and the principal itself in Extra.
func TokenInfo(p *authresult.Principal) *auth.TokenInfo {
	return &auth.TokenInfo{
		Scopes:     p.Scopes,
		Expiration: p.Expiry,
		UserID:     p.BindingKey().String(),
		Extra:      map[string]any{extraKey: p},
	}
}

// Principal returns the principal of a request's TokenInfo, as set by
// [Handler]. Use it in tool handlers: gosdk.Principal(req.Extra).
func Principal(extra *mcp.RequestExtra) (*authresult.Principal, bool) {
	if extra == nil || extra.TokenInfo == nil {
		return nil, false
	}
	p, ok := extra.TokenInfo.Extra[extraKey].(*authresult.Principal)
	if !ok || !p.Valid() {
		return nil, false
	}
	return p, true
}
