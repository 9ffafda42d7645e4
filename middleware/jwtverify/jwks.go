package jwtverify

// JWKS fetching.
//
// github.com/MicahParks/keyfunc/v3 (v3.9.1) and its storage,
// github.com/MicahParks/jwkset (v0.11.4), were evaluated for the JWKS
// requirements and fall short in these places:
//
//   - Outage versus unknown kid: jwkset's HTTP client (http.go, KeyRead)
//     hands a failed refresh to RefreshErrorHandler and then reports
//     ErrKeyNotFound, the same error as for a kid the server never
//     published. A key-server outage would therefore be answered 401
//     instead of 503, sending clients into re-login loops.
//   - Cache-Control: the refresh interval is fixed (RefreshInterval);
//     response headers are ignored.
//   - One fetch at a time: the background ticker and the unknown-kid
//     refresh call the same refresh function without coordination, and
//     concurrent unknown-kid reads each block on the rate limiter.
//   - Response size: the body is decoded with json.NewDecoder without a
//     limit.
//   - Timeout: the unknown-kid refresh runs under the caller's context,
//     not HTTPTimeout.
//   - use/key_ops: keyfunc checks "use" only against an allow-list that
//     NewDefaultOverrideCtx leaves empty; key_ops is not consulted.
//   - One bad key (say an unsupported curve with RequireSupportedKeys, or a
//     malformed RSA modulus) fails the whole refresh.
//
// What they do cover is kept: jwkset parses and validates each JWK
// (jwkset.NewJWKFromMarshal: RSA, EC on-curve checks, Ed25519 sizes), and
// keeping the last good set on failure and replacing the whole set on
// success (so removed keys stop validating) are done the same way here.
// The fetching, scheduling, rate limiting and health tracking below are
// this package's own.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/mcpauth/mcpauth/internal/discovery"
)

var (
	errJWKSStatus    = errors.New("JWKS server answered with a non-200 status")
	errJWKSTooLarge  = errors.New("JWKS response exceeds the size limit")
	errJWKSMalformed = errors.New("JWKS response is not a JWK Set")
	errJWKSNotReady  = errors.New("JWKS not fetched yet")
	errClosed        = errors.New("verifier closed")
)

// jwksSource fetches one JWK Set and keeps the last good copy. At most one
// fetch per source runs at a time; callers that want a fetch while one is
// running wait for it instead of starting another.
type jwksSource struct {
	url       string
	issuer    string
	client    *http.Client
	cfg       JWKSOptions
	allowed   []*algorithm
	now       func() time.Time
	after     func(time.Duration) <-chan time.Time // nil: real timers
	log       *slog.Logger
	onRemoved func()
	base      context.Context // cancelled by Close
	wg        *sync.WaitGroup

	set   atomic.Pointer[keySet] // last good set; nil until the first success
	ready chan struct{}          // closed once the first fetch has finished

	mu          sync.Mutex
	closed      bool
	call        *fetchCall // the fetch in progress, if any
	lastAttempt time.Time  // start of the latest fetch, by the injected clock
	lastGood    time.Time  // start of the latest successful fetch
	lastErr     error      // outcome of the latest finished fetch
	ttl         time.Duration
}

// name is the source's URL, or for discovery where its URL comes from.
func (s *jwksSource) name() string {
	if s.url == "" {
		return "jwks_uri of " + s.issuer
	}
	return s.url
}

// fetchCall is one fetch that several callers may wait for.
type fetchCall struct {
	done    chan struct{}
	err     error
	waiters atomic.Int32 // callers that waited for it, for tests
}

// start launches the background refresh loop.
func (s *jwksSource) start() {
	s.wg.Add(1)
	go s.loop()
}

// loop fetches the set at once and then whenever it is due: after the
// Cache-Control max-age or RefreshInterval, or MinRefreshInterval after a
// failure.
func (s *jwksSource) loop() {
	defer s.wg.Done()
	err := s.fetch(s.base)
	close(s.ready)
	for {
		delay := s.cfg.MinRefreshInterval
		if err == nil {
			s.mu.Lock()
			delay = s.ttl
			s.mu.Unlock()
		}
		if !s.wait(delay) {
			return
		}
		err = s.fetch(s.base)
	}
}

