// Package introspect verifies access tokens for an MCP server acting as an
// OAuth 2.1 resource server by asking the authorization server about each
// one: OAuth 2.0 Token Introspection (RFC 7662). A [Verifier] checks a
// bearer token that the middleware has already taken from the
// Authorization header and returns an [*authresult.Principal] or an
// [*authresult.Error]:
//
//	v, err := introspect.New(&introspect.Options{
//		Endpoint:     "https://idp.example/oauth2/introspect",
//		ClientID:     "mcp-server",
//		ClientSecret: secret,
//		Issuers:      []string{"https://idp.example"},
//		Audiences:    []string{"https://mcp.example/mcp"},
//	})
//	if err != nil { ... } // bad configuration fails here, never per request
//	auth, err := middleware.New(v, &middleware.Options{...})
//
// # Beside jwtverify
//
// [Verifier] implements [middleware.TokenVerifier], as
// [github.com/mcpauth/mcpauth/middleware/jwtverify.Verifier] does, and
// follows its conventions: *Options with nil meaning safe defaults,
// checked by New; the same Issuers, Audiences (RFC 8707 canonical
// matching), AnyAudience, Leeway and ScopeClaims; typed 401s and 503s
// with sentinel causes; a cache of verified tokens. Which one to use
// depends on the tokens the authorization server issues: jwtverify for
// JWT access tokens it can check locally with the server's keys,
// introspect for opaque tokens, [middleware.ByFormat] for a server that
// issues both, and [Revocation] for JWTs that must stop working once they
// are revoked. Besides mcpauth's own packages, this one uses the standard
// library and golang.org/x/sync only.
//
// # What is checked
//
// In this order:
//
//  1. The token is not empty and at most MaxTokenBytes long (else 401,
//     and nothing is sent).
//  2. The cache, keyed by the token's SHA-256 hash, may answer.
//  3. The token is POSTed as token=…&token_type_hint=access_token with
//     Accept: application/json and the client's credentials
//     (client_secret_basic or client_secret_post), within Timeout, and
//     redirects only within the endpoint's origin. Concurrent requests
//     with the same token share one introspection.
//  4. The answer must be 200; 401 and 403 mean the endpoint refused this
//     server's own credentials, logged at error level.
//  5. The body must be at most MaxResponseBytes of valid UTF-8 and
//     exactly one JSON object in which no member is named twice, escapes
//     included ("\u0061ctive" is "active").
//  6. "active" must be the JSON value true: false, "true", 1, null or a
//     missing member mean inactive (401).
//  7. Then every other check runs and all failures are reported: "exp"
//     not passed, "nbf" and "iat" not in the future (each within Leeway);
//     "token_type" Bearer (and present, with RequireTokenType),
//     "token_use" access_token and "typ" Bearer or at+jwt when present,
//     and no "cnf" (a token bound to a key or
//     certificate, which a bearer check cannot prove); "iss" among
//     Issuers (or absent with AllowMissingIssuer); "aud" naming one of
//     Audiences (unless AnyAudience); a non-empty "sub" (or, with
//     AllowClientCredentials, a "client_id", giving "client:"+client_id);
//     "client_id" and the scope claims of the right types.
//
// The principal has Subject, Issuer, Audience, Scopes (the ScopeClaims
// merged, without repeats), ClientID, Expiry ("exp") and the whole
// response as Claims.
//
// # Failures
//
// A response that says the token is not acceptable (steps 1, 6 and 7) is
// 401 invalid_token with a short description. Anything else is an outage
// and 503 with Retry-After, never 401, which would send the client to log
// in again, and never 500: the endpoint unreachable, slower than
// Timeout, answering with another status (its 401 and 403 included), a
// body that is too large or not a JSON object, a refused redirect, or the
// caller's context ending first.
//
// # Caching and revocation
//
// Only tokens that passed every check are cached, until the earlier of
// their "exp" and Cache.TTL after the introspection (one minute by
// default); failures are never cached. A token revoked at the
// authorization server is therefore accepted for up to TTL longer: a
// shorter TTL honours revocation sooner and costs an introspection per
// token per TTL; Cache.Disabled introspects every request. The cache keeps
// hashes, never tokens, and evicts the soonest-expiring of a small random
// sample when full. An introspection runs detached from the cancellation
// of the request that started it but bounded by Timeout, so that a client
// that goes away does not fail the other requests waiting for the answer,
// which is still cached.
package introspect
