package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the gateway's configuration file, YAML or JSON. Unknown fields
// are refused; every error names the field and its line.
type Config struct {
	// Listen is the address the gateway serves on; default 127.0.0.1:8443
	// with TLS, 127.0.0.1:8091 without.
	Listen string `yaml:"listen"`
	// PublicURL is the gateway's URL as clients reach it (scheme and
	// host); each route's resource identifier is PublicURL + its path.
	PublicURL string `yaml:"public_url"`
	// TLS, if set, serves HTTPS (and HTTP/2) from these files, reloaded
	// when they change.
	TLS *TLSConfig `yaml:"tls"`
	// Metrics, if set, serves Prometheus metrics, /healthz and /readyz.
	Metrics *MetricsConfig `yaml:"metrics"`
	// Log sets the log on stderr.
	Log LogConfig `yaml:"log"`
	// ShutdownTimeout is how long a shutdown waits for requests and
	// streams to finish; default 30s.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// Leeway is the clock skew tolerated on exp, nbf and iat; default one
	// minute, "0s" for none.
	Leeway *Duration `yaml:"leeway"`
	// Store is where session bindings live: "" for memory, or
	// redis://[user:pass@]host:port/db (rediss:// for TLS).
	Store string `yaml:"store"`
	// Issuers are the identity providers routes trust, by name.
	Issuers map[string]*IssuerConfig `yaml:"issuers"`
	// Routes are the MCP endpoints the gateway serves.
	Routes []*RouteConfig `yaml:"routes"`

	root *yaml.Node // for the lines of errors
	file string
}

// TLSConfig names the certificate files.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// MetricsConfig is the listener of metrics and probes.
type MetricsConfig struct {
	Listen string `yaml:"listen"`
}

// LogConfig is the log's level (debug, info, warn, error; info adds an
// audit record per decision) and format (text, json).
type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// IssuerConfig is one identity provider.
type IssuerConfig struct {
	// Issuer is its issuer URL; its keys are discovered from its metadata
	// unless JWKSURL is set.
	Issuer  string `yaml:"issuer"`
	JWKSURL string `yaml:"jwks_url"`
	// Algorithms accepted; default RS256, ES256, EdDSA.
	Algorithms []string `yaml:"algorithms"`
	// Introspection, if set, verifies the provider's tokens that are not
	// JWTs (opaque tokens) at its RFC 7662 endpoint.
	Introspection *IntrospectionConfig `yaml:"introspection"`
}

// IntrospectionConfig is the gateway's client at an RFC 7662
// introspection endpoint.
type IntrospectionConfig struct {
	URL              string `yaml:"url"`
	ClientID         string `yaml:"client_id"`
	ClientSecretEnv  string `yaml:"client_secret_env"`
	ClientSecretFile string `yaml:"client_secret_file"`
	ClientSecretPost bool   `yaml:"client_secret_post"`
}

// RouteConfig is one MCP endpoint.
type RouteConfig struct {
	// Path is the public path, such as /mcp or /files/mcp.
	Path string `yaml:"path"`
	// Upstream is the URL of the MCP server behind it. A route has an
	// upstream or a command, not both.
	Upstream string `yaml:"upstream"`
	// Command runs a stdio MCP server instead, one process per session,
	// such as ["npx", "-y", "@modelcontextprotocol/server-everything", "stdio"].
	Command []string `yaml:"command"`
	// Stdio configures the processes of Command.
	Stdio *StdioConfig `yaml:"stdio"`
	// Issuers names the issuer profiles whose tokens this route accepts.
	Issuers []string `yaml:"issuers"`
	// Audience is the resource identifier tokens must name; default
	// public_url + path.
	Audience string `yaml:"audience"`
	// Scopes are those a token needs to connect; the challenge asks for
	// them.
	Scopes []string `yaml:"scopes"`
	// AllowedOrigins are browser origins allowed besides none.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// Policy is the per-tool policy; without it any authenticated caller
	// may call any tool.
	Policy *PolicyConfig `yaml:"policy"`
	// RateLimit is each principal's rate on this route, "N/s" or "N/m".
	RateLimit string `yaml:"rate_limit"`
	// UpstreamCredentials are the gateway's own credentials upstream.
	UpstreamCredentials *CredentialsConfig `yaml:"upstream_credentials"`
}

