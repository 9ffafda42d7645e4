package credentials

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/evict"
	"github.com/mcpauth/mcpauth/internal/fetch"
	"github.com/mcpauth/mcpauth/middleware"
)

// RFC 8693 identifiers.
const (
	GrantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeAccessToken   = "urn:ietf:params:oauth:token-type:access_token"
)

// Defaults of ExchangeOptions.
const (
	DefaultMaxEntries = 10000
	DefaultTTL        = time.Minute
)

// maxResponseBytes bounds a token endpoint's answer.
const maxResponseBytes = 64 << 10

// expiryMargin is how long before its expiry a cached token is renewed, so
// that it does not expire on its way to the upstream.
const expiryMargin = 10 * time.Second

// ExchangeOptions configures [TokenExchange].
type ExchangeOptions struct {
	// TokenURL is the authorization server's token endpoint: https, or
	// http on a loopback host. Required.
	TokenURL string
	// ClientID and ClientSecret authenticate the gateway at the token
	// endpoint, with HTTP Basic (RFC 6749 §2.3.1) unless ClientSecretPost
	// sends them in the form. ClientID is required.
	ClientID, ClientSecret string
	ClientSecretPost       bool
	// Resource is the upstream's resource identifier, sent as the
	// resource parameter (RFC 8707) so that the new token names the
	// upstream in aud. When empty, it is the resource of the upstream's
	// RFC 9728 metadata, discovered from Upstream on first use, or
	// Upstream itself when the upstream publishes none.
	Resource string
	// Upstream is the upstream's MCP endpoint, where Resource is
	// discovered when it is empty.
	Upstream *url.URL
	// Audience, if set, is sent as the audience parameter: the logical
	// name of the upstream at the authorization server.
	Audience string
	// Scopes, if set, are the scopes asked for the new token.
	Scopes []string
	// RequestedTokenType is the requested_token_type; default
	// TokenTypeAccessToken.
	RequestedTokenType string
	// HTTPClient sends the exchange and discovery requests; nil means a
	// client with a 10-second timeout that follows no redirect.
	HTTPClient *http.Client
	// RetryAfter is the hint of a 503; 0 means DefaultRetryAfter.
	RetryAfter time.Duration
	// MaxEntries bounds the cache of exchanged tokens (one per principal
	// and inbound token); 0 means DefaultMaxEntries.
	MaxEntries int
	// TTL is how long a token whose answer has no expires_in is cached;
	// 0 means DefaultTTL. A cached token never outlives the inbound
	// token it was exchanged for.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// exchanger is the Source of TokenExchange.
type exchanger struct {
	o          ExchangeOptions
	basic      string // Authorization header of the client, if Basic
	client     *http.Client
	retryAfter time.Duration
	now        func() time.Time

	flight singleflight.Group

	mu      sync.Mutex
	entries map[[sha256.Size]byte]entry

	resMu    sync.Mutex
	resource string // once known
}

// maxExchangeTime bounds one exchange, the discovery of the upstream's
// resource included, whatever the HTTPClient's own timeout (a variable
// for tests).
var maxExchangeTime = 30 * time.Second

// entry is one cached exchanged token.
type entry struct {
	header  string // "Bearer …"
	expires time.Time
}

// TokenExchange returns a Source that, for each principal, exchanges the
// token the client presented (middleware.TokenFromContext) for a token of
// the upstream (RFC 8693), with the upstream's resource as the audience,
// and presents that one upstream. Exchanged tokens are cached per
// principal and inbound token until they expire (never past the inbound
// token's expiry), and concurrent requests for the same one share one
// exchange. It returns an error for incomplete options.
func TokenExchange(opts *ExchangeOptions) (Source, error) {
	if opts == nil {
		return nil, errors.New("credentials: TokenExchange: options are required")
	}
	o := *opts
	if err := checkEndpoint(o.TokenURL); err != nil {
		return nil, fmt.Errorf("credentials: TokenExchange: TokenURL %w", err)
	}
	switch {
	case o.ClientID == "":
		return nil, errors.New("credentials: TokenExchange: ClientID is required")
	case o.Resource == "" && o.Upstream == nil && o.Audience == "":
		return nil, errors.New("credentials: TokenExchange: set Resource, Upstream (to discover it) or Audience")
	case o.MaxEntries < 0 || o.TTL < 0:
		return nil, errors.New("credentials: TokenExchange: MaxEntries and TTL may not be negative")
	}
	if o.Resource != "" {
		if u, err := url.Parse(o.Resource); err != nil || !u.IsAbs() || u.Fragment != "" {
			return nil, errors.New("credentials: TokenExchange: Resource is not an absolute URI without fragment (RFC 8707)")
		}
	}
	if o.Upstream != nil && (o.Upstream.Scheme != "http" && o.Upstream.Scheme != "https" || o.Upstream.Host == "") {
		return nil, errors.New("credentials: TokenExchange: Upstream is not an absolute http(s) URL")
	}
	retry, err := retryAfterOr(o.RetryAfter)
	if err != nil {
		return nil, err
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.RequestedTokenType == "" {
		o.RequestedTokenType = TokenTypeAccessToken
	}
	e := &exchanger{o: o, client: o.HTTPClient, retryAfter: retry, now: o.Now, entries: map[[sha256.Size]byte]entry{}, resource: o.Resource}
	if e.client == nil {
		e.client = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if e.now == nil {
		e.now = time.Now
	}
	if !o.ClientSecretPost {
		e.basic = "Basic " + basicAuth(o.ClientID, o.ClientSecret)
	}
	return e, nil
}

// Headers returns Authorization with the upstream token exchanged for
// the request's verified token.
func (e *exchanger) Headers(ctx context.Context, p *authresult.Principal) (http.Header, error) {
	token, ok := middleware.TokenFromContext(ctx)
	if !ok || p == nil {
		return nil, authresult.Internal(ErrNoSubjectToken)
	}
	key := cacheKey(p, token)
	now := e.now()
	e.mu.Lock()
	c, hit := e.entries[key]
	e.mu.Unlock()
	if hit && now.Before(c.expires) {
		return http.Header{"Authorization": {c.header}}, nil
	}
	ch := e.flight.DoChan(string(key[:]), func() (any, error) {
		// Detached from the first caller, so that its going away does
		// not fail the others, and bounded on its own, so that a token
		// server that never answers (through an HTTPClient without a
		// timeout) cannot hold this principal's exchange for good.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), maxExchangeTime)
		defer cancel()
		return e.exchange(ctx, key, p, token)
	})
	select {
	case <-ctx.Done():
		return nil, unavailable(e.retryAfter, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err()))
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return http.Header{"Authorization": {res.Val.(string)}}, nil
	}
}

// cacheKey binds a cached token to the principal and to the inbound token,
// so that a new token of the same user (other scopes, say) is exchanged
// anew.
func cacheKey(p *authresult.Principal, token string) [sha256.Size]byte {
	bk := p.BindingKey()
	h := sha256.New()
	h.Write(bk[:])
	h.Write([]byte(token))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// tokenResponse is the part of an RFC 8693 §2.2.1 answer used here.
type tokenResponse struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
}

// errorResponse is an RFC 6749 §5.2 error answer.
type errorResponse struct {
	Error string `json:"error"`
}

// exchange runs one exchange and caches its token.
func (e *exchanger) exchange(ctx context.Context, key [sha256.Size]byte, p *authresult.Principal, token string) (string, error) {
	resource, err := e.upstreamResource(ctx)
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type":           {GrantTypeTokenExchange},
		"subject_token":        {token},
		"subject_token_type":   {TokenTypeAccessToken},
		"requested_token_type": {e.o.RequestedTokenType},
	}
	if resource != "" {
		form.Set("resource", resource)
	}
	if e.o.Audience != "" {
		form.Set("audience", e.o.Audience)
	}
	if len(e.o.Scopes) > 0 {
		form.Set("scope", strings.Join(e.o.Scopes, " "))
	}
	if e.basic == "" {
		form.Set("client_id", e.o.ClientID)
		form.Set("client_secret", e.o.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.o.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", authresult.Internal(fmt.Errorf("credentials: building the exchange request: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if e.basic != "" {
		req.Header.Set("Authorization", e.basic)
	}
	sent := e.now()
	resp, err := e.client.Do(req)
	if err != nil {
		return "", unavailable(e.retryAfter, fmt.Errorf("%w: %w", ErrUnavailable, fetch.Redact(err)))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	switch {
	case err != nil:
		return "", unavailable(e.retryAfter, fmt.Errorf("%w: reading the answer: %w", ErrUnavailable, fetch.Redact(err)))
	case len(body) > maxResponseBytes:
		return "", unavailable(e.retryAfter, fmt.Errorf("%w: the answer exceeds %d bytes", ErrResponse, maxResponseBytes))
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return "", unavailable(e.retryAfter, fmt.Errorf("%w: status %d", ErrUnavailable, resp.StatusCode))
	case resp.StatusCode != http.StatusOK:
		return "", e.refusal(resp.StatusCode, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", unavailable(e.retryAfter, fmt.Errorf("%w: not a JSON token response", ErrResponse))
	}
	if !b64token(tr.AccessToken) || !equalFold(tr.TokenType, "Bearer") {
		// RFC 8693 §2.2.1: token_type N_A is not a token to present.
		return "", unavailable(e.retryAfter, fmt.Errorf("%w: token_type %q", ErrResponse, printable(tr.TokenType)))
	}
	header := "Bearer " + tr.AccessToken
	expires, ok := e.expiry(sent, tr.ExpiresIn, p)
	if !ok {
		return "", unavailable(e.retryAfter, fmt.Errorf("%w: expires_in is not a positive integer", ErrResponse))
	}
	if expires.After(e.now()) {
		e.store(key, entry{header: header, expires: expires})
	}
	return header, nil
}

// expiry is when a token answered at sent stops being cached: expires_in
// less a margin, or TTL without it, and never past the inbound token's
// own expiry. ok is false for an expires_in that is not a positive
// integer.
func (e *exchanger) expiry(sent time.Time, raw json.RawMessage, p *authresult.Principal) (time.Time, bool) {
	expires := sent.Add(e.o.TTL)
	if len(raw) > 0 && string(raw) != "null" {
		// A number, as RFC 6749 §5.1 says, or the same digits in a
		// string, as some token servers send it.
		if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
			raw = raw[1 : n-1]
		}
		secs, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || secs <= 0 || !digits(raw) {
			return time.Time{}, false
		}
		expires = sent.Add(time.Duration(min(secs, int64(365*24*3600))) * time.Second).Add(-expiryMargin)
	}
	if !p.Expiry.IsZero() && p.Expiry.Before(expires) {
		expires = p.Expiry
	}
	return expires, true
}

// digits reports whether b is decimal digits only (no sign, no space).
func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// refusal classifies a 4xx answer: a refusal of this user's token or of
// the audience is 403; anything else concerns the gateway's own client
// and is 503. Some servers refuse a subject token with invalid_token.
// RFC 8693 §2.2.2 also answers invalid_request for one, but RFC 6749 uses
// it for the client's own mistakes too (a parameter missing or
// unsupported), which would then fail every user as if refused: it stays
// 503, an outage the operator sees.
func (e *exchanger) refusal(status int, body []byte) *authresult.Error {
	var er errorResponse
	_ = json.Unmarshal(body, &er)
	switch er.Error {
	case "invalid_grant", "invalid_target", "access_denied", "invalid_scope", "invalid_token":
		if status != http.StatusUnauthorized {
			return authresult.Forbidden("the authorization server refused access to the upstream for this token", fmt.Errorf("%w: status %d, error %q", ErrExchangeRefused, status, printable(er.Error)))
		}
	}
	return unavailable(e.retryAfter, fmt.Errorf("%w: status %d, error %q", ErrClientRefused, status, printable(er.Error)))
}

// store caches c under key, evicting an entry when full.
func (e *exchanger) store(key [sha256.Size]byte, c entry) {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.entries[key]; !ok && len(e.entries) >= e.o.MaxEntries {
		if victim, ok := evict.Victim(e.entries, func(v entry) (int64, bool) {
			return v.expires.UnixNano(), !now.Before(v.expires)
		}); ok {
			delete(e.entries, victim)
		}
	}
	e.entries[key] = c
}

// basicAuth is the RFC 6749 §2.3.1 Basic credential: id and secret each
// form-encoded, then joined and base64-encoded.
func basicAuth(id, secret string) string {
	return base64Std(url.QueryEscape(id) + ":" + url.QueryEscape(secret))
}
