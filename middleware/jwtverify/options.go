package jwtverify

import (
	"context"
	"crypto"
	"log/slog"
	"net/http"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
)

// Options configures a [Verifier]. Algorithms, Issuers, at least one key
// source (Keys or JWKS) and Audiences (unless AnyAudience is set) are
// required; [New] refuses an Options without them. Every other zero value
// is a safe default, documented on the field.
type Options struct {
	// Algorithms is the allow-list of JWS algorithms, such as "RS256" or
	// "EdDSA". Required. "none" is refused in any casing, as are names
	// golang-jwt does not implement. Each algorithm needs a key it can use:
	// HS256/384/512 a Keys entry with a Secret of at least 32/48/64 bytes;
	// RS*/PS* an RSA key; ES256/384/512 an ECDSA key on P-256/384/521;
	// EdDSA an Ed25519 key. Keys published by a JWKS URL satisfy every
	// asymmetric algorithm; they never satisfy HMAC.
	Algorithms []string

	// Issuers lists the accepted "iss" values, compared exactly. Required.
	// An entry may be a template with one {claim} placeholder, for
	// multi-tenant providers: "https://login.microsoftonline.com/{tid}/v2.0"
	// accepts a token whose iss is that URL with the token's own "tid"
	// claim in place of {tid} (letters, digits, '-', '_', '.'), so the
	// tenant is bound to a claim, never taken from iss alone.
	Issuers []string

	// IssuerOptions, keyed by an Issuers entry, gives that issuer its own
	// audiences and scope claims.
	IssuerOptions map[string]IssuerOptions

	// Audiences lists this server's resource identifiers (RFC 8707). A
	// token's "aud" must contain one of them. URLs are compared in
	// canonical form: scheme and host case-insensitive, default port and
	// one trailing slash ignored; an identifier with a fragment is refused.
	// Other strings are compared exactly. Required unless AnyAudience.
	Audiences []string

	// AnyAudience turns off the audience check. Only for providers that
	// cannot put the resource in "aud"; tokens minted for any other service
	// of the same issuer are then accepted too.
	AnyAudience bool

	// Keys are static verification keys.
	Keys []Key

	// JWKS lists remote JWK Set endpoints. Keys named by a token itself
	// (jku, x5u, jwk headers) are never fetched.
	JWKS []JWKSSource

	// JWKSFetch tunes fetching of JWKS; the zero value gives the defaults
	// documented on [JWKSOptions].
	JWKSFetch JWKSOptions

	// HTTPClient fetches JWKS. Nil means a client of its own with no
	// global timeout (JWKSOptions.Timeout bounds each fetch). Redirects
	// are followed only within the JWKS URL's origin (scheme, host and
	// port), at most five times, unless the client has a CheckRedirect of
	// its own, which is then used as given: a key set redirected to
	// another host would let that host choose the keys. A refused
	// redirect counts as an outage (503), not as an unknown key.
	HTTPClient *http.Client

	// AllowMissingExpiry accepts tokens without "exp". By default "exp"
	// is required, because a token without it never expires.
	AllowMissingExpiry bool

	// Leeway tolerates clock skew when checking "exp", "nbf" and "iat".
	// Zero means DefaultLeeway; NoLeeway means none; other negative
	// values are refused.
	Leeway time.Duration

	// RequireAccessTokenType requires the header "typ" to be "at+jwt"
	// (or "application/at+jwt"), as RFC 9068 access tokens carry. It
	// keeps ID tokens and other JWTs of the same issuer from being used
	// as access tokens.
	RequireAccessTokenType bool

	// MaxTokenBytes caps the token length in bytes. Zero means
	// middleware.DefaultMaxTokenBytes (8 KiB);
	// negative is refused.
	MaxTokenBytes int

	// ScopeClaims name the claims scopes are read from, merged: a string
	// claim is split at spaces, an array claim gives its elements. Empty
	// means "scope" (RFC 8693, RFC 9068) and "scp" (Entra ID, Okta). Add
	// "roles" or "permissions" where a provider puts grants there.
	ScopeClaims []string

	// Cache configures the verified-token cache; the zero value turns it
	// on with the defaults documented on [CacheOptions].
	Cache CacheOptions

	// Validate, when set, runs after every built-in check on each token
	// that is not answered from the cache. It may add to p (Value,
	// Scopes) and may refuse the token: an *authresult.Error it returns is
	// passed on as is; any other error becomes invalid_token "token
	// rejected". The principal it produced is what the cache returns for
	// the same token later, so Validate must depend on the claims only.
	Validate func(ctx context.Context, claims map[string]any, p *authresult.Principal) error

	// Now is the clock. Nil means time.Now.
	Now func() time.Time

	// after waits for d on the clock; nil means real timers. The package's
	// tests set it with Now, so that background refreshes follow the
	// injected clock.
	after func(d time.Duration) <-chan time.Time

	// Logger receives rejections (at debug level) and JWKS fetch failures
	// (at warn level). Nil discards. Tokens are never logged.
	Logger *slog.Logger
}