// StdioConfig configures a route's stdio server processes.
type StdioConfig struct {
	// Env sets variables of the processes' environment.
	Env map[string]string `yaml:"env"`
	// PassEnv names variables passed from the gateway's own environment
	// (PATH and HOME for npx). Nothing else of it is passed.
	PassEnv []string `yaml:"pass_env"`
	// Dir is the processes' working directory.
	Dir string `yaml:"dir"`
	// MaxProcesses caps the processes of the route (default 32).
	MaxProcesses int `yaml:"max_processes"`
	// MaxPerPrincipal caps one principal's processes (default 4).
	MaxPerPrincipal int `yaml:"max_per_principal"`
	// IdleTimeout ends a process that served nothing for that long
	// (default 10m).
	IdleTimeout Duration `yaml:"idle_timeout"`
	// CallTimeout bounds the wait for one answer (default 10m).
	CallTimeout Duration `yaml:"call_timeout"`
}

// PolicyConfig maps tools to the scopes each needs.
type PolicyConfig struct {
	Tools                map[string][]string `yaml:"tools"`
	AllowUndeclaredTools bool                `yaml:"allow_undeclared_tools"`
}

// CredentialsConfig is exactly one kind of upstream credentials.
type CredentialsConfig struct {
	Static            *StaticConfig   `yaml:"static"`
	ClientCredentials *OAuthConfig    `yaml:"client_credentials"`
	TokenExchange     *ExchangeConfig `yaml:"token_exchange"`
}

// StaticConfig is a token from the environment or a file.
type StaticConfig struct {
	TokenEnv  string `yaml:"token_env"`
	TokenFile string `yaml:"token_file"`
}

// OAuthConfig is the gateway's OAuth client at a token endpoint. The
// secret comes from the environment or a file, never the config itself.
type OAuthConfig struct {
	TokenURL         string   `yaml:"token_url"`
	ClientID         string   `yaml:"client_id"`
	ClientSecretEnv  string   `yaml:"client_secret_env"`
	ClientSecretFile string   `yaml:"client_secret_file"`
	ClientSecretPost bool     `yaml:"client_secret_post"`
	Scopes           []string `yaml:"scopes"`
}

// ExchangeConfig is an RFC 8693 token exchange.
type ExchangeConfig struct {
	OAuthConfig `yaml:",inline"`
	// Resource is the upstream's resource identifier; default: its RFC
	// 9728 metadata, or the upstream URL.
	Resource string `yaml:"resource"`
	Audience string `yaml:"audience"`
}

// Duration is a time.Duration written as "30s" or "1m".
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		// The value is not quoted: in the wrong place, it may be a secret.
		return fmt.Errorf("line %d: not a duration such as 30s or 1m", n.Line)
	}
	*d = Duration(v)
	return nil
}

// ConfigError is an error in a configuration file: the file, the line,
// the field and what is wrong.
type ConfigError struct {
	File  string
	Line  int    // 0 when unknown
	Field string // such as routes[0].upstream
	Msg   string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// maxConfigBytes bounds a configuration file.
const maxConfigBytes = 1 << 20

// LoadConfig reads and validates the file at path.
func LoadConfig(path string) (*Config, error) {
	b, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, b, overrides{})
}

// readConfig reads the file at path, refusing one over maxConfigBytes
// (every read of the configuration goes through it: start, -check,
// reload).
func readConfig(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxConfigBytes {
		return nil, &ConfigError{File: path, Msg: fmt.Sprintf("larger than %d bytes", maxConfigBytes)}
	}
	return b, nil
}

// overrides are settings from flags and the environment, which win over
// the file's.
type overrides struct {
	Listen, MetricsListen, LogLevel, LogFormat string
}

