package introspect

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sync/singleflight"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/audience"
	"github.com/mcpauth/mcpauth/internal/fetch"
	"github.com/mcpauth/mcpauth/internal/loopback"
	"github.com/mcpauth/mcpauth/internal/panics"
	"github.com/mcpauth/mcpauth/middleware"
)

// Verifier verifies access tokens by asking the authorization server's
// introspection endpoint (RFC 7662). Create it with [New]; it is safe for
// concurrent use and holds no goroutines of its own between calls.
type Verifier struct {
	endpoint     string
	clientID     string
	clientSecret string
	basicAuth    string // the Authorization header, for client_secret_basic

	issuers     map[string]bool
	soleIssuer  string // the issuer of a response without "iss"; "" requires it
	audiences   audience.Set
	anyAudience bool
	allowClient bool
	requireType bool
	scopeClaims []string

	leeway           time.Duration
	maxTokenBytes    int
	maxResponseBytes int64
	timeout          time.Duration
	retryAfter       time.Duration

	client  *http.Client
	now     func() time.Time
	log     *slog.Logger
	cache   *tokenCache // nil when disabled
	flights singleflight.Group

	// joined, when set, is called by each VerifyToken once it waits for
	// an introspection, started by itself or another caller. For tests.
	joined func()
}

// New checks opts and returns a verifier. It fails when a required input
// is missing or unsafe: no endpoint, an endpoint that is not an absolute
// https URL (http only on loopback hosts) or has user info or a fragment,
// an empty client id or secret, an unknown AuthMethod, no issuers or an
// empty one, AllowMissingIssuer with other than one issuer, no audience
// (unless AnyAudience), both Audiences and AnyAudience, an audience with
// a fragment, an empty scope claim name, or a negative Leeway (other than
// NoLeeway), MaxTokenBytes, MaxResponseBytes, Timeout, RetryAfter,
// Cache.MaxEntries or Cache.TTL.
func New(opts *Options) (*Verifier, error) {
	if opts == nil {
		opts = &Options{}
	}
	v := &Verifier{
		endpoint:     opts.Endpoint,
		clientID:     opts.ClientID,
		clientSecret: opts.ClientSecret,
		anyAudience:  opts.AnyAudience,
		allowClient:  opts.AllowClientCredentials,
		requireType:  opts.RequireTokenType,
		now:          opts.Now,
		log:          opts.Logger,
		client:       fetch.SameOriginRedirects(opts.HTTPClient),
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	if err := v.configure(opts); err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	return v, nil
}

// configure validates opts into v.
func (v *Verifier) configure(opts *Options) error {
	if err := checkEndpoint(opts.Endpoint); err != nil {
		return err
	}
	if opts.ClientID == "" || opts.ClientSecret == "" {
		return errors.New("options ClientID and ClientSecret are required")
	}
	switch opts.AuthMethod {
	case "", AuthClientSecretBasic:
		// RFC 6749 §2.3.1: each part form-urlencoded, then joined.
		creds := url.QueryEscape(opts.ClientID) + ":" + url.QueryEscape(opts.ClientSecret)
		v.basicAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(creds))
	case AuthClientSecretPost:
	default:
		return fmt.Errorf("option AuthMethod %q is not %q or %q", opts.AuthMethod, AuthClientSecretBasic, AuthClientSecretPost)
	}

	if len(opts.Issuers) == 0 {
		return errors.New("option Issuers is required")
	}
	v.issuers = make(map[string]bool, len(opts.Issuers))
	for _, iss := range opts.Issuers {
		if iss == "" {
			return errors.New("empty issuer")
		}
		v.issuers[iss] = true
	}
	if opts.AllowMissingIssuer {
		if len(opts.Issuers) != 1 {
			return errors.New("option AllowMissingIssuer needs exactly one issuer, to stand for responses without one")
		}
		v.soleIssuer = opts.Issuers[0]
	}

	switch {
	case opts.AnyAudience && len(opts.Audiences) > 0:
		return errors.New("options Audiences and AnyAudience are both set")
	case !opts.AnyAudience && len(opts.Audiences) == 0:
		return errors.New("option Audiences is required (set AnyAudience to opt out)")
	}
	var err error
	if v.audiences, err = audience.New(opts.Audiences); err != nil {
		return fmt.Errorf("option Audiences: %w", err)
	}

	v.scopeClaims = defaultScopeClaims
	if len(opts.ScopeClaims) > 0 {
		v.scopeClaims = append([]string(nil), opts.ScopeClaims...)
	}
	for _, c := range v.scopeClaims {
		if c == "" {
			return errors.New("empty scope claim name")
		}
	}

	switch {
	case opts.Leeway == 0:
		v.leeway = DefaultLeeway
	case opts.Leeway == NoLeeway:
		v.leeway = 0
	case opts.Leeway < 0:
		return errors.New("negative Leeway (use NoLeeway for none)")
	default:
		v.leeway = opts.Leeway
	}
	if opts.MaxTokenBytes < 0 || opts.MaxResponseBytes < 0 || opts.Timeout < 0 || opts.RetryAfter < 0 {
		return errors.New("negative MaxTokenBytes, MaxResponseBytes, Timeout or RetryAfter")
	}
	v.maxTokenBytes = orDefault(opts.MaxTokenBytes, middleware.DefaultMaxTokenBytes)
	v.maxResponseBytes = orDefault(opts.MaxResponseBytes, defaultMaxResponseBytes)
	v.timeout = orDefault(opts.Timeout, defaultTimeout)
	v.retryAfter = orDefault(opts.RetryAfter, defaultRetryAfter)

	if opts.Cache.MaxEntries < 0 || opts.Cache.TTL < 0 {
		return errors.New("negative Cache.MaxEntries or Cache.TTL")
	}
	if !opts.Cache.Disabled {
		v.cache = newTokenCache(orDefault(opts.Cache.MaxEntries, defaultCacheEntries), orDefault(opts.Cache.TTL, defaultCacheTTL))
	}
	return nil
}

