// Package demo holds what the example programs share: their flags, a
// signing key that stands in for an identity provider, and the
// authentication stack built from both.
package demo

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/decision"
	"github.com/mcpauth/mcpauth/internal/discovery"
	"github.com/mcpauth/mcpauth/internal/fetch"
	"github.com/mcpauth/mcpauth/internal/settings"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcphandler/redisstore"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/middleware/introspect"
	"github.com/mcpauth/mcpauth/middleware/jwtverify"
	"github.com/mcpauth/mcpauth/telemetry"
)

// Scopes used by the examples.
const (
	ScopeRead  = "mcp:read"
	ScopeAdmin = "mcp:admin"
)

// JWKSPath is where the examples serve their demo key set.
const JWKSPath = "/.well-known/jwks.json"

// Config is what the flags of an example set.
type Config struct {
	Addr      string        // listen address
	Issuers   []string      // token issuers; default: the example itself, with a demo key
	Audience  string        // this server's resource identifier; default: its /mcp URL
	JWKSURL   string        // the one issuer's JWKS; default: discovered from each issuer
	Leeway    time.Duration // clock skew tolerated; 0 means none
	Stateless bool          // no MCP sessions

	// Introspection of tokens that are not JWTs (RFC 7662): the endpoint
	// (default: the one issuer's introspection_endpoint) and this
	// server's credentials there.
	IntrospectionURL, IntrospectionClientID, IntrospectionClientSecret string

	// Store is where session bindings live: "" for this process's memory,
	// or redis://[user:pass@]host:port/db (rediss:// for TLS), shared by
	// every replica.
	Store string
	// RateLimit is each principal's request rate, "N/s" or "N/m"; "" for
	// none. With a Redis Store the limit holds across replicas.
	RateLimit string

	// MetricsAddr is where Prometheus metrics, /healthz and /readyz are
	// served; "" for nowhere.
	MetricsAddr string
	// LogLevel (debug, info, warn, error) and LogFormat (text, json) of
	// the log on stderr; at info it carries the audit record of every
	// decision.
	LogLevel, LogFormat string

	flags *Flags // where each value came from, for errors
}

// Register defines the shared flags on f, each with an environment
// variable fallback (MCPAUTH_ADDR, MCPAUTH_ISSUER, MCPAUTH_AUDIENCE,
// MCPAUTH_JWKS_URL, MCPAUTH_LEEWAY, MCPAUTH_STATELESS, and so on for
// each), and returns the
// Config they set once f is parsed.
func Register(f *Flags, defaultAddr string) *Config {
	c := &Config{flags: f}
	f.String(&c.Addr, "addr", "MCPAUTH_ADDR", defaultAddr, "listen address")
	f.List(&c.Issuers, "issuer", "MCPAUTH_ISSUER", "issuer URL of an identity provider, whose keys are discovered from its metadata; repeat for several; default: this server, with a generated demo key")
	f.String(&c.Audience, "audience", "MCPAUTH_AUDIENCE", "", "resource identifier tokens must name in aud; default: this server's /mcp URL")
	f.String(&c.JWKSURL, "jwks-url", "MCPAUTH_JWKS_URL", "", "JWKS of the one -issuer, instead of discovering it")
	f.Duration(&c.Leeway, "leeway", "MCPAUTH_LEEWAY", jwtverify.DefaultLeeway, "clock skew tolerated on exp, nbf and iat; 0 for none")
	f.Bool(&c.Stateless, "stateless", "MCPAUTH_STATELESS", false, "serve MCP without sessions")
	f.String(&c.Store, "store", "MCPAUTH_STORE", "", "session bindings: redis://[user:pass@]host:port/db shared by replicas (rediss:// for TLS); default: in memory")
	f.String(&c.RateLimit, "rate-limit", "MCPAUTH_RATE_LIMIT", "", "requests per principal, such as 10/s or 600/m (past it: 429); shared by replicas with -store; default: none")
	f.String(&c.MetricsAddr, "metrics-addr", "MCPAUTH_METRICS_ADDR", "", "listen address of Prometheus metrics (/metrics), /healthz and /readyz, such as 127.0.0.1:9464; default: none")
	f.String(&c.LogLevel, "log-level", "MCPAUTH_LOG_LEVEL", "warn", "least level logged to stderr: debug, info (adds an audit record per decision), warn or error")
	f.String(&c.LogFormat, "log-format", "MCPAUTH_LOG_FORMAT", "text", "log format: text or json")
	f.String(&c.IntrospectionURL, "introspection-url", "MCPAUTH_INTROSPECTION_URL", "", "token introspection endpoint (RFC 7662) for tokens that are not JWTs; default: the issuer's, from its metadata")
	f.String(&c.IntrospectionClientID, "introspection-client-id", "MCPAUTH_INTROSPECTION_CLIENT_ID", "", "this server's client id at the introspection endpoint; with it, tokens that are not JWTs are introspected")
	f.String(&c.IntrospectionClientSecret, "introspection-client-secret", "MCPAUTH_INTROSPECTION_CLIENT_SECRET", "", "this server's client secret at the introspection endpoint")
	return c
}

