package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/health"
	"github.com/mcpauth/mcpauth/internal/settings"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcphandler/cors"
	"github.com/mcpauth/mcpauth/mcphandler/redisstore"
	"github.com/mcpauth/mcpauth/mcpproxy"
	"github.com/mcpauth/mcpauth/mcpproxy/credentials"
	"github.com/mcpauth/mcpauth/mcpproxy/stdio"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/middleware/introspect"
	"github.com/mcpauth/mcpauth/middleware/jwtverify"
	"github.com/mcpauth/mcpauth/telemetry"
)

var defaultAlgorithms = []string{"RS256", "ES256", "EdDSA"}

// routes is what one configuration builds: the handler of every route
// and its metadata, the readiness checks of its verifiers, and what to
// close once it is replaced.
type routes struct {
	handler http.Handler
	checks  []health.Check
	closers []func() error
	bridges map[string]*stdio.Bridge // of the command routes, by bridgeKey
	fresh   []*stdio.Bridge          // the bridges this build started
}

// Close stops the verifiers' background work. Bridges outlive it: the
// runtime ends those the next configuration does not keep (adopt).
func (r *routes) Close() {
	for _, c := range r.closers {
		_ = c()
	}
}

// discard closes routes that were never swapped in, with the bridges
// they started.
func (r *routes) discard() {
	r.Close()
	for _, b := range r.fresh {
		_ = b.Close(context.Background())
	}
}

// buildRoutes builds the handler of c's routes on the runtime rt, which
// outlives reloads (log, telemetry, session stores).
func buildRoutes(c *Config, rt *runtime) (_ *routes, err error) {
	out := &routes{}
	defer func() {
		if err != nil {
			out.discard()
		}
	}()
	mux := http.NewServeMux()
	m := &mounts{mux: mux, paths: map[string]bool{}, single: len(c.Routes) == 1}
	for i, rc := range c.Routes {
		h, err := buildRoute(c, rt, out, rc, m)
		if err != nil {
			return nil, c.errAt(err.Error(), "routes", i)
		}
		pattern := rc.Path // exact: no pattern ends in '/' but this one
		if pattern == "/" {
			pattern = "/{$}"
		}
		mux.Handle(pattern, h)
	}
	out.handler = mux
	return out, nil
}

// buildRoute builds one route: authentication, the guard, the proxy.
func buildRoute(c *Config, rt *runtime, out *routes, rc *RouteConfig, m *mounts) (http.Handler, error) {
	audience := rc.Audience
	if audience == "" {
		audience = c.PublicURL + rc.Path
	}
	leeway := jwtverify.DefaultLeeway
	if c.Leeway != nil {
		leeway = time.Duration(*c.Leeway)
		if leeway == 0 {
			leeway = jwtverify.NoLeeway
		}
	}
	opts := &jwtverify.Options{Audiences: []string{audience}, Leeway: leeway, Logger: rt.log, HTTPClient: rt.fetchClient(telemetry.FetchJWKS)}
	var issuers []string
	for _, name := range rc.Issuers {
		iss := c.Issuers[name]
		issuers = append(issuers, iss.Issuer)
		opts.JWKS = append(opts.JWKS, jwtverify.JWKSSource{Issuer: iss.Issuer, URL: iss.JWKSURL})
		algs := iss.Algorithms
		if len(algs) == 0 {
			algs = defaultAlgorithms
		}
		for _, a := range algs {
			if !slices.Contains(opts.Algorithms, a) {
				opts.Algorithms = append(opts.Algorithms, a)
			}
		}
	}
	opts.Issuers = issuers
	v, err := jwtverify.New(opts)
	if err != nil {
		return nil, err
	}
	out.closers = append(out.closers, v.Close)
	out.checks = append(out.checks, health.Check{Name: "keys", Ready: v.Ready})
	var tokens middleware.TokenVerifier = v
	for _, name := range rc.Issuers {
		in := c.Issuers[name].Introspection
		if in == nil {
			continue
		}
		sec, err := secret(in.ClientSecretEnv, in.ClientSecretFile)
		if err != nil {
			return nil, err
		}
		method := introspect.AuthClientSecretBasic
		if in.ClientSecretPost {
			method = introspect.AuthClientSecretPost
		}
		iv, err := introspect.New(&introspect.Options{
			Endpoint: in.URL, ClientID: in.ClientID, ClientSecret: sec, AuthMethod: method,
			Issuers: []string{c.Issuers[name].Issuer}, Audiences: []string{audience}, Leeway: leeway,
			Logger: rt.log, HTTPClient: rt.fetchClient(telemetry.FetchIntrospection),
		})
		if err != nil {
			return nil, fmt.Errorf("issuers.%s.introspection: %w", name, err)
		}
		// JWTs verified here, every other token introspected (one
		// verifier per token, never the other after a refusal).
		tokens = middleware.ByFormat(v, iv)
	}
	if rt.tel != nil {
		tokens = rt.tel.Verifier(tokens)
	}
	auth, err := middleware.New(tokens, &middleware.Options{
		Resource: audience, AuthorizationServers: issuers, Scopes: rc.Scopes, ChallengeScopes: rc.Scopes,
		Logger: rt.log, OnDecision: rt.onDecision,
	})
	if err != nil {
		return nil, err
	}
	if err := m.metadata(auth); err != nil {
		return nil, err
	}
	upstream, err := upstreamHandler(rc, rt, out)
	if err != nil {
		return nil, err
	}
	var policy *mcphandler.Policy
	if rc.Policy != nil {
		policy = &mcphandler.Policy{Tools: rc.Policy.Tools, AllowUndeclaredTools: rc.Policy.AllowUndeclaredTools}
	}
	var limit *mcphandler.RateLimit
	if rc.RateLimit != "" {
		rate, _ := settings.ParseRate(rc.RateLimit) // validated
		var l mcphandler.Limiter
		if rt.redis != nil {
			l, err = redisstore.NewLimiter(&redisstore.LimiterOptions{Client: rt.redis, Rate: rate})
		} else {
			l, err = rt.memoryLimiter(rc.Path, rate)
		}
		if err != nil {
			return nil, fmt.Errorf("rate_limit: %w", err)
		}
		limit = &mcphandler.RateLimit{Limiter: l}
	}
	guard, err := mcphandler.New(upstream, &mcphandler.Options{
		Challenge: auth.Challenge(), Policy: policy, Store: rt.store(rc.Path), RateLimit: limit,
		AllowedOrigins: rc.AllowedOrigins, Route: rc.Path, Logger: rt.log, OnDecision: rt.onDecision,
	})
	if err != nil {
		return nil, err
	}
	h := auth.Handler(guard)
	if len(rc.AllowedOrigins) > 0 {
		// Browsers on those origins: preflights answered before
		// authentication, for exactly the origins the guard admits.
		h = cors.New(guard, nil)(h)
	}
	return h, nil
}