// wait waits for d on the source's clock, reporting false when the
// source was closed first.
func (s *jwksSource) wait(d time.Duration) bool {
	var c <-chan time.Time
	if s.after != nil {
		c = s.after(d)
	} else {
		t := time.NewTimer(d)
		defer t.Stop()
		c = t.C
	}
	select {
	case <-s.base.Done():
		return false
	case <-c:
		return true
	}
}

// fetch fetches the set, or joins the fetch in progress, and waits for it
// or for ctx.
func (s *jwksSource) fetch(ctx context.Context) error {
	s.mu.Lock()
	c, err := s.startLocked()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return c.wait(ctx)
}

// startIfDue starts a fetch when none started within UnknownKIDInterval
// and returns it, or returns the fetch in progress, or nil.
func (s *jwksSource) startIfDue() *fetchCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.call == nil && s.now().Sub(s.lastAttempt) >= s.cfg.UnknownKIDInterval {
		c, _ := s.startLocked()
		return c
	}
	return s.call
}

// startLocked returns the fetch in progress or starts one. s.mu is held.
func (s *jwksSource) startLocked() (*fetchCall, error) {
	if s.call != nil {
		return s.call, nil
	}
	if s.closed {
		return nil, errClosed
	}
	c := &fetchCall{done: make(chan struct{})}
	s.call = c
	s.lastAttempt = s.now()
	started := s.lastAttempt
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		set, ttl, err := s.download()
		if err == nil {
			s.install(set)
		} else {
			s.log.LogAttrs(s.base, slog.LevelWarn, "jwtverify: JWKS fetch failed; keeping the last good key set",
				slog.String("url", s.name()), slog.Any("error", err))
		}
		s.mu.Lock()
		s.call = nil
		s.lastErr = err
		if err == nil {
			s.ttl = ttl
			s.lastGood = started
		}
		s.mu.Unlock()
		c.err = err
		close(c.done)
	}()
	return c, nil
}

func (c *fetchCall) wait(ctx context.Context) error {
	c.waiters.Add(1)
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// staleFor reports whether a key first used at issued (a token's iat,
// widened by leeway) may be missing from the set because it was
// published after the set's fetch began, and if so how long until the
// source may fetch again for an unknown kid.
func (s *jwksSource) staleFor(issued time.Time, leeway time.Duration) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.lastGood.Before(issued.Add(leeway)) {
		return 0, false // the set was fetched after the token was made
	}
	return s.lastAttempt.Add(s.cfg.UnknownKIDInterval).Sub(s.now()), true
}

// healthy reports whether the latest finished fetch succeeded.
func (s *jwksSource) healthy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr == nil && s.set.Load() != nil
}

// status describes the source for an error cause.
func (s *jwksSource) status() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastErr != nil {
		return fmt.Errorf("%s: %w", s.name(), s.lastErr)
	}
	return fmt.Errorf("%s: %w", s.name(), errJWKSNotReady)
}

// waitReady waits for the first fetch to finish.
func (s *jwksSource) waitReady(ctx context.Context) error {
	select {
	case <-s.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// install replaces the set. Keys that are unchanged keep their identity
// (and their cached tokens); keys that left the set are marked removed.
func (s *jwksSource) install(next []*verifyKey) {
	var removed bool
	if old := s.set.Load(); old != nil {
		for _, o := range old.all() {
			kept := false
			for i, n := range next {
				if o.sameAs(n) {
					next[i] = o
					kept = true
					break
				}
			}
			if !kept {
				o.removed.Store(true)
				removed = true
			}
		}
	}
	s.set.Store(newKeySet(next))
	if removed && s.onRemoved != nil {
		s.onRemoved()
	}
}

// download performs one HTTP fetch under Timeout and parses the body,
// which may be at most MaxResponseSize bytes. It returns the usable keys
// and how long to use them.
func (s *jwksSource) download() ([]*verifyKey, time.Duration, error) {
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	jwksURL := s.url
	if jwksURL == "" {
		md, err := discovery.Fetch(ctx, s.client, s.issuer)
		if err != nil {
			return nil, 0, err
		}
		if md.JWKSURI == "" {
			return nil, 0, fmt.Errorf("%w: the metadata of %q has no jwks_uri", errJWKSMalformed, s.issuer)
		}
		jwksURL = md.JWKSURI
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, 0, fmt.Errorf("%w: %d", errJWKSStatus, resp.StatusCode)
	}
	if resp.ContentLength > s.cfg.MaxResponseSize {
		return nil, 0, fmt.Errorf("%w: Content-Length %d", errJWKSTooLarge, resp.ContentLength)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxResponseSize+1))
	if err != nil {
		return nil, 0, err
	}
	if int64(len(body)) > s.cfg.MaxResponseSize {
		return nil, 0, errJWKSTooLarge
	}
	keys, err := s.parse(body)
	if err != nil {
		return nil, 0, err
	}
	return keys, s.refreshAfter(resp.Header), nil
}

// parse reads a JWK Set. A body that is not a JSON object with a "keys"
// array is an error (the last good set stays); single keys that are not
// usable are skipped and logged.
func (s *jwksSource) parse(body []byte) ([]*verifyKey, error) {
	var doc struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&doc); err != nil || doc.Keys == nil || d.More() {
		return nil, errJWKSMalformed
	}
	var out []*verifyKey
	for _, raw := range *doc.Keys {
		k, err := s.parseKey(raw)
		if err != nil {
			s.log.LogAttrs(s.base, slog.LevelDebug, "jwtverify: JWKS key skipped",
				slog.String("url", s.name()), slog.Any("error", err))
			continue
		}
		out = append(out, k)
	}
	return out, nil
}

