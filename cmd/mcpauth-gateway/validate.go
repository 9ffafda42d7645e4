package main

import (
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/mcpauth/mcpauth/mcpproxy/stdio"

	"github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/internal/loopback"
	"github.com/mcpauth/mcpauth/internal/settings"
)

// Defaults of a configuration.
const (
	defaultListen    = "127.0.0.1:8091"
	defaultListenTLS = "127.0.0.1:8443"
)

var algorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// validate checks everything that can be checked without the network,
// and fills in defaults.
func (c *Config) validate() error {
	if c.Listen == "" {
		c.Listen = defaultListen
		if c.TLS != nil {
			c.Listen = defaultListenTLS
		}
	}
	if err := checkHostPort(c.Listen); err != nil {
		return c.errAt(err.Error(), "listen")
	}
	if c.TLS != nil {
		if c.TLS.CertFile == "" || c.TLS.KeyFile == "" {
			return c.errAt("needs cert_file and key_file", "tls")
		}
		if _, err := tls.LoadX509KeyPair(c.TLS.CertFile, c.TLS.KeyFile); err != nil {
			return c.errAt(err.Error(), "tls", "cert_file")
		}
	}
	if c.PublicURL == "" {
		host, _, _ := net.SplitHostPort(c.Listen)
		if !loopback.Host(host) {
			return c.errAt("required when listen is not a loopback address: the URL clients reach the gateway at, such as https://mcp.example.com", "public_url")
		}
		c.PublicURL = "http://" + c.Listen
		if c.TLS != nil {
			c.PublicURL = "https://" + c.Listen
		}
	}
	if u, err := settings.CheckURL(c.PublicURL); err != nil {
		return c.errAt(err.Error(), "public_url")
	} else if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return c.errAt("scheme and host only; route paths come from routes[].path", "public_url")
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if c.Metrics != nil {
		if err := checkHostPort(c.Metrics.Listen); err != nil {
			return c.errAt(err.Error(), "metrics", "listen")
		}
	}
	if _, err := settings.ParseLevel(c.Log.Level); err != nil {
		return c.errAt(err.Error(), "log", "level")
	}
	if f := c.Log.Format; f != "" && f != "text" && f != "json" {
		return c.errAt("want text or json", "log", "format")
	}
	if c.ShutdownTimeout < 0 {
		return c.errAt("negative", "shutdown_timeout")
	}
	if c.Leeway != nil && *c.Leeway < 0 {
		return c.errAt("negative; 0s tolerates no clock skew", "leeway")
	}
	if c.Store != "" {
		if _, err := redis.ParseURL(c.Store); err != nil {
			return c.errAt("not a Redis URL (want redis://[user:pass@]host:port/db)", "store")
		}
	}
	if len(c.Issuers) == 0 {
		return c.errAt("at least one identity provider is required", "issuers")
	}
	for _, name := range slices.Sorted(maps.Keys(c.Issuers)) {
		if err := c.validateIssuer(name, c.Issuers[name]); err != nil {
			return err
		}
	}
	if len(c.Routes) == 0 {
		return c.errAt("at least one route is required", "routes")
	}
	seen := map[string]int{}
	for i, r := range c.Routes {
		if err := c.validateRoute(i, r); err != nil {
			return err
		}
		if j, dup := seen[r.Path]; dup {
			return c.errAt(fmt.Sprintf("%s is also routes[%d].path", r.Path, j), "routes", i, "path")
		}
		seen[r.Path] = i
	}
	return nil
}

func (c *Config) validateIssuer(name string, iss *IssuerConfig) error {
	if iss == nil || iss.Issuer == "" {
		return c.errAt("issuer (its issuer URL) is required", "issuers", name)
	}
	if _, err := settings.CheckURL(iss.Issuer); err != nil {
		return c.errAt(err.Error(), "issuers", name, "issuer")
	}
	if iss.JWKSURL != "" {
		if _, err := settings.CheckURL(iss.JWKSURL); err != nil {
			return c.errAt(err.Error(), "issuers", name, "jwks_url")
		}
	}
	if in := iss.Introspection; in != nil {
		if _, err := settings.CheckURL(in.URL); err != nil {
			return c.errAt(err.Error(), "issuers", name, "introspection", "url")
		}
		if in.ClientID == "" {
			return c.errAt("required", "issuers", name, "introspection", "client_id")
		}
		if _, err := secret(in.ClientSecretEnv, in.ClientSecretFile); err != nil {
			return c.errAt(strings.ReplaceAll(err.Error(), "token_", "client_secret_"), "issuers", name, "introspection", "client_secret_env")
		}
	}
	for i, a := range iss.Algorithms {
		if !slices.Contains(algorithms, a) {
			return c.errAt(fmt.Sprintf("%q: want one of %s", a, strings.Join(algorithms, ", ")), "issuers", name, "algorithms", i)
		}
	}
	return nil
}