// upstreamHandler is what serves the route behind its guard: the proxy to
// its upstream, or the bridge to its command's processes.
func upstreamHandler(rc *RouteConfig, rt *runtime, out *routes) (http.Handler, error) {
	if len(rc.Command) > 0 {
		return rt.bridge(rc, out)
	}
	up, _ := url.Parse(rc.Upstream) // validated
	headers, err := upstreamCredentials(rc, up, rt)
	if err != nil {
		return nil, fmt.Errorf("upstream_credentials: %w", err)
	}
	var transport http.RoundTripper = rt.transport
	if rt.tel != nil {
		transport = rt.tel.Transport(rt.transport)
	}
	return mcpproxy.New(up, &mcpproxy.Options{UpstreamHeaders: headers, Transport: transport, Logger: rt.log, OnDecision: rt.onDecision})
}

// mounts registers the routes' metadata documents.
type mounts struct {
	mux    *http.ServeMux
	paths  map[string]bool
	single bool // one route: its metadata is at the root form too
}

// metadata mounts auth's protected resource metadata at its path-inserted
// well-known URL (RFC 9728 §3.1) and, with a single route, at the root
// one, which several routes cannot share.
func (m *mounts) metadata(auth *middleware.Authenticator) error {
	h, err := auth.MetadataHandler()
	if err != nil {
		return err
	}
	paths := auth.MetadataPaths()
	if !m.single {
		paths = paths[:1]
	}
	for _, p := range paths {
		if m.paths[p] {
			return fmt.Errorf("audience: its metadata path %s is another route's; give each route its own audience", p)
		}
		m.paths[p] = true
		m.mux.Handle(p, h)
	}
	return nil
}

// upstreamCredentials builds the route's credentials hook; nil for none.
func upstreamCredentials(rc *RouteConfig, up *url.URL, rt *runtime) (func(context.Context, *authresult.Principal) (http.Header, error), error) {
	cr := rc.UpstreamCredentials
	if cr == nil {
		return nil, nil
	}
	var src credentials.Source
	var err error
	switch {
	case cr.Static != nil:
		tok, serr := secret(cr.Static.TokenEnv, cr.Static.TokenFile)
		if serr != nil {
			return nil, serr
		}
		src, err = credentials.Static(tok)
	case cr.ClientCredentials != nil:
		o := cr.ClientCredentials
		sec, serr := secret(o.ClientSecretEnv, o.ClientSecretFile)
		if serr != nil {
			return nil, serr
		}
		cfg := &clientcredentials.Config{ClientID: o.ClientID, ClientSecret: sec, TokenURL: o.TokenURL, Scopes: o.Scopes}
		cfg.AuthStyle = oauth2.AuthStyleInHeader
		if o.ClientSecretPost {
			cfg.AuthStyle = oauth2.AuthStyleInParams
		}
		src, err = credentials.ClientCredentials(cfg, &credentials.ClientOptions{HTTPClient: rt.fetchClient(telemetry.FetchToken)})
	case cr.TokenExchange != nil:
		o := cr.TokenExchange
		sec, serr := secret(o.ClientSecretEnv, o.ClientSecretFile)
		if serr != nil {
			return nil, serr
		}
		src, err = credentials.TokenExchange(&credentials.ExchangeOptions{
			TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecret: sec, ClientSecretPost: o.ClientSecretPost,
			Resource: o.Resource, Upstream: up, Audience: o.Audience, Scopes: o.Scopes, HTTPClient: rt.fetchClient(telemetry.FetchToken),
		})
	default:
		return nil, errors.New("no kind set")
	}
	if err != nil {
		return nil, err
	}
	return src.Headers, nil
}
