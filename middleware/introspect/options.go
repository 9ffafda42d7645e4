package introspect

import (
	"log/slog"
	"net/http"
	"time"
)

// Options configures a [Verifier]. Endpoint, ClientID, ClientSecret,
// Issuers and Audiences (unless AnyAudience is set) are required; [New]
// refuses an Options without them. Every other zero value is a safe
// default, documented on the field.
type Options struct {
	// Endpoint is the authorization server's introspection endpoint
	// (RFC 7662 §2, "introspection_endpoint" in RFC 8414 metadata): an
	// absolute https URL, or http on a loopback host, without user info
	// or fragment. Required.
	Endpoint string

	// ClientID and ClientSecret are this resource server's credentials at
	// the authorization server. Both are required: RFC 7662 §2.1 has the
	// endpoint authenticate its callers, so that it is not a token
	// scanning oracle.
	ClientID     string
	ClientSecret string

	// AuthMethod is how the credentials are sent (RFC 6749 §2.3.1):
	// AuthClientSecretBasic (the default) in an Authorization: Basic
	// header, each form-urlencoded before they are joined with ':', or
	// AuthClientSecretPost as client_id and client_secret in the form.
	AuthMethod string

	// Issuers lists the accepted "iss" values of a response, compared
	// exactly. Required; the principal's Issuer is the response's "iss".
	Issuers []string

	// AllowMissingIssuer accepts a response without "iss" (which RFC 7662
	// makes optional), and the principal's Issuer is then the only entry
	// of Issuers; New refuses it with more than one. By default "iss" is
	// required: an endpoint that serves several issuers (tenants, realms)
	// would otherwise vouch for a token of any of them.
	AllowMissingIssuer bool

	// Audiences lists this server's resource identifiers (RFC 8707). A
	// response's "aud", a string or an array of strings, must contain one
	// of them; a response without "aud" is refused. URLs are compared in
	// canonical form: scheme and host case-insensitive, default port and
	// one trailing slash ignored; an identifier with a fragment is
	// refused. Other strings are compared exactly. Required unless
	// AnyAudience.
	Audiences []string

	// AnyAudience turns off the audience check. Only for authorization
	// servers that cannot put the resource in "aud"; tokens issued for
	// any other service of the same server are then accepted too.
	AnyAudience bool

	// AllowClientCredentials accepts an active response without "sub"
	// that has a "client_id", as the client credentials grant issues
	// (RFC 6749 §4.4): the principal's Subject is then "client:" followed
	// by the client_id. By default "sub" is required. Turn it on only if
	// no user's "sub" at the authorization server can begin with
	// "client:", or such a user shares sessions and handles with the
	// client of that name.
	AllowClientCredentials bool

	// RequireTokenType requires "token_type", which RFC 7662 makes
	// optional, to be present (it must be Bearer whenever it is).
	// Authorization servers such as oidc-provider leave it out of the
	// answer for a refresh token but not for an access token, and the
	// endpoint introspects whatever it is sent, so this keeps refresh
	// tokens out where the audience check does not (AnyAudience, or
	// refresh tokens that carry "aud").
	RequireTokenType bool

	// Leeway tolerates clock skew when checking "exp", "nbf" and "iat".
	// Zero means DefaultLeeway; NoLeeway means none; other negative
	// values are refused.
	Leeway time.Duration

	// MaxTokenBytes caps the token length in bytes; a longer token is
	// refused (401) without being sent. Zero means
	// middleware.DefaultMaxTokenBytes (8 KiB); negative is refused.
	MaxTokenBytes int

	// MaxResponseBytes caps the response body. A longer body is an
	// outage (503), never a refusal of the token. Default 64 KiB.
	MaxResponseBytes int64

	// Timeout bounds one introspection request, connection to last byte.
	// Default 5s.
	Timeout time.Duration

	// RetryAfter is the hint sent with a 503 when the endpoint fails.
	// Default 5s.
	RetryAfter time.Duration

	// HTTPClient sends the introspection requests. Nil means a client of
	// its own with no global timeout (Timeout bounds each request).
	// Redirects are followed only within the Endpoint's origin (scheme,
	// host and port), at most five times, unless the client has a
	// CheckRedirect of its own, which is then used as given: another host
	// would decide which tokens are active. A refused redirect is an
	// outage (503).
	HTTPClient *http.Client

	// ScopeClaims name the response members scopes are read from,
	// merged in order without repeats: a string is split at spaces, an
	// array gives its elements. Empty means "scope" (RFC 7662 §2.2). Add
	// "scp", "roles" or "permissions" where an authorization server puts
	// grants there.
	ScopeClaims []string

	// Cache configures the cache of active tokens; the zero value turns
	// it on with the defaults documented on [CacheOptions].
	Cache CacheOptions

	// Now is the clock. Nil means time.Now.
	Now func() time.Time

	// Logger receives rejections (at debug level), endpoint failures (at
	// warn level) and refusals of this server's credentials (at error
	// level). Nil discards. Tokens and the client secret are never
	// logged.
	Logger *slog.Logger
}

// The values of Options.AuthMethod (RFC 6749 §2.3.1, as named in the
// RFC 7591 registry of token endpoint authentication methods).
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
)

// CacheOptions configures the cache of active tokens. A token that the
// endpoint called active and that passed every check is answered from the
// cache until the earlier of its "exp" and TTL after the introspection, so
// a token revoked at the authorization server is still accepted for up to
// TTL. Entries are found by the SHA-256 hash of the token, which is not
// kept. Failures are never cached.
type CacheOptions struct {
	// Disabled turns the cache off: every request is introspected
	// (concurrent requests with one token still share one introspection).
	Disabled bool
	// MaxEntries bounds the number of cached tokens. Default 10000.
	MaxEntries int
	// TTL bounds how long a token is cached, and so how long a revoked
	// token may still be accepted. Default 1m.
	TTL time.Duration
}

// DefaultLeeway is the clock skew tolerated when Options.Leeway is zero:
// a minute, as Envoy's jwt_authn filter allows by default.
const DefaultLeeway = time.Minute

// NoLeeway is the Options.Leeway that tolerates no clock skew at all.
const NoLeeway time.Duration = -1

// Defaults.
const (
	defaultMaxResponseBytes = 64 << 10
	defaultTimeout          = 5 * time.Second
	defaultRetryAfter       = 5 * time.Second
	defaultCacheEntries     = 10000
	defaultCacheTTL         = time.Minute
)

// defaultScopeClaims are read when Options.ScopeClaims is empty.
var defaultScopeClaims = []string{"scope"}