// orDefault returns x, or def when x is zero.
func orDefault[T comparable](x, def T) T {
	var zero T
	if x == zero {
		return def
	}
	return x
}

// checkEndpoint requires an absolute https URL (http for loopback hosts)
// with a host and no fragment or user info. Its errors show the URL with
// any password redacted.
func checkEndpoint(s string) error {
	if s == "" {
		return errors.New("option Endpoint is required")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("option Endpoint is not a URL: %w", fetch.Redact(err))
	}
	shown := u.Redacted()
	switch {
	case !u.IsAbs() || u.Host == "":
		return fmt.Errorf("option Endpoint %q is not an absolute URL", shown)
	case strings.Contains(s, "#"):
		return fmt.Errorf("option Endpoint %q has a fragment", shown)
	case u.User != nil:
		return fmt.Errorf("option Endpoint %q has user info (use ClientID and ClientSecret)", shown)
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback.Host(u.Hostname()):
	default:
		return fmt.Errorf("option Endpoint %q must use https (http only on loopback)", shown)
	}
	return nil
}

// VerifyToken asks the introspection endpoint about token, unless the
// cache already holds it, and returns the principal the response names.
// Every failure is an *authresult.Error: invalid_token (401) for a token
// that is empty or too large, that the endpoint calls inactive, or whose
// response is expired, for another issuer or audience, of another token
// type, without a subject, or with malformed claims; unavailable (503,
// with a Retry-After hint) when the endpoint cannot be reached, does not
// answer within Options.Timeout, answers with a status other than 200
// (its 401 and 403 included, which refuse this server's credentials) or
// with a body that is not one JSON object within MaxResponseBytes, and
// when ctx ends first (the cause then wraps ctx.Err()). It never returns
// 500 for anything the endpoint sends. Descriptions are safe to send to
// clients; causes are for logs. Tokens are never logged.
//
// Concurrent calls with one token that is not cached share one
// introspection request, which runs until it ends or Timeout passes even
// if the caller that started it goes away, so that the others still get
// its answer.
//
// The returned principal is the caller's to modify at the top level; its
// Audience, Scopes and Claims may be shared with other calls for the same
// token and must be treated as read-only.
func (v *Verifier) VerifyToken(ctx context.Context, token string) (*authresult.Principal, error) {
	p, e := v.verify(ctx, token)
	if e != nil {
		if e.Kind == authresult.KindUnauthenticated {
			v.logRejected(ctx, e)
		}
		return nil, e
	}
	cp := *p
	return &cp, nil
}