func (c *Config) validateRoute(i int, r *RouteConfig) error {
	if r == nil {
		return c.errAt("empty route", "routes", i)
	}
	switch {
	case r.Path == "":
		return c.errAt("required, such as /mcp", "routes", i, "path")
	case strings.HasPrefix(r.Path, "/.well-known/") || r.Path == "/healthz" || r.Path == "/readyz":
		return c.errAt(fmt.Sprintf("%q is reserved", r.Path), "routes", i, "path")
	case !strings.HasPrefix(r.Path, "/") || strings.ContainsAny(r.Path, "?#{}% \\") || strings.ContainsFunc(r.Path, func(c rune) bool { return c < 0x21 || c >= 0x7f }) || strings.Contains(r.Path, "//") || strings.Contains(r.Path, "/.") || strings.HasSuffix(r.Path, "/") && r.Path != "/":
		return c.errAt(fmt.Sprintf("%q is not a clean absolute path such as /mcp", r.Path), "routes", i, "path")
	}
	switch {
	case r.Upstream == "" && len(r.Command) == 0:
		return c.errAt("required: the URL of the MCP server behind this route (or a command that runs it on stdio)", "routes", i, "upstream")
	case r.Upstream != "" && len(r.Command) > 0:
		return c.errAt("set upstream or command, not both", "routes", i, "command")
	case len(r.Command) > 0:
		if err := c.validateStdio(i, r); err != nil {
			return err
		}
	case r.Stdio != nil:
		return c.errAt("only for a route with a command", "routes", i, "stdio")
	default:
		if u, err := url.Parse(r.Upstream); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
			return c.errAt("not an absolute http(s) URL without user info or fragment", "routes", i, "upstream")
		}
	}
	if len(r.Issuers) == 0 {
		return c.errAt("name at least one of issuers", "routes", i, "issuers")
	}
	introspecting := ""
	for j, name := range r.Issuers {
		iss := c.Issuers[name]
		switch {
		case iss == nil:
			return c.errAt(fmt.Sprintf("%q is not defined under issuers", name), "routes", i, "issuers", j)
		case iss.Introspection != nil && introspecting != "":
			return c.errAt(fmt.Sprintf("%q and %q both introspect: a route's opaque tokens go to one endpoint", introspecting, name), "routes", i, "issuers", j)
		case iss.Introspection != nil:
			introspecting = name
		}
	}
	if r.Audience != "" {
		if _, err := settings.CheckURL(r.Audience); err != nil {
			return c.errAt(err.Error(), "routes", i, "audience")
		}
	}
	if r.RateLimit != "" {
		if _, err := settings.ParseRate(r.RateLimit); err != nil {
			return c.errAt(err.Error(), "routes", i, "rate_limit")
		}
	}
	if p := r.Policy; p != nil && len(p.Tools) == 0 && !p.AllowUndeclaredTools {
		return c.errAt("lists no tools, so every tool would be hidden and refused; list them under tools or set allow_undeclared_tools: true", "routes", i, "policy")
	}
	if p := r.Policy; p != nil {
		for _, tool := range slices.Sorted(maps.Keys(p.Tools)) {
			if p.Tools[tool] == nil { // "delete:" with nothing after it
				return c.errAt(fmt.Sprintf("%q lists no scopes: write [] for a tool anyone may call, or the scopes it needs", tool), "routes", i, "policy", "tools")
			}
		}
	}
	if cr := r.UpstreamCredentials; cr != nil && cr.TokenExchange != nil && len(r.Issuers) > 1 {
		// One token endpoint would get every issuer's users' tokens.
		return c.errAt("a route with token_exchange accepts one issuer: its token endpoint would receive the others' tokens", "routes", i, "issuers")
	}
	if cr := r.UpstreamCredentials; cr != nil {
		return c.validateCredentials(cr, "routes", i, "upstream_credentials")
	}
	return nil
}

