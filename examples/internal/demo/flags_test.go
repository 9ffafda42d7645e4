package demo

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/internal/settings"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parse(t *testing.T, env map[string]string, args ...string) (*Config, error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := NewFlags(fs)
	c := Register(f, "127.0.0.1:0")
	if err := f.Parse(args); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

func TestFlags(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		check   func(t *testing.T, c *Config)
		wantErr string // what the error must name
	}{
		{name: "env 1 is true", env: map[string]string{"MCPAUTH_STATELESS": "1"}, check: func(t *testing.T, c *Config) { assert.True(t, c.Stateless) }},
		{name: "env TRUE is true", env: map[string]string{"MCPAUTH_STATELESS": "TRUE"}, check: func(t *testing.T, c *Config) { assert.True(t, c.Stateless) }},
		{name: "env 0 is false", env: map[string]string{"MCPAUTH_STATELESS": "0"}, check: func(t *testing.T, c *Config) { assert.False(t, c.Stateless) }},
		{name: "env yes is an error", env: map[string]string{"MCPAUTH_STATELESS": "yes"}, wantErr: `MCPAUTH_STATELESS="yes"`},
		{name: "flag yes is an error", args: []string{"-stateless=yes"}, wantErr: "-stateless"},
		{name: "flag beats env", env: map[string]string{"MCPAUTH_STATELESS": "yes"}, args: []string{"-stateless=false"}, check: func(t *testing.T, c *Config) { assert.False(t, c.Stateless) }},
		{name: "env addr", env: map[string]string{"MCPAUTH_ADDR": "127.0.0.1:9"}, check: func(t *testing.T, c *Config) { assert.Equal(t, "127.0.0.1:9", c.Addr) }},
		{name: "bad audience flag", args: []string{"-audience", "mcp.example.com"}, wantErr: `-audience "mcp.example.com"`},
		{name: "bad audience env", env: map[string]string{"MCPAUTH_AUDIENCE": "http://mcp.example.com/mcp"}, wantErr: "MCPAUTH_AUDIENCE"},
		{name: "issuer with fragment", args: []string{"-issuer", "https://idp.example#x"}, wantErr: "-issuer"},
		{name: "jwks without issuer", args: []string{"-jwks-url", "https://idp.example/jwks"}, wantErr: "-jwks-url needs exactly one -issuer"},
		{name: "jwks from env without issuer", env: map[string]string{"MCPAUTH_JWKS_URL": "https://idp.example/jwks"}, wantErr: "MCPAUTH_JWKS_URL needs exactly one -issuer"},
		{name: "two issuers", args: []string{"-issuer", "https://a.example", "-issuer", "https://b.example"}, check: func(t *testing.T, c *Config) {
			assert.Equal(t, []string{"https://a.example", "https://b.example"}, c.Issuers)
		}},
		{name: "issuers from env", env: map[string]string{"MCPAUTH_ISSUER": "https://a.example https://b.example"}, check: func(t *testing.T, c *Config) {
			assert.Equal(t, []string{"https://a.example", "https://b.example"}, c.Issuers)
		}},
		{name: "jwks with two issuers", args: []string{"-issuer", "https://a.example", "-issuer", "https://b.example", "-jwks-url", "https://a.example/jwks"}, wantErr: "-jwks-url needs exactly one -issuer"},
		{name: "leeway default", check: func(t *testing.T, c *Config) { assert.Equal(t, time.Minute, c.Leeway) }},
		{name: "leeway from env", env: map[string]string{"MCPAUTH_LEEWAY": "5s"}, check: func(t *testing.T, c *Config) { assert.Equal(t, 5*time.Second, c.Leeway) }},
		{name: "leeway zero", args: []string{"-leeway=0"}, check: func(t *testing.T, c *Config) { assert.Zero(t, c.Leeway) }},
		{name: "leeway negative", args: []string{"-leeway=-1s"}, wantErr: "-leeway"},
		{name: "leeway not a duration", env: map[string]string{"MCPAUTH_LEEWAY": "60"}, wantErr: "MCPAUTH_LEEWAY"},
		{name: "introspection secret without id", args: []string{"-issuer", "https://a.example", "-introspection-client-secret", "s"}, wantErr: "-introspection-client-secret needs -introspection-client-id"},
		{name: "introspection id without secret", env: map[string]string{"MCPAUTH_ISSUER": "https://a.example", "MCPAUTH_INTROSPECTION_CLIENT_ID": "c"}, wantErr: "MCPAUTH_INTROSPECTION_CLIENT_ID needs -introspection-client-secret"},
		{name: "introspection without issuer", args: []string{"-introspection-client-id", "c", "-introspection-client-secret", "s"}, wantErr: "needs -issuer"},
		{name: "introspection with two issuers and no URL", args: []string{"-issuer", "https://a.example", "-issuer", "https://b.example", "-introspection-client-id", "c", "-introspection-client-secret", "s"}, wantErr: "needs -introspection-url"},
		{name: "introspection URL not https", args: []string{"-issuer", "https://a.example", "-introspection-url", "http://a.example/introspect", "-introspection-client-id", "c", "-introspection-client-secret", "s"}, wantErr: "-introspection-url"},
		{name: "introspection from env", env: map[string]string{"MCPAUTH_ISSUER": "https://a.example", "MCPAUTH_INTROSPECTION_URL": "https://a.example/i", "MCPAUTH_INTROSPECTION_CLIENT_ID": "c", "MCPAUTH_INTROSPECTION_CLIENT_SECRET": "s"}, check: func(t *testing.T, c *Config) {
			assert.Equal(t, "https://a.example/i", c.IntrospectionURL)
			assert.Equal(t, "c", c.IntrospectionClientID)
			assert.Equal(t, "s", c.IntrospectionClientSecret)
		}},
		{name: "store not a Redis URL", args: []string{"-store", "memcached://127.0.0.1:11211"}, wantErr: "-store"},
		{name: "store from env", env: map[string]string{"MCPAUTH_STORE": "redis://u:p@127.0.0.1:6379/2"}, check: func(t *testing.T, c *Config) {
			assert.Equal(t, "redis://u:p@127.0.0.1:6379/2", c.Store)
		}},
		{name: "bad store from env", env: map[string]string{"MCPAUTH_STORE": "127.0.0.1:6379"}, wantErr: "MCPAUTH_STORE"},
		{name: "log defaults", check: func(t *testing.T, c *Config) {
			assert.Equal(t, "warn", c.LogLevel)
			assert.Equal(t, "text", c.LogFormat)
			assert.Empty(t, c.MetricsAddr, "no metrics listener unless asked")
		}},
		{name: "log from env", env: map[string]string{"MCPAUTH_LOG_LEVEL": "info", "MCPAUTH_LOG_FORMAT": "json"}, check: func(t *testing.T, c *Config) {
			assert.Equal(t, "info", c.LogLevel)
			assert.Equal(t, "json", c.LogFormat)
		}},
		{name: "log level DEBUG", args: []string{"-log-level", "DEBUG"}, check: func(t *testing.T, c *Config) { assert.Equal(t, "DEBUG", c.LogLevel) }},
		{name: "log level offset", args: []string{"-log-level", "info+2"}, wantErr: `-log-level "info+2"`},
		{name: "log level unknown", env: map[string]string{"MCPAUTH_LOG_LEVEL": "verbose"}, wantErr: "MCPAUTH_LOG_LEVEL"},
		{name: "log format unknown", args: []string{"-log-format", "logfmt"}, wantErr: "-log-format"},
		{name: "metrics from env", env: map[string]string{"MCPAUTH_METRICS_ADDR": "127.0.0.1:9464"}, check: func(t *testing.T, c *Config) { assert.Equal(t, "127.0.0.1:9464", c.MetricsAddr) }},
		{name: "metrics without a port", args: []string{"-metrics-addr", "127.0.0.1"}, wantErr: "-metrics-addr"},
		{name: "rate per second", args: []string{"-rate-limit", "10/s"}, check: func(t *testing.T, c *Config) { assert.Equal(t, "10/s", c.RateLimit) }},
		{name: "rate per minute from env", env: map[string]string{"MCPAUTH_RATE_LIMIT": "600/m"}, check: func(t *testing.T, c *Config) {
			r, err := settings.ParseRate(c.RateLimit)
			require.NoError(t, err)
			assert.Equal(t, 10.0, r)
		}},
		{name: "rate without unit", args: []string{"-rate-limit", "10"}, wantErr: "-rate-limit"},
		{name: "rate per hour", env: map[string]string{"MCPAUTH_RATE_LIMIT": "10/h"}, wantErr: "MCPAUTH_RATE_LIMIT"},
		{name: "rate zero", args: []string{"-rate-limit", "0/s"}, wantErr: "-rate-limit"},
		{name: "loopback http is fine", args: []string{"-audience", "http://127.0.0.1:8080/mcp"}, check: func(t *testing.T, c *Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parse(t, tt.env, tt.args...)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestFlagsListAndDuration(t *testing.T) {
	t.Setenv("X_LIST", "a  b\tc")
	t.Setenv("X_DUR", "soon")
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := NewFlags(fs)
	var list []string
	var d time.Duration
	f.List(&list, "item", "X_LIST", "items")
	f.Duration(&d, "wait", "X_DUR", time.Second, "wait")
	err := f.Parse(nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `X_DUR="soon"`)
	assert.Equal(t, []string{"a", "b", "c"}, list)
	assert.Equal(t, "X_LIST", f.Source("item"))

	fs = flag.NewFlagSet("test", flag.ContinueOnError)
	f = NewFlags(fs)
	list = nil
	f.List(&list, "item", "X_LIST", "items")
	require.NoError(t, f.Parse([]string{"-item", "x", "-item", "y"}))
	assert.Equal(t, []string{"x", "y"}, list, "the command line wins over the environment")
}