// Source names where the value of flag name came from, for errors: the
// flag, or the environment variable it was read from.
func (c *Config) Source(name string) string {
	if c.flags == nil {
		return "-" + name
	}
	return c.flags.Source(name)
}

// Validate checks the values as the user typed them, so that an error
// names the flag or environment variable rather than a library option.
func (c *Config) Validate() error {
	urls := []struct{ name, value string }{{"audience", c.Audience}, {"jwks-url", c.JWKSURL}, {"introspection-url", c.IntrospectionURL}}
	for _, iss := range c.Issuers {
		urls = append(urls, struct{ name, value string }{"issuer", iss})
	}
	for _, u := range urls {
		if u.value == "" {
			continue
		}
		if _, err := settings.CheckURL(u.value); err != nil {
			return fmt.Errorf("%s %s: %v", c.Source(u.name), redacted(u.value), err)
		}
	}
	if c.Store != "" {
		if _, err := redis.ParseURL(c.Store); err != nil {
			// go-redis's error quotes the URL, password and all.
			return fmt.Errorf("%s %s: not a Redis URL (want redis://[user:pass@]host:port/db)", c.Source("store"), redacted(c.Store))
		}
	}
	if c.RateLimit != "" {
		if _, err := settings.ParseRate(c.RateLimit); err != nil {
			return fmt.Errorf("%s %q: %v", c.Source("rate-limit"), c.RateLimit, err)
		}
	}
	if _, err := settings.ParseLevel(c.LogLevel); err != nil {
		return fmt.Errorf("%s %q: %v", c.Source("log-level"), c.LogLevel, err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" && c.LogFormat != "" {
		return fmt.Errorf("%s %q: want text or json", c.Source("log-format"), c.LogFormat)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("%s %q: want host:port, such as 127.0.0.1:9464", c.Source("metrics-addr"), c.MetricsAddr)
		}
	}
	switch {
	case c.JWKSURL != "" && len(c.Issuers) != 1:
		return fmt.Errorf("%s needs exactly one -issuer (env MCPAUTH_ISSUER), the identity provider whose keys it holds; without it each issuer's keys are discovered", c.Source("jwks-url"))
	case c.Leeway < 0:
		return fmt.Errorf("%s %v: negative; 0 tolerates no clock skew", c.Source("leeway"), c.Leeway)
	case c.IntrospectionClientID == "" && (c.IntrospectionURL != "" || c.IntrospectionClientSecret != ""):
		return fmt.Errorf("%s needs -introspection-client-id (env MCPAUTH_INTROSPECTION_CLIENT_ID)", c.Source(firstSet(c, "introspection-url", "introspection-client-secret")))
	case c.IntrospectionClientID != "" && c.IntrospectionClientSecret == "":
		return fmt.Errorf("%s needs -introspection-client-secret (env MCPAUTH_INTROSPECTION_CLIENT_SECRET)", c.Source("introspection-client-id"))
	case c.IntrospectionClientID != "" && len(c.Issuers) == 0:
		return fmt.Errorf("%s needs -issuer (env MCPAUTH_ISSUER), the identity provider whose tokens are introspected", c.Source("introspection-client-id"))
	case c.IntrospectionClientID != "" && c.IntrospectionURL == "" && len(c.Issuers) != 1:
		return fmt.Errorf("%s with several -issuer needs -introspection-url (env MCPAUTH_INTROSPECTION_URL)", c.Source("introspection-client-id"))
	}
	return nil
}

// firstSet returns the first of the named introspection flags that is set.
func firstSet(c *Config, names ...string) string {
	for _, n := range names {
		if n == "introspection-url" && c.IntrospectionURL != "" || n == "introspection-client-secret" && c.IntrospectionClientSecret != "" {
			return n
		}
	}
	return names[0]
}