var (
	errJWKNoKID   = errors.New("JWK has no kid")
	errJWKUse     = errors.New(`JWK "use" is not "sig"`)
	errJWKKeyOps  = errors.New(`JWK "key_ops" lacks "verify"`)
	errJWKOct     = errors.New("symmetric JWK refused")
	errJWKAlg     = errors.New(`JWK "alg" is not allowed or does not fit the key`)
	errJWKNoAllow = errors.New("JWK fits no allowed algorithm")
)

// parseKey turns one JWK into a verifyKey: it must have a kid, be meant
// for signatures ("use" absent or "sig", "key_ops" absent or listing
// "verify"), be an RSA, EC or OKP key, and fit an allowed algorithm (its
// "alg", when present, must be allowed). Private parameters are ignored;
// symmetric keys are refused, since a published secret is no secret.
func (s *jwksSource) parseKey(raw json.RawMessage) (*verifyKey, error) {
	var m jwkset.JWKMarshal
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	switch {
	case m.KID == "" || !validKID(m.KID):
		return nil, errJWKNoKID
	case m.USE != "" && m.USE != jwkset.UseSig:
		return nil, errJWKUse
	case m.KEYOPS != nil && !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify):
		return nil, errJWKKeyOps
	case m.KTY == jwkset.KtyOct:
		return nil, errJWKOct
	}
	// Certificate material is not used; x5u is never fetched.
	m.X5U, m.X5C, m.X5T, m.X5TS256 = "", nil, "", ""
	j, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
	if err != nil {
		return nil, err
	}
	pub, err := checkPublicKey(j.Key())
	if err != nil {
		return nil, err
	}
	k := &verifyKey{id: m.KID, alg: string(m.ALG), key: pub, issuer: s.issuer, source: s.url}
	fits := false
	for _, a := range s.allowed {
		if k.usableWith(a) {
			fits = true
			break
		}
	}
	if !fits {
		if k.alg != "" {
			return nil, fmt.Errorf("%w: %q", errJWKAlg, k.alg)
		}
		return nil, errJWKNoAllow
	}
	return k, nil
}

// refreshAfter reads Cache-Control max-age, clamped to the configured
// bounds; no-store or no-cache mean the lower bound. Without a max-age
// the set is used for RefreshInterval.
func (s *jwksSource) refreshAfter(h http.Header) time.Duration {
	d := s.cfg.RefreshInterval
	for _, v := range h.Values("Cache-Control") {
		for _, dir := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return s.cfg.MinRefreshInterval
			case "max-age":
				if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n >= 0 {
					d = time.Duration(min(n, int64(s.cfg.MaxRefreshInterval/time.Second))) * time.Second
				}
			}
		}
	}
	return min(max(d, s.cfg.MinRefreshInterval), s.cfg.MaxRefreshInterval)
}

// checkJWKSURL accepts absolute http and https URLs.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("JWKS URL %q is not an absolute http(s) URL", raw)
	}
	return nil
}