// envName is what a variable name of stdio.env and stdio.pass_env may be.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validateStdio checks the command route r.
func (c *Config) validateStdio(i int, r *RouteConfig) error {
	for j, a := range r.Command {
		if a == "" || strings.ContainsRune(a, 0) {
			return c.errAt("an empty argument or one with a NUL", "routes", i, "command", j)
		}
	}
	if r.UpstreamCredentials != nil {
		return c.errAt("a command route has no HTTP upstream to send credentials to; give the process its own through stdio.env", "routes", i, "upstream_credentials")
	}
	s := r.Stdio
	if s == nil {
		return nil
	}
	for name, v := range s.Env {
		if !envName.MatchString(name) || strings.ContainsRune(v, 0) {
			// The name is not quoted: a typo such as {API_KEY:value}
			// makes a secret the name.
			return c.errAt("a name that is not a variable name such as LOG_LEVEL (or a value with a NUL)", "routes", i, "stdio", "env")
		}
	}
	for j, name := range s.PassEnv {
		if !envName.MatchString(name) {
			return c.errAt("not a variable name such as PATH", "routes", i, "stdio", "pass_env", j)
		}
		if _, ok := s.Env[name]; ok {
			return c.errAt(fmt.Sprintf("%q is also set under env: give it one source", name), "routes", i, "stdio", "pass_env", j)
		}
	}
	total := s.MaxProcesses
	if total == 0 {
		total = stdio.DefaultMaxChildren
	}
	switch {
	case s.MaxProcesses < 0:
		return c.errAt("must not be negative", "routes", i, "stdio", "max_processes")
	case s.MaxPerPrincipal < 0:
		return c.errAt("must not be negative", "routes", i, "stdio", "max_per_principal")
	case s.MaxPerPrincipal > total:
		return c.errAt("exceeds max_processes", "routes", i, "stdio", "max_per_principal")
	case s.IdleTimeout < 0:
		return c.errAt("must not be negative", "routes", i, "stdio", "idle_timeout")
	case s.CallTimeout < 0:
		return c.errAt("must not be negative", "routes", i, "stdio", "call_timeout")
	}
	return nil
}

func (c *Config) validateCredentials(cr *CredentialsConfig, path ...any) error {
	n := 0
	for _, set := range []bool{cr.Static != nil, cr.ClientCredentials != nil, cr.TokenExchange != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return c.errAt("set exactly one of static, client_credentials, token_exchange", path...)
	}
	at := func(p ...any) []any { return append(slices.Clone(path), p...) }
	switch {
	case cr.Static != nil:
		if _, err := secret(cr.Static.TokenEnv, cr.Static.TokenFile); err != nil {
			return c.errAt(err.Error(), at("static")...)
		}
	case cr.ClientCredentials != nil:
		return c.validateOAuth(cr.ClientCredentials, at("client_credentials")...)
	case cr.TokenExchange != nil:
		if err := c.validateOAuth(&cr.TokenExchange.OAuthConfig, at("token_exchange")...); err != nil {
			return err
		}
		if r := cr.TokenExchange.Resource; r != "" {
			if u, err := url.Parse(r); err != nil || !u.IsAbs() || u.Fragment != "" {
				return c.errAt("not an absolute URI without fragment (RFC 8707)", at("token_exchange", "resource")...)
			}
		}
	}
	return nil
}

func (c *Config) validateOAuth(o *OAuthConfig, path ...any) error {
	at := func(p string) []any { return append(slices.Clone(path), p) }
	if _, err := settings.CheckURL(o.TokenURL); err != nil {
		return c.errAt(err.Error(), at("token_url")...)
	}
	if o.ClientID == "" {
		return c.errAt("required", at("client_id")...)
	}
	if _, err := secret(o.ClientSecretEnv, o.ClientSecretFile); err != nil {
		return c.errAt(strings.ReplaceAll(err.Error(), "token_", "client_secret_"), at("client_secret_env")...)
	}
	return nil
}

// secret reads a secret from the environment variable env or the file
// file: exactly one is set, and the value is not empty. Its value never
// appears in an error.
func secret(env, file string) (string, error) {
	switch {
	case (env == "") == (file == ""):
		return "", errors.New("set exactly one of token_env and token_file")
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok || strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("the environment variable %s is not set", env)
		}
		return strings.TrimSpace(v), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", file, errors.Unwrap(err))
	}
	if v := strings.TrimSpace(string(b)); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("%s is empty", file)
}

func checkHostPort(s string) error {
	if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
		return errors.New("want host:port, such as 127.0.0.1:8443")
	}
	return nil
}

// redactedURL is s with any password replaced, for printing.
func redactedURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(not a URL)"
	}
	return u.Redacted()
}

// sha256Sum is the digest of a file's content, to tell a change.
func sha256Sum(b []byte) [sha256.Size]byte { return sha256.Sum256(b) }