// redacted is s quoted for an error, with any password replaced; a value
// that is not a URL at all is not shown.
func redacted(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(not a URL)"
	}
	return strconv.Quote(u.Redacted())
}

// Stack is the authentication of an example.
type Stack struct {
	Auth     *middleware.Authenticator
	Verifier *jwtverify.Verifier
	// Introspection verifies tokens that are not JWTs; nil without
	// introspection credentials.
	Introspection *introspect.Verifier
	// IntrospectionEndpoint is where Introspection asks.
	IntrospectionEndpoint string
	// Store holds the session bindings; nil means the guard's own memory.
	Store mcphandler.Store
	// RateLimit limits each principal's requests; nil means no limit.
	RateLimit *mcphandler.RateLimit
	// Logger is the example's log on stderr; give it to every layer.
	Logger *slog.Logger
	// OnDecision is the one hook of every layer: metrics and spans with
	// -metrics-addr, the audit log at -log-level info.
	OnDecision decision.Hook
	// Telemetry makes the metrics and spans; nil without -metrics-addr.
	Telemetry *telemetry.Telemetry
	metrics   *metrics
	closers   []func() error
	storeAddr string   // the Redis of Store, for Announce
	Key       *Key     // nil with a real identity provider
	Issuers   []string // the trusted issuers; the first is the demo key's
	Audience  string
}

// NewStack builds the verifier and middleware for an example served at
// baseURL. Without c.Issuers it generates a demo key, which becomes the
// only key trusted, for this server as the issuer. With them, only their
// keys are: from c.JWKSURL for the one issuer, or else discovered from
// each issuer's metadata. No demo key is ever made for a foreign issuer.
func NewStack(c *Config, baseURL string) (*Stack, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s := &Stack{Issuers: c.Issuers, Audience: c.Audience}
	if err := s.observe(c); err != nil {
		return nil, err
	}
	if s.Audience == "" {
		s.Audience = baseURL + "/mcp"
	}
	opts := jwtverify.Options{Audiences: []string{s.Audience}, Leeway: c.Leeway, Logger: s.Logger, HTTPClient: s.fetchClient(telemetry.FetchJWKS)}
	if opts.Leeway == 0 {
		opts.Leeway = jwtverify.NoLeeway
	}
	switch {
	case c.JWKSURL != "":
		opts.JWKS = []jwtverify.JWKSSource{{URL: c.JWKSURL, Issuer: c.Issuers[0]}}
		opts.Algorithms = []string{"RS256", "ES256", "EdDSA"}
	case len(c.Issuers) > 0:
		for _, iss := range c.Issuers {
			opts.JWKS = append(opts.JWKS, jwtverify.JWKSSource{Issuer: iss})
		}
		opts.Algorithms = []string{"RS256", "ES256", "EdDSA"}
	default:
		s.Issuers = []string{baseURL}
		k, err := NewKey()
		if err != nil {
			return nil, err
		}
		s.Key = k
		opts.Algorithms = []string{"ES256"}
		opts.Keys = []jwtverify.Key{{ID: k.ID, PublicKey: &k.priv.PublicKey, Issuer: baseURL}}
	}
	opts.Issuers = s.Issuers
	v, err := jwtverify.New(&opts)
	if err != nil {
		return nil, err
	}
	var tokens middleware.TokenVerifier = v
	s.closers = append(s.closers, v.Close)
	if c.IntrospectionClientID != "" {
		iv, err := newIntrospection(c, s, opts.Leeway)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.Introspection = iv
		tokens = middleware.ByFormat(v, iv)
	}
	if s.Telemetry != nil {
		tokens = s.Telemetry.Verifier(tokens)
	}
	auth, err := middleware.New(tokens, &middleware.Options{
		Resource:             s.Audience,
		AuthorizationServers: s.Issuers,
		Scopes:               []string{ScopeRead, ScopeAdmin},
		// Connecting needs only the reader's scope; the admin tool's 403
		// asks for more when a client calls it.
		ChallengeScopes: []string{ScopeRead},
		ResourceName:    "mcpauth example",
		Logger:          s.Logger,
		OnDecision:      s.OnDecision,
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Verifier, s.Auth = v, auth
	s.ready("keys", v.Ready)
	if c.Store != "" {
		opts, _ := redis.ParseURL(c.Store) // validated above
		rdb := redis.NewClient(opts)
		store, err := redisstore.New(&redisstore.Options{Client: rdb})
		if err != nil {
			_ = rdb.Close()
			s.Close()
			return nil, fmt.Errorf("%s: %w", c.Source("store"), err)
		}
		s.Store, s.storeAddr = store, opts.Addr
		s.closers = append(s.closers, rdb.Close)
		s.ready("store", store.Ready)
		if s.Telemetry != nil {
			s.Store = s.Telemetry.Store(store)
		}
		if c.RateLimit != "" {
			rate, _ := settings.ParseRate(c.RateLimit) // validated above
			l, err := redisstore.NewLimiter(&redisstore.LimiterOptions{Client: rdb, Rate: rate})
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("%s: %w", c.Source("rate-limit"), err)
			}
			s.RateLimit = &mcphandler.RateLimit{Limiter: l}
		}
	} else if c.RateLimit != "" {
		rate, _ := settings.ParseRate(c.RateLimit)
		l, err := mcphandler.NewMemoryLimiter(&mcphandler.MemoryLimiterOptions{Rate: rate})
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: %w", c.Source("rate-limit"), err)
		}
		s.RateLimit = &mcphandler.RateLimit{Limiter: l}
	}
	return s, nil
}