// apply sets c's fields from o.
func (o overrides) apply(c *Config) {
	if o.Listen != "" {
		c.Listen = o.Listen
	}
	if o.MetricsListen != "" {
		if c.Metrics == nil {
			c.Metrics = &MetricsConfig{}
		}
		c.Metrics.Listen = o.MetricsListen
	}
	if o.LogLevel != "" {
		c.Log.Level = o.LogLevel
	}
	if o.LogFormat != "" {
		c.Log.Format = o.LogFormat
	}
}

var yamlLine = regexp.MustCompile(`line (\d+): `)

var yamlUnknown = regexp.MustCompile(`^field (\S+) not found in type main\.(\w+)$`)

// yamlQuoted are what the parser's messages quote of the file: values
// (in backquotes, a value's own backquotes included), anchors (in single
// quotes) and keys (in double quotes). Any of them may be a secret, in the
// wrong place or in the right one (an env value written *like-this is an
// alias to the parser), so none is shown: the line says where to look.
var yamlQuoted = regexp.MustCompile("\\s*(`.*`|'[^']*'|\"[^\"]*\")")

// yamlTag is a tag the file wrote (!secret), shown only when it is one of
// the core kinds.
var yamlTag = regexp.MustCompile(`!!?[^\s,]*`)

// yamlKinds name the parser's core tags in what an operator reads.
var yamlKinds = map[string]string{"!!str": "a string", "!!int": "a number", "!!float": "a number",
	"!!bool": "a boolean", "!!map": "a mapping", "!!seq": "a list", "!!null": "null", "!!timestamp": "a timestamp", "!!binary": "binary data"}

// redactYAML removes from a parser message everything it quotes of the
// file.
func redactYAML(msg string) string {
	msg = yamlQuoted.ReplaceAllString(msg, "")
	return yamlTag.ReplaceAllStringFunc(msg, func(tag string) string {
		if k, ok := yamlKinds[tag]; ok {
			return k
		}
		return "a tagged value"
	})
}

// ParseConfig parses the configuration b, read from file, applies o and
// validates the result.
func ParseConfig(file string, b []byte, o overrides) (*Config, error) {
	c := &Config{file: file, root: &yaml.Node{}}
	if err := yaml.Unmarshal(b, c.root); err != nil {
		return nil, yamlError(file, err)
	}
	if len(c.root.Content) == 0 {
		return nil, &ConfigError{File: file, Msg: "empty: it needs at least issuers and routes"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return nil, yamlError(file, err)
	}
	o.apply(c)
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// yamlError turns the parser's error (the first of them) into a
// ConfigError with its line.
func yamlError(file string, err error) error {
	msg := err.Error()
	if te, ok := errors.AsType[*yaml.TypeError](err); ok && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = redactYAML(strings.TrimPrefix(msg, "yaml: "))
	e := &ConfigError{File: file, Msg: msg}
	if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
		e.Line, _ = strconv.Atoi(msg[m[2]:m[3]])
		e.Msg = msg[:m[0]] + msg[m[1]:]
	}
	if m := yamlUnknown.FindStringSubmatch(e.Msg); m != nil {
		e.Field, e.Msg = m[1], "unknown field (in "+m[2]+")"
	}
	if strings.HasPrefix(e.Msg, "cannot unmarshal") || strings.HasPrefix(e.Msg, "cannot decode") {
		e.Msg = "wrong type: " + e.Msg
	}
	return e
}

// errAt is a ConfigError at the field named by path, such as
// "routes", 0, "upstream"; its line is that of the field's value (or of
// the nearest enclosing field present).
func (c *Config) errAt(msg string, path ...any) error {
	return &ConfigError{File: c.file, Line: lineOf(c.root, path), Field: fieldName(path), Msg: msg}
}

// fieldName writes a path as routes[0].upstream.
func fieldName(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		}
	}
	return b.String()
}

// lineOf finds the line of path in the document.
func lineOf(root *yaml.Node, path []any) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch p := p.(type) {
		case int:
			if n.Kind == yaml.SequenceNode && p < len(n.Content) {
				next = n.Content[p]
			}
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == p {
						next = n.Content[i+1]
						line = n.Content[i].Line
						break
					}
				}
			}
		}
		if next == nil {
			return line
		}
		n = next
		line = n.Line
	}
	return line
}
