// Package middleware authenticates MCP requests for net/http and chi.
//
// An [Authenticator] is built once from a verifier and [Options]; bad
// configuration fails there, never per request. Its Handler method is a
// func(http.Handler) http.Handler that puts the [authresult.Principal] in
// the request context and calls the next handler exactly once, or answers
// with a JSON-RPC error, the status decided by the error's type, and an
// RFC 6750 WWW-Authenticate challenge that points at the RFC 9728 protected
// resource metadata. The next handler never runs without a principal.
//
// The decision is separate from the response: [Authenticator.Check] returns
// (principal, error) for a request and writes nothing, so it can be used by
// gateways and tests directly.
//
// The protected resource metadata handler lives here too, because it is
// built from the same Options as the challenge: the resource_metadata URL a
// 401 advertises is, by construction, the URL the handler serves.
//
// Verifiers come in two forms. A [TokenVerifier] receives the bearer token,
// already extracted and checked (RFC 6750 §2.1 syntax, size cap, a single
// Authorization header, no token in the query or form). A [Func] receives
// the request, for existing authenticate callbacks and gateway auth
// services, and may return any outcome shape that [authresult.Normalize]
// accepts. Both are protected against panics.
package middleware