// Close stops the stack's background work and connections.
func (s *Stack) Close() {
	for _, c := range s.closers {
		_ = c()
	}
}

// newIntrospection builds the verifier of tokens that are not JWTs, at
// c.IntrospectionURL or the endpoint the one issuer's metadata names.
func newIntrospection(c *Config, s *Stack, leeway time.Duration) (*introspect.Verifier, error) {
	endpoint := c.IntrospectionURL
	if endpoint == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		md, err := discovery.Fetch(ctx, fetch.SameOriginRedirects(nil), s.Issuers[0])
		if err != nil {
			return nil, fmt.Errorf("%s: finding the introspection endpoint: %w", c.Source("introspection-client-id"), err)
		}
		if md.IntrospectionEndpoint == "" {
			return nil, fmt.Errorf("%s: the metadata of %s names no introspection_endpoint; set -introspection-url", c.Source("introspection-client-id"), s.Issuers[0])
		}
		endpoint = md.IntrospectionEndpoint
	}
	s.IntrospectionEndpoint = endpoint
	iv, err := introspect.New(&introspect.Options{
		Endpoint: endpoint, ClientID: c.IntrospectionClientID, ClientSecret: c.IntrospectionClientSecret,
		Issuers: s.Issuers, Audiences: []string{s.Audience}, Leeway: leeway,
		Logger: s.Logger, HTTPClient: s.fetchClient(telemetry.FetchIntrospection),
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Source("introspection-url"), err)
	}
	return iv, nil
}

// Key is a demo ES256 signing key standing in for an identity provider.
type Key struct {
	ID   string
	priv *ecdsa.PrivateKey
}

// NewKey generates a key.
func NewKey() (*Key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &Key{ID: "demo-" + rand.Text()[:8], priv: priv}, nil
}

// Mint returns an access token for subject with scopes, valid for ttl.
func (k *Key) Mint(issuer, audience, subject string, scopes []string, ttl time.Duration) (string, error) {
	now := time.Now()
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": issuer, "aud": audience, "sub": subject, "client_id": "mcpauth-demo",
		"scope": strings.Join(scopes, " "), "iat": now.Unix(), "exp": now.Add(ttl).Unix(),
	})
	t.Header["kid"] = k.ID
	t.Header["typ"] = "at+jwt"
	return t.SignedString(k.priv)
}

// JWKS returns a handler serving the public key as a JWK Set, for other
// services that want to verify the demo tokens.
func (k *Key) JWKS() (http.Handler, error) {
	b64 := base64.RawURLEncoding
	pub, err := k.priv.PublicKey.ECDH()
	if err != nil {
		return nil, err
	}
	pt := pub.Bytes() // 0x04 || X || Y
	doc, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "kid": k.ID, "use": "sig", "alg": "ES256",
		"x": b64.EncodeToString(pt[1:33]), "y": b64.EncodeToString(pt[33:]),
	}}})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(doc)
	}), nil
}