// Key is a static verification key. Exactly one of Secret, PublicKey and
// PEM must be set.
type Key struct {
	// ID is the key ID. Empty means the key is tried for every token whose
	// algorithm fits it, whatever its "kid"; otherwise the token's "kid"
	// must equal ID.
	ID string
	// Issuer, when set, restricts the key to tokens whose "iss" equals it.
	// It must be one of Options.Issuers.
	Issuer string
	// Secret is an HMAC secret of at least 32 bytes. It is copied.
	Secret []byte
	// PublicKey is an *rsa.PublicKey (at least 2048 bits), an
	// *ecdsa.PublicKey or an ed25519.PublicKey. Private keys are refused.
	PublicKey crypto.PublicKey
	// PEM holds one PEM block: "PUBLIC KEY" (PKIX), "RSA PUBLIC KEY"
	// (PKCS #1) or "CERTIFICATE" (its public key is used).
	PEM []byte
}

// JWKSSource is a JWK Set endpoint.
type JWKSSource struct {
	// URL is the JWKS address; http or https. Empty means discovery: the
	// jwks_uri of Issuer's authorization server metadata (RFC 8414, then
	// OpenID Connect Discovery), fetched again with every refresh of the
	// set; the document must name Issuer exactly.
	URL string
	// Issuer, when set, restricts the keys of this set to tokens whose
	// "iss" equals it, so that one issuer's keys cannot vouch for
	// another. It must be one of Options.Issuers.
	Issuer string
}

// JWKSOptions tunes JWKS fetching. Zero fields take the defaults below.
type JWKSOptions struct {
	// Timeout bounds one fetch, connection to last byte. Default 5s.
	Timeout time.Duration
	// RefreshInterval is how long a fetched set is used before the
	// background refresh fetches it again, when the response has no
	// Cache-Control max-age. Default 10m.
	RefreshInterval time.Duration
	// MinRefreshInterval is the floor for a Cache-Control max-age and
	// the delay before retrying a failed background fetch. Default 1m.
	MinRefreshInterval time.Duration
	// MaxRefreshInterval is the ceiling for a Cache-Control max-age.
	// Default 24h.
	MaxRefreshInterval time.Duration
	// UnknownKIDInterval is the least time between two fetches of one URL
	// triggered by tokens with a "kid" that is not in the set. Default 1m.
	UnknownKIDInterval time.Duration
	// MaxResponseSize caps the JWKS body in bytes. Default 512 KiB.
	MaxResponseSize int64
	// RetryAfter is the hint sent with a 503 when keys are unavailable.
	// Default 30s.
	RetryAfter time.Duration
}

// CacheOptions configures the verified-token cache. A token whose
// signature and claims were verified is answered from the cache until the
// earlier of its expiry (exp plus Leeway) and TTL. Lookups compare the
// whole token; entries whose key left its JWKS are dropped; failures are
// never cached.
type CacheOptions struct {
	// Disabled turns the cache off.
	Disabled bool
	// MaxEntries bounds the number of cached tokens. Default 10000.
	MaxEntries int
	// TTL bounds how long a token is cached. Default 5m.
	TTL time.Duration
}

// DefaultLeeway is the clock skew tolerated when Options.Leeway is zero:
// a minute, as Envoy's jwt_authn filter allows by default
// (clock_skew_seconds: 60); Microsoft.IdentityModel allows five. Without
// it, a token whose iat is a second ahead of this server's clock is
// refused as "issued in the future".
const DefaultLeeway = time.Minute

// NoLeeway is the Options.Leeway that tolerates no clock skew at all.
const NoLeeway time.Duration = -1

// Defaults.
const (
	defaultTimeout            = 5 * time.Second
	defaultRefreshInterval    = 10 * time.Minute
	defaultMinRefreshInterval = time.Minute
	defaultMaxRefreshInterval = 24 * time.Hour
	defaultUnknownKIDInterval = time.Minute
	defaultMaxResponseSize    = 512 << 10
	defaultRetryAfter         = 30 * time.Second
	defaultCacheEntries       = 10000
	defaultCacheTTL           = 5 * time.Minute
)

func (o *JWKSOptions) withDefaults() JWKSOptions {
	c := *o
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Timeout, defaultTimeout)
	def(&c.RefreshInterval, defaultRefreshInterval)
	def(&c.MinRefreshInterval, defaultMinRefreshInterval)
	def(&c.MaxRefreshInterval, defaultMaxRefreshInterval)
	def(&c.UnknownKIDInterval, defaultUnknownKIDInterval)
	def(&c.RetryAfter, defaultRetryAfter)
	if c.MaxResponseSize <= 0 {
		c.MaxResponseSize = defaultMaxResponseSize
	}
	c.MinRefreshInterval = min(c.MinRefreshInterval, c.RefreshInterval)
	c.MaxRefreshInterval = max(c.MaxRefreshInterval, c.RefreshInterval)
	return c
}
