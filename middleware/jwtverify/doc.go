// Package jwtverify verifies JWT access tokens for an MCP server acting as
// an OAuth 2.1 resource server. A [Verifier] checks a bearer token that
// the middleware has already taken from the Authorization header and
// returns an [*authresult.Principal] or an [*authresult.Error]:
//
//	v, err := jwtverify.New(&jwtverify.Options{
//		Algorithms: []string{"RS256"},
//		Issuers:    []string{"https://idp.example"},
//		Audiences:  []string{"https://mcp.example/mcp"},
//		JWKS:       []jwtverify.JWKSSource{{URL: "https://idp.example/jwks"}},
//	})
//	if err != nil { ... } // bad configuration fails here, never per request
//	defer v.Close()
//	p, err := v.VerifyToken(ctx, token)
//
// # What is checked
//
// The token must be a compact JWS of at most MaxTokenBytes bytes with three
// non-empty, unpadded base64url segments (whitespace, padding, standard
// base64 and non-canonical encodings are refused). The header must name an
// allowed algorithm ("none" can never be allowed), must not carry "crit",
// "jku", "x5u" or "jwk", and must have "typ" at+jwt when so configured.
// The signature is checked with golang-jwt's signing methods against keys
// whose type fits the algorithm, before the claims are decoded. The claims
// must be a JSON object of valid UTF-8 with "exp" (a number, unless
// AllowMissingExpiry), "iss" among Issuers (exactly, or filling a
// {claim} template with the token's own claim), "aud" naming one of the
// issuer's audiences, a non-empty "sub", and "nbf"/"iat" not in the future
// beyond Leeway (DefaultLeeway, a minute, unless set).
//
// golang-jwt's own parser is not used for parsing, because in v5.3.1 it
// accepts "exp" given as a string, ignores "crit", replaces invalid UTF-8,
// sets no size limit, requires no "kid" and decodes the claims before the
// signature is checked. Only its signing methods are used.
//
// # Keys
//
// Keys are static (an HMAC secret, RSA/ECDSA/Ed25519 public keys or PEM)
// or fetched from JWKS URLs, each optionally bound to one issuer. See
// jwks.go for why fetching is not delegated to keyfunc/jwkset and which
// parts of jwkset are used. A JWKSSource without a URL is discovered from
// its issuer's metadata (RFC 8414, then OpenID Connect Discovery), whose
// issuer must match exactly. A token whose key cannot be obtained because
// a key server is down, slow or malformed gets 503 with Retry-After. So
// does one with an unknown kid that may be a key published after the last
// fetch (the token's iat is later than that fetch) while a refetch is
// rate-limited: a 401 would make the client drop a valid token. Other
// unknown kids with healthy key servers get 401.
//
// # Providers
//
// [Keycloak], [EntraID], [Auth0], [Okta] and [Cognito] return Options for
// the access tokens of those providers as they issue them.
//
// # Cache
//
// Verified tokens are cached (see [CacheOptions]) so that a repeated token
// costs a hash and a string comparison instead of a signature check.
package jwtverify