// Mount registers the stack's public routes on mux: the protected
// resource metadata and, with a demo key, its JWKS.
func (s *Stack) Mount(mux *http.ServeMux) error {
	if err := s.Auth.MountMetadata(mux); err != nil {
		return err
	}
	if s.Key == nil {
		return nil
	}
	jwks, err := s.Key.JWKS()
	if err != nil {
		return err
	}
	mux.Handle(JWKSPath, jwks)
	return nil
}

// Tokens are the ready tokens an example prints.
type Tokens struct{ Reader, Admin string }

// DemoTokens mints a reader and an admin token valid for 12 hours.
func (s *Stack) DemoTokens() (Tokens, error) {
	if s.Key == nil {
		return Tokens{}, errors.New("no demo key: tokens come from the identity provider")
	}
	r, err := s.Key.Mint(s.Issuers[0], s.Audience, "reader@example.com", []string{ScopeRead}, 12*time.Hour)
	if err != nil {
		return Tokens{}, err
	}
	a, err := s.Key.Mint(s.Issuers[0], s.Audience, "admin@example.com", []string{ScopeRead, ScopeAdmin}, 12*time.Hour)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{Reader: r, Admin: a}, nil
}

// Announce prints what an example serves: its title, endpoint, the
// identity settings, extra lines, and with a demo key the ready tokens and
// the commands to try them.
func (s *Stack) Announce(title, base string, extra ...string) error {
	fmt.Printf("%s\n\n", title)
	fmt.Printf("  MCP endpoint:       %s/mcp\n", base)
	if s.metrics != nil {
		fmt.Printf("  metrics:            http://%s/metrics (and /healthz, /readyz)\n", s.metrics.ln.Addr())
	}
	for _, e := range extra {
		fmt.Printf("  %s\n", e)
	}
	fmt.Printf("  resource metadata:  %s\n", s.Auth.ResourceMetadataURL())
	fmt.Printf("  issuer:             %s\n", strings.Join(s.Issuers, ", "))
	fmt.Printf("  audience:           %s\n", s.Audience)
	if s.Introspection != nil {
		fmt.Printf("  introspection:      %s\n", s.IntrospectionEndpoint)
	}
	if s.storeAddr != "" {
		fmt.Printf("  session bindings:   Redis at %s, shared by replicas\n", s.storeAddr)
	}
	if s.Key == nil {
		return nil
	}
	toks, err := s.DemoTokens()
	if err != nil {
		return err
	}
	fmt.Printf("  JWKS:               %s%s\n", base, JWKSPath)
	fmt.Printf("  reader token:       %s\n", toks.Reader)
	fmt.Printf("  admin token:        %s\n", toks.Admin)
	PrintTry(base+"/mcp", toks)
	return nil
}

// Run is the life of an example: listen on c.Addr, build the stack for
// that address and the handler from it, announce them, and serve until
// interrupted.
func Run(c *Config, title string, extra []string, handler func(*Stack) (http.Handler, error)) error {
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()
	stack, err := NewStack(c, base)
	if err != nil {
		return err
	}
	defer stack.Close()
	h, err := handler(stack)
	if err != nil {
		return err
	}
	if stack.Telemetry != nil {
		h = stack.Telemetry.Handler(h)
	}
	if err := stack.serveMetrics(c.MetricsAddr); err != nil {
		return err
	}
	if err := stack.Announce(title, base, extra...); err != nil {
		return err
	}
	return Serve(ln, h, stack.Logger)
}

// Serve serves h on ln until SIGINT or SIGTERM, then shuts down
// gracefully within five seconds. Clients get ten seconds for their
// headers and thirty for a whole request; an idle connection is closed
// after two minutes. There is no write timeout, which would cut SSE
// streams. The server's own errors (a handler's panic among them) go to
// log at Error.
func Serve(ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := newServer(h, log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// PrintTry prints the copy-paste commands to try an example at endpoint.
func PrintTry(endpoint string, t Tokens) {
	fmt.Printf(`
Try it (tokens are valid for 12 hours):

  export READER=%s
  export ADMIN=%s

  # no token: 401 and a challenge that points to the resource metadata
  curl -i %s -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'

  # with a token: 200 and a session
  curl -i %s -H "Authorization: Bearer $READER" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'

  # with the official TypeScript MCP client
  npm ci --prefix examples/e2e/ts
  node examples/e2e/ts/client.mjs %s "$READER"
`, t.Reader, t.Admin, endpoint, endpoint, endpoint)
}