// logRejected logs a refused token at debug level: the reason and the
// cause, never the token.
func (v *Verifier) logRejected(ctx context.Context, e *authresult.Error) {
	if v.log.Enabled(ctx, slog.LevelDebug) {
		v.log.LogAttrs(ctx, slog.LevelDebug, "introspect: token rejected",
			slog.String("reason", e.Description), slog.Any("error", e.Err))
	}
}

// verify is VerifyToken without logging and copying.
func (v *Verifier) verify(ctx context.Context, token string) (*authresult.Principal, *authresult.Error) {
	switch {
	case token == "":
		return nil, invalid(descMalformed, fmt.Errorf("%w: empty", ErrMalformed))
	case len(token) > v.maxTokenBytes:
		return nil, invalid(descTooLarge, fmt.Errorf("%w: %d bytes", ErrMalformed, len(token)))
	}
	key := sha256.Sum256(bytesOf(token))
	if v.cache != nil {
		if p := v.cache.get(&key, v.now()); p != nil {
			return p, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, v.gaveUp(err)
	}
	return v.await(ctx, token, key)
}

// await joins the introspection of token in flight, or starts it, and
// waits for its outcome or the end of ctx. The flight runs detached from
// ctx, so that a caller who goes away does not fail the others waiting
// for the same answer; Timeout bounds it instead.
func (v *Verifier) await(ctx context.Context, token string, key [sha256.Size]byte) (*authresult.Principal, *authresult.Error) {
	detached := context.WithoutCancel(ctx)
	ch := v.flights.DoChan(string(key[:]), func() (any, error) {
		return v.flight(detached, token, &key), nil
	})
	if v.joined != nil {
		v.joined()
	}
	select {
	case r := <-ch:
		out := r.Val.(outcome)
		if out.err != nil {
			e := *out.err // each caller gets its own, as with a principal
			return nil, &e
		}
		return out.p, nil
	case <-ctx.Done():
		return nil, v.gaveUp(ctx.Err())
	}
}

// bytesOf returns the bytes of s without copying them; they must not be
// modified.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// gaveUp is the error of a caller whose context ended before the answer.
func (v *Verifier) gaveUp(err error) *authresult.Error {
	return unavailable(v.retryAfter, fmt.Errorf("introspect: the request ended before the introspection did: %w", err))
}

// outcome is the result of one flight, shared by the callers waiting for
// it.
type outcome struct {
	p   *authresult.Principal
	err *authresult.Error
}

// flight introspects token once for every caller waiting on key: it
// looks in the cache again (an earlier flight may have just filled it),
// asks the endpoint within Timeout, logs outages, and caches an accepted
// token. A panic (of a custom HTTP client, say) becomes an internal
// error instead of taking the process down.
func (v *Verifier) flight(ctx context.Context, token string, key *[sha256.Size]byte) (out outcome) {
	defer func() {
		if rec := recover(); rec != nil {
			out = outcome{err: panics.InBackground(ctx, v.log, "introspection", errPanic, rec)}
		}
	}()
	if v.cache != nil {
		if p := v.cache.get(key, v.now()); p != nil {
			return outcome{p: p}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	body, e := v.introspect(ctx, token)
	if e != nil {
		v.logOutage(ctx, e)
		return outcome{err: e}
	}
	now := v.now()
	p, exp, e := v.check(body, now)
	if e != nil {
		if e.Kind == authresult.KindUnavailable {
			v.logOutage(ctx, e)
		}
		return outcome{err: e}
	}
	if v.cache != nil {
		v.cache.put(key, p, now, exp)
	}
	return outcome{p: p}
}

var errPanic = errors.New("introspect: introspection panicked")

// logOutage logs a failure to get an answer: at error level when the
// endpoint refused this server's credentials, which only an operator can
// fix, else at warn level.
func (v *Verifier) logOutage(ctx context.Context, e *authresult.Error) {
	level := slog.LevelWarn
	msg := "introspect: introspection failed"
	if errors.Is(e, ErrCredentials) {
		level = slog.LevelError
		msg = "introspect: the introspection endpoint refused this server's client credentials"
	}
	v.log.LogAttrs(ctx, level, msg, slog.String("endpoint", v.endpoint), slog.Any("error", e.Err))
}
