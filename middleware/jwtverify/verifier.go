package jwtverify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/audience"
	"github.com/mcpauth/mcpauth/internal/discovery"
	"github.com/mcpauth/mcpauth/internal/fetch"
	"github.com/mcpauth/mcpauth/middleware"
)

// maxSignatureSize caps the decoded signature: RSA-4096 is 512 bytes.
const maxSignatureSize = 1024

// maxCandidates caps how many keys one token's signature is tried with.
const maxCandidates = 4

// Verifier verifies JWT access tokens. Create it with [New]; it is safe
// for concurrent use. Call [Verifier.Close] when done with a verifier
// that fetches JWKS, to stop its background refresh.
type Verifier struct {
	algs    map[string]*algorithm
	static  *keySet
	sources []*jwksSource
	issuers issuers

	allowMissingExpiry bool
	leeway             time.Duration
	requireATType      bool
	maxTokenBytes      int
	validate           func(context.Context, map[string]any, *authresult.Principal) error
	retryAfter         time.Duration

	now     func() time.Time
	log     *slog.Logger
	cache   *tokenCache
	bufs    sync.Pool // *[]byte scratch for decoding
	headers headerCache

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New checks opts and returns a verifier. It fails when a required input
// is missing or unsafe: no algorithms or "none" among them, an unknown
// algorithm, an algorithm no configured key can serve, a key that fits no
// allowed algorithm, an HMAC secret shorter than 32 bytes, an RSA key
// under 2048 bits, a private key, no issuers, no audience (unless
// AnyAudience), an audience with a fragment, a key or JWKS bound to an
// issuer not in Issuers, or a malformed JWKS URL.
//
// With JWKS sources, New starts one background goroutine per URL that
// fetches the set at once and then keeps it fresh; it does not wait for
// the first fetch. Tokens that arrive before it finishes wait for it.
func New(opts *Options) (*Verifier, error) {
	if opts == nil {
		opts = &Options{}
	}
	v := &Verifier{
		algs:               map[string]*algorithm{},
		allowMissingExpiry: opts.AllowMissingExpiry,
		leeway:             opts.Leeway,
		requireATType:      opts.RequireAccessTokenType,
		maxTokenBytes:      opts.MaxTokenBytes,
		validate:           opts.Validate,
		now:                opts.Now,
		log:                opts.Logger,
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	if err := v.configure(opts); err != nil {
		return nil, fmt.Errorf("jwtverify: %w", err)
	}
	var ctx context.Context
	ctx, v.cancel = context.WithCancel(context.Background())
	client := fetch.SameOriginRedirects(opts.HTTPClient)
	cfg := opts.JWKSFetch.withDefaults()
	v.retryAfter = cfg.RetryAfter
	allowed := make([]*algorithm, 0, len(v.algs))
	for _, a := range v.algs {
		allowed = append(allowed, a)
	}
	for _, src := range opts.JWKS {
		s := &jwksSource{
			url: src.URL, issuer: src.Issuer, client: client, cfg: cfg, allowed: allowed,
			now: v.now, after: opts.after, log: v.log, base: ctx, wg: &v.wg, ready: make(chan struct{}),
		}
		if v.cache != nil {
			s.onRemoved = v.cache.dropRemoved
		}
		v.sources = append(v.sources, s)
	}
	for _, s := range v.sources {
		s.start()
	}
	return v, nil
}

// configure validates opts into v.
func (v *Verifier) configure(opts *Options) error {
	if len(opts.Algorithms) == 0 {
		return errors.New("option Algorithms is required")
	}
	for _, name := range opts.Algorithms {
		if strings.EqualFold(name, "none") {
			return errors.New(`algorithm "none" is never accepted`)
		}
		a, ok := algorithms[name]
		if !ok {
			return fmt.Errorf("unsupported algorithm %q", name)
		}
		v.algs[name] = &a
	}

	if len(opts.Issuers) == 0 {
		return errors.New("option Issuers is required")
	}
	switch {
	case opts.AnyAudience && len(opts.Audiences) > 0:
		return errors.New("options Audiences and AnyAudience are both set")
	case !opts.AnyAudience && len(opts.Audiences) == 0 && len(opts.IssuerOptions) == 0:
		return errors.New("option Audiences is required (set AnyAudience to opt out)")
	}
	v.issuers = issuers{exact: map[string]*issuer{}, specs: map[string]bool{}}
	for _, spec := range opts.Issuers {
		is, err := newIssuer(spec, opts, opts.IssuerOptions[spec])
		if err != nil {
			return err
		}
		if v.issuers.specs[spec] {
			return fmt.Errorf("issuer %q listed twice", spec)
		}
		v.issuers.specs[spec] = true
		if is.claim == "" {
			v.issuers.exact[spec] = is
		} else {
			v.issuers.templates = append(v.issuers.templates, is)
		}
	}
	if len(opts.Audiences) > 0 {
		v.issuers.unknown = &issuer{}
		v.issuers.unknown.audiences, _ = audience.New(opts.Audiences)
	}
	for spec := range opts.IssuerOptions {
		if !v.issuers.specs[spec] {
			return fmt.Errorf("option IssuerOptions: issuer %q is not in Issuers", spec)
		}
	}

	switch {
	case opts.Leeway == 0:
		v.leeway = DefaultLeeway
	case opts.Leeway == NoLeeway:
		v.leeway = 0
	case opts.Leeway < 0:
		return errors.New("negative Leeway (use NoLeeway for none)")
	}
	switch {
	case opts.MaxTokenBytes < 0:
		return errors.New("negative MaxTokenBytes")
	case opts.MaxTokenBytes == 0:
		v.maxTokenBytes = middleware.DefaultMaxTokenBytes
	}
	bufSize := b64.DecodedLen(v.maxTokenBytes)
	v.bufs.New = func() any { b := make([]byte, bufSize); return &b }

	if len(opts.Keys) == 0 && len(opts.JWKS) == 0 {
		return errors.New("no keys: set Keys or JWKS")
	}
	var static []*verifyKey
	for i, k := range opts.Keys {
		vk, err := staticKey(k)
		if err != nil {
			return fmt.Errorf("option Keys[%d]: %w", i, err)
		}
		if vk.issuer != "" && !v.issuers.specs[vk.issuer] {
			return fmt.Errorf("option Keys[%d]: issuer %q is not in Issuers", i, vk.issuer)
		}
		fits := false
		for _, a := range v.algs {
			fits = fits || vk.usableWith(a)
		}
		if !fits {
			return fmt.Errorf("option Keys[%d]: %T key fits none of the allowed algorithms", i, vk.key)
		}
		static = append(static, vk)
	}
	v.static = newKeySet(static)
	for i, s := range opts.JWKS {
		if s.URL == "" {
			if _, err := discovery.URLs(s.Issuer); err != nil || strings.Contains(s.Issuer, "{") {
				return fmt.Errorf("option JWKS[%d]: no URL, and Issuer %q is not an exact issuer to discover it from", i, s.Issuer)
			}
		} else if err := checkJWKSURL(s.URL); err != nil {
			return fmt.Errorf("option JWKS[%d]: %w", i, err)
		}
		if s.Issuer != "" && !v.issuers.specs[s.Issuer] {
			return fmt.Errorf("option JWKS[%d]: issuer %q is not in Issuers", i, s.Issuer)
		}
	}
	for name, a := range v.algs {
		served := len(opts.JWKS) > 0 && !strings.HasPrefix(name, "HS")
		for _, k := range static {
			served = served || k.usableWith(a)
		}
		if !served {
			return fmt.Errorf("no configured key can verify %s", name)
		}
	}

	if opts.Cache.MaxEntries < 0 || opts.Cache.TTL < 0 {
		return errors.New("negative Cache.MaxEntries or Cache.TTL")
	}
	if !opts.Cache.Disabled {
		n, ttl := opts.Cache.MaxEntries, opts.Cache.TTL
		if n == 0 {
			n = defaultCacheEntries
		}
		if ttl == 0 {
			ttl = defaultCacheTTL
		}
		v.cache = newTokenCache(n, ttl)
	}
	return nil
}

// Close stops background JWKS refreshes and waits for fetches in flight
// to end. Tokens verified after Close use the keys held at that point.
// Close is idempotent.
func (v *Verifier) Close() error {
	v.closeOnce.Do(func() {
		for _, s := range v.sources {
			s.mu.Lock()
			s.closed = true
			s.mu.Unlock()
		}
		v.cancel()
		v.wg.Wait()
	})
	return nil
}

// VerifyToken verifies a compact JWS access token and returns the
// principal it names. Every failure is an *authresult.Error: invalid_token
// (401) for a token that is malformed, wrongly signed, expired, for
// another audience or issuer, or otherwise not acceptable; unavailable
// (503, with a Retry-After hint) when the token's key cannot be obtained
// because a JWKS server is down, slow or answered with garbage, or ctx
// ended while waiting for it. The description of an error is safe to send
// to clients; the cause is for logs. Tokens are never logged.
//
// The returned principal is the caller's to modify at the top level; its
// Audience, Scopes and Claims may be shared with later calls for the same
// token and must be treated as read-only.
func (v *Verifier) VerifyToken(ctx context.Context, token string) (*authresult.Principal, error) {
	p, e := v.verify(ctx, token)
	if e != nil {
		if v.log.Enabled(ctx, slog.LevelDebug) {
			v.log.LogAttrs(ctx, slog.LevelDebug, "jwtverify: token rejected",
				slog.String("reason", e.Description), slog.Any("error", e.Err))
		}
		return nil, e
	}
	cp := *p
	return &cp, nil
}

// verify is VerifyToken without logging and copying.
func (v *Verifier) verify(ctx context.Context, token string) (*authresult.Principal, *authresult.Error) {
	switch {
	case len(token) > v.maxTokenBytes:
		return nil, invalid(descTooLarge, ErrTooLarge)
	case token == "":
		return nil, invalid(descMalformed, errEmpty)
	case token[0] != 'e':
		// A header that is a JSON object starts with '{', whose base64url
		// encoding starts with 'e'. Garbage is refused before any work.
		return nil, invalid(descMalformed, errHeaderJSON)
	}
	now := v.now()
	if v.cache != nil {
		if p := v.cache.get(token, now); p != nil {
			return p, nil
		}
	}
	segs, err := split(token)
	if err != nil {
		return nil, invalid(descMalformed, err)
	}
	if b64.DecodedLen(len(segs.signature)) > maxSignatureSize {
		return nil, invalid(descMalformed, errSigSize)
	}
	bp := v.bufs.Get().(*[]byte)
	defer v.bufs.Put(bp)
	buf := *bp

	h, err := v.headers.decode(segs.header, buf)
	if err != nil {
		if errors.Is(err, ErrHeader) {
			return nil, invalid(descHeader, err)
		}
		return nil, invalid(descMalformed, err)
	}
	a := v.algs[h.Alg]
	if a == nil {
		return nil, invalid(descAlgorithm, fmt.Errorf("%w: %q", ErrAlgorithm, h.Alg))
	}
	if v.requireATType && !accessTokenType(h.Typ) {
		return nil, invalid(descHeader, errTyp)
	}

	n, err := b64.Decode(buf, bytesOf(segs.signature))
	if err != nil {
		return nil, invalid(descMalformed, fmt.Errorf("%w: signature: %w", ErrMalformed, err))
	}
	sig := buf[:n]

	var candBuf [maxCandidates]*verifyKey
	cands, e := v.keysFor(ctx, h.Kid, a, candBuf[:0], func() map[string]any { return unverifiedClaims(segs.payload) })
	if e != nil {
		return nil, e
	}
	var key *verifyKey
	var sigErr error
	for _, k := range cands {
		if sigErr = a.method.Verify(segs.signingInput, sig, k.key); sigErr == nil {
			key = k
			break
		}
	}
	if key == nil {
		return nil, invalid(descSignature, errors.Join(ErrSignature, sigErr))
	}

	claims, err := decodePayload(segs.payload, buf)
	if err != nil {
		return nil, invalid(descMalformed, err)
	}
	p, e := v.checkClaims(claims, key.issuer, now)
	if e != nil {
		return nil, e
	}
	if v.validate != nil {
		if err := v.validate(ctx, claims, p); err != nil {
			if ae, ok := errors.AsType[*authresult.Error](err); ok && ae != nil {
				return nil, ae
			}
			return nil, invalid(descRejected, errors.Join(ErrRejected, err))
		}
		if !p.Valid() {
			return nil, authresult.Internal(errors.New("jwtverify: Validate hook cleared the subject"))
		}
	}
	if v.cache != nil {
		var nbf, exp time.Time
		if t, ok, _ := read.Time(claims, "nbf"); ok {
			nbf = t.Add(-v.leeway)
		}
		if !p.Expiry.IsZero() {
			exp = p.Expiry.Add(v.leeway)
		}
		v.cache.put(token, p, key, now, nbf, exp)
	}
	return p, nil
}

// keysFor returns the keys that may have signed a token with this kid and
// algorithm, appended to dst. Static keys match by ID, or have none and
// match any kid; JWKS keys must match by kid. A kid that neither knows
// triggers a refetch, rate-limited per URL; if it is still unknown and a
// key server is failing, the answer is 503, otherwise 401.
func (v *Verifier) keysFor(ctx context.Context, kid string, a *algorithm, dst []*verifyKey, payload func() map[string]any) ([]*verifyKey, *authresult.Error) {
	dst, _ = collect(v.static, kid, a, dst)
	if len(dst) > 0 || len(v.sources) == 0 || kid == "" {
		if kid != "" {
			dst, _ = collect(v.static, "", a, dst)
		}
		if len(dst) == 0 {
			return nil, invalid(descUnknownKey, fmt.Errorf("%w: kid %q, alg %s", ErrUnknownKey, kid, a.name))
		}
		return dst, nil
	}
	for _, s := range v.sources {
		if err := s.waitReady(ctx); err != nil {
			return nil, authresult.Unavailable(descUnavailable, v.retryAfter, errors.Join(ErrKeysUnavailable, err))
		}
	}
	dst, known := v.collectSources(kid, a, dst)
	if len(dst) == 0 && !known {
		if dst, _ = collect(v.static, "", a, dst); len(dst) > 0 {
			return dst, nil
		}
		var calls []*fetchCall
		for _, s := range v.sources {
			if c := s.startIfDue(); c != nil {
				calls = append(calls, c)
			}
		}
		for _, c := range calls {
			_ = c.wait(ctx)
		}
		if err := ctx.Err(); err != nil {
			return nil, authresult.Unavailable(descUnavailable, v.retryAfter, errors.Join(ErrKeysUnavailable, err))
		}
		dst, known = v.collectSources(kid, a, dst)
	}
	switch {
	case len(dst) > 0:
		return dst, nil
	case known:
		return nil, invalid(descAlgorithm, fmt.Errorf("%w: key %q does not fit %s", ErrAlgorithm, kid, a.name))
	}
	var down []error
	for _, s := range v.sources {
		if !s.healthy() {
			down = append(down, s.status())
		}
	}
	if len(down) > 0 {
		return nil, authresult.Unavailable(descUnavailable, v.retryAfter,
			fmt.Errorf("%w: kid %q: %w", ErrKeysUnavailable, kid, errors.Join(down...)))
	}
	// Every set is fresh and none has the kid. A provider publishes a key
	// before it signs with it, so if a set of the token's issuer was
	// fetched before the token was issued, the key may be newer than the
	// set: a refetch is due, but rate-limited; say when to come back
	// (503), not that the token is bad (401), which would make the client
	// drop a valid token. A token without iat, or one claiming a later iat
	// than it has, gets the same answer: the kid is unverified, and so
	// are iss and iat, but none can cause more than one fetch per
	// interval. A token of an issuer not accepted is refused at once.
	claims := payload()
	iss, _ := claims["iss"].(string)
	var spec string
	if claims != nil {
		is, err := v.issuers.match(iss, claims)
		if err != nil {
			return nil, invalid(descUnknownKey, fmt.Errorf("%w: kid %q of a token whose issuer is refused: %w", ErrUnknownKey, kid, err))
		}
		spec = is.spec
	}
	issued, hasIat, err := read.Time(claims, "iat")
	if !hasIat || err != nil {
		issued = v.now()
	}
	var wait time.Duration
	stale := false
	for _, s := range v.sources {
		if s.issuer != "" && spec != "" && s.issuer != spec {
			continue // another issuer's keys cannot be this token's
		}
		if d, ok := s.staleFor(issued, v.leeway); ok {
			stale, wait = true, max(wait, d)
		}
	}
	if stale {
		return nil, authresult.Unavailable(descRotating, max(wait, time.Second),
			fmt.Errorf("%w: kid %q not yet in a key set fetched before the token was issued", ErrKeysUnavailable, kid))
	}
	return nil, invalid(descUnknownKey, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid))
}

// collectSources appends the JWKS keys for kid that fit a. known reports
// whether any set has the kid at all.
func (v *Verifier) collectSources(kid string, a *algorithm, dst []*verifyKey) ([]*verifyKey, bool) {
	known := false
	for _, s := range v.sources {
		var k bool
		dst, k = collect(s.set.Load(), kid, a, dst)
		known = known || k
	}
	return dst, known
}

// collect appends the keys of s listed under id that fit a and are not
// removed, up to maxCandidates in all. known reports whether s lists id.
func collect(s *keySet, id string, a *algorithm, dst []*verifyKey) ([]*verifyKey, bool) {
	if s == nil {
		return dst, false
	}
	keys, known := s.byID[id]
	for _, k := range keys {
		if len(dst) < maxCandidates && k.usableWith(a) && !k.removed.Load() {
			dst = append(dst, k)
		}
	}
	return dst, known
}
