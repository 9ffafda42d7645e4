package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goodConfig = `listen: 127.0.0.1:0
public_url: http://127.0.0.1:8091
issuers:
  corp:
    issuer: https://sso.example.com
routes:
  - path: /mcp
    upstream: http://127.0.0.1:3000/mcp
    issuers: [corp]
    scopes: [mcp:read]
    policy:
      tools:
        echo: []
        delete: [mcp:admin]
`

// TestConfigErrors checks that every mistake is refused with the field
// named and the line of the file it is on.
func TestConfigErrors(t *testing.T) {
	t.Setenv("GW_TEST_SECRET", "s3cret")
	tests := []struct {
		name   string
		config string
		want   string // file:line: field: message, after the file name
	}{
		{name: "unknown top-level field", config: "listen: 127.0.0.1:0\nlisten_addr: x\n", want: ":2: listen_addr: unknown field"},
		{name: "unknown route field", config: strings.Replace(goodConfig, "    scopes:", "    scope:", 1), want: ":10: scope: unknown field"},
		{name: "misspelt issuer field", config: strings.Replace(goodConfig, "    issuer: https", "    isuer: https", 1), want: ":5: isuer: unknown field"},
		{name: "a key twice", config: goodConfig + "listen: 0.0.0.0:8091\n", want: `:15: mapping key already defined at line 1`},
		{name: "wrong type", config: strings.Replace(goodConfig, "scopes: [mcp:read]", "scopes: {a: b}", 1), want: ":10: wrong type: cannot unmarshal a mapping into []string"},
		{name: "a value of the wrong type is not quoted", config: strings.Replace(goodConfig, "scopes: [mcp:read]", "scopes: hunter2-secret-value", 1), want: ":10: wrong type: cannot unmarshal a string into []string"},
		{name: "not YAML", config: "routes: [\n", want: ":1: did not find expected node content"},
		{name: "empty", config: "", want: ": empty"},
		{name: "bad duration", config: goodConfig + "shutdown_timeout: hunter2\n", want: ":15: not a duration such as 30s or 1m"},
		{name: "listen not host:port", config: strings.Replace(goodConfig, "127.0.0.1:0", "8091", 1), want: ":1: listen: want host:port"},
		{name: "public listen without public_url", config: strings.Replace(strings.Replace(goodConfig, "127.0.0.1:0", "0.0.0.0:8091", 1), "public_url: http://127.0.0.1:8091\n", "", 1), want: ":1: public_url: required when listen"},
		{name: "public_url over plain http", config: strings.Replace(goodConfig, "http://127.0.0.1:8091", "http://mcp.example.com", 1), want: ":2: public_url: must use https"},
		{name: "public_url with a path", config: strings.Replace(goodConfig, "http://127.0.0.1:8091", "https://mcp.example.com/x", 1), want: ":2: public_url: scheme and host only"},
		{name: "no issuers", config: "routes: []\n", want: ":1: issuers: at least one"},
		{name: "issuer over plain http", config: strings.Replace(goodConfig, "https://sso.example.com", "http://sso.example.com", 1), want: ":5: issuers.corp.issuer: must use https"},
		{name: "unknown algorithm", config: strings.Replace(goodConfig, "    issuer: https://sso.example.com\n", "    issuer: https://sso.example.com\n    algorithms: [RS256, none]\n", 1), want: ":6: issuers.corp.algorithms[1]: \"none\""},
		{name: "no routes", config: strings.SplitAfter(goodConfig, "sso.example.com\n")[0], want: ":1: routes: at least one route"},
		{name: "route without path", config: strings.Replace(goodConfig, "  - path: /mcp\n    upstream", "  - upstream", 1), want: ":7: routes[0].path: required"},
		{name: "route path not clean", config: strings.Replace(goodConfig, "path: /mcp", "path: /a/../mcp", 1), want: ":7: routes[0].path: \"/a/../mcp\" is not a clean"},
		{name: "route path with a tab", config: strings.Replace(goodConfig, "path: /mcp", "path: \"/mcp\\tx\"", 1), want: ":7: routes[0].path: \"/mcp\\tx\" is not a clean"},
		{name: "route on a reserved path", config: strings.Replace(goodConfig, "path: /mcp", "path: /.well-known/x", 1), want: ":7: routes[0].path: \"/.well-known/x\" is reserved"},
		{name: "upstream not a URL", config: strings.Replace(goodConfig, "http://127.0.0.1:3000/mcp", "127.0.0.1:3000", 1), want: ":8: routes[0].upstream: not an absolute http(s) URL"},
		{name: "route names an undefined issuer", config: strings.Replace(goodConfig, "issuers: [corp]", "issuers: [corp, partner]", 1), want: ":9: routes[0].issuers[1]: \"partner\" is not defined"},
		{name: "route with no issuer", config: strings.Replace(goodConfig, "issuers: [corp]", "issuers: []", 1), want: ":9: routes[0].issuers: name at least one"},
		{name: "duplicate route", config: goodConfig + "  - path: /mcp\n    upstream: http://127.0.0.1:3001/mcp\n    issuers: [corp]\n", want: ":15: routes[1].path: /mcp is also routes[0].path"},
		{name: "policy that hides every tool", config: strings.Replace(goodConfig, "      tools:\n        echo: []\n        delete: [mcp:admin]\n", "      tools: {}\n", 1), want: ":12: routes[0].policy: lists no tools"},
		{name: "bad rate limit", config: strings.Replace(goodConfig, "    scopes:", "    rate_limit: fast\n    scopes:", 1), want: ":10: routes[0].rate_limit: want a positive number"},
		{name: "bad origin", config: strings.Replace(goodConfig, "    scopes:", "    allowed_origins: [\"https://app.example.com/path\"]\n    scopes:", 1), want: ":7: routes[0]: mcphandler: invalid options: AllowedOrigins"},
		{name: "tool with null scopes", config: strings.Replace(goodConfig, "delete: [mcp:admin]", "delete:", 1), want: ":13: routes[0].policy.tools: \"delete\" lists no scopes"},
		{name: "config over 1 MiB", config: goodConfig + "#" + strings.Repeat("x", 1<<20) + "\n", want: ": larger than 1048576 bytes"},
		{name: "token exchange for two issuers", config: strings.Replace(strings.Replace(goodConfig, "    issuer: https://sso.example.com\n", "    issuer: https://sso.example.com\n  partner:\n    issuer: https://partner.example.com\n", 1), "issuers: [corp]", "issuers: [corp, partner]", 1) + "    upstream_credentials:\n      token_exchange: {token_url: https://as.example/token, client_id: gw, client_secret_env: GW_TEST_SECRET}\n", want: ":11: routes[0].issuers: a route with token_exchange accepts one issuer"},
		{name: "upstream and command", config: strings.Replace(goodConfig, "    issuers: [corp]\n", "    issuers: [corp]\n    command: [npx]\n", 1), want: ":10: routes[0].command: set upstream or command, not both"},
		{name: "empty command argument", config: strings.Replace(goodConfig, "    upstream: http://127.0.0.1:3000/mcp\n", "    command: [npx, \"\"]\n", 1), want: ":8: routes[0].command[1]: an empty argument"},
		{name: "stdio without command", config: goodConfig + "    stdio: {max_processes: 2}\n", want: ":15: routes[0].stdio: only for a route with a command"},
		{name: "credentials for a command", config: strings.Replace(goodConfig, "    upstream: http://127.0.0.1:3000/mcp\n", "    command: [npx, server]\n", 1) + "    upstream_credentials:\n      static: {token_env: GW_TEST_SECRET}\n", want: ":16: routes[0].upstream_credentials: a command route has no HTTP upstream"},
		{name: "bad env name", config: strings.Replace(goodConfig, "    upstream: http://127.0.0.1:3000/mcp\n", "    command: [npx, server]\n", 1) + "    stdio:\n      env: {\"A-B\": x}\n", want: ":16: routes[0].stdio.env: a name that is not a variable name"},
		{name: "bad pass_env name", config: strings.Replace(goodConfig, "    upstream: http://127.0.0.1:3000/mcp\n", "    command: [npx, server]\n", 1) + "    stdio:\n      pass_env: [PATH, \"1X\"]\n", want: ":16: routes[0].stdio.pass_env[1]: not a variable name"},
		{name: "per principal over total", config: strings.Replace(goodConfig, "    upstream: http://127.0.0.1:3000/mcp\n", "    command: [npx, server]\n", 1) + "    stdio: {max_processes: 2, max_per_principal: 3}\n", want: ":15: routes[0].stdio.max_per_principal: exceeds max_processes"},
		{name: "variable from two sources", config: strings.Replace(goodConfig, "    upstream: http://127.0.0.1:3000/mcp\n", "    command: [npx, server]\n", 1) + "    stdio:\n      env: {PATH: /bin}\n      pass_env: [PATH]\n", want: ":17: routes[0].stdio.pass_env[0]: \"PATH\" is also set under env"},
		{name: "per principal over the default total", config: strings.Replace(goodConfig, "    upstream: http://127.0.0.1:3000/mcp\n", "    command: [npx, server]\n", 1) + "    stdio: {max_per_principal: 40}\n", want: ":15: routes[0].stdio.max_per_principal: exceeds max_processes"},
		{name: "negative idle timeout", config: strings.Replace(goodConfig, "    upstream: http://127.0.0.1:3000/mcp\n", "    command: [npx, server]\n", 1) + "    stdio: {idle_timeout: -1s}\n", want: ":15: routes[0].stdio.idle_timeout: must not be negative"},
		{name: "unknown stdio field", config: strings.Replace(goodConfig, "    upstream: http://127.0.0.1:3000/mcp\n", "    command: [npx, server]\n", 1) + "    stdio: {environment: {A: b}}\n", want: ":15: environment: unknown field"},
		{name: "two kinds of credentials", config: goodConfig + "    upstream_credentials:\n      static: {token_env: GW_TEST_SECRET}\n      client_credentials: {token_url: https://as/token, client_id: gw, client_secret_env: GW_TEST_SECRET}\n", want: ":16: routes[0].upstream_credentials: set exactly one"},
		{name: "static token from an unset variable", config: goodConfig + "    upstream_credentials:\n      static: {token_env: GW_TEST_UNSET}\n", want: ":16: routes[0].upstream_credentials.static: the environment variable GW_TEST_UNSET is not set"},
		{name: "client secret missing", config: goodConfig + "    upstream_credentials:\n      token_exchange: {token_url: https://as.example/token, client_id: gw}\n", want: ":16: routes[0].upstream_credentials.token_exchange.client_secret_env: set exactly one of client_secret_env and client_secret_file"},
		{name: "token endpoint over plain http", config: goodConfig + "    upstream_credentials:\n      client_credentials: {token_url: http://as.example/token, client_id: gw, client_secret_env: GW_TEST_SECRET}\n", want: ":16: routes[0].upstream_credentials.client_credentials.token_url: must use https"},
		{name: "introspection without a secret", config: strings.Replace(goodConfig, "    issuer: https://sso.example.com\n", "    issuer: https://sso.example.com\n    introspection: {url: https://sso.example.com/introspect, client_id: gw}\n", 1), want: ":6: issuers.corp.introspection.client_secret_env: set exactly one of client_secret_env and client_secret_file"},
		{name: "two issuers of a route introspect", config: strings.Replace(strings.Replace(goodConfig, "    issuer: https://sso.example.com\n", "    issuer: https://sso.example.com\n    introspection: {url: https://sso.example.com/i, client_id: gw, client_secret_env: GW_TEST_SECRET}\n  partner:\n    issuer: https://partner.example\n    introspection: {url: https://partner.example/i, client_id: gw, client_secret_env: GW_TEST_SECRET}\n", 1), "issuers: [corp]", "issuers: [corp, partner]", 1), want: `:13: routes[0].issuers[1]: "corp" and "partner" both introspect`},
		{name: "store not redis", config: goodConfig + "store: postgres://db\n", want: ":15: store: not a Redis URL"},
		{name: "negative leeway", config: goodConfig + "leeway: -1m\n", want: ":15: leeway: negative"},
		{name: "TLS files missing", config: goodConfig + "tls:\n  cert_file: /nonexistent/cert.pem\n  key_file: /nonexistent/key.pem\n", want: ":16: tls.cert_file: open /nonexistent/cert.pem"},
		{name: "log level", config: goodConfig + "log: {level: loud}\n", want: ":15: log.level: want debug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "gateway.yaml")
			require.NoError(t, os.WriteFile(file, []byte(tt.config), 0o600))
			err := checkConfig(file, overrides{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), file+tt.want)
			assert.NotContains(t, err.Error(), "s3cret", "a secret in an error")
			assert.NotContains(t, err.Error(), "hunter2", "a value in the wrong place may be a secret: never quoted")
		})
	}
}

func TestConfigAccepted(t *testing.T) {
	t.Setenv("GW_TEST_SECRET", "s3cret")
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("upstream-token\n"), 0o600))
	for name, config := range map[string]string{
		"minimal":        goodConfig,
		"static in file": goodConfig + "    upstream_credentials:\n      static: {token_file: " + tokenFile + "}\n",
		"exchange":       goodConfig + "    upstream_credentials:\n      token_exchange: {token_url: https://as.example/token, client_id: gw, client_secret_env: GW_TEST_SECRET, audience: files}\n",
		"command":        strings.Replace(goodConfig, "    upstream: http://127.0.0.1:3000/mcp\n", "    command: [npx, -y, \"@modelcontextprotocol/server-everything\", stdio]\n    stdio:\n      pass_env: [PATH, HOME]\n      env: {LOG_LEVEL: info}\n      max_processes: 8\n      max_per_principal: 2\n      idle_timeout: 5m\n", 1),
		"JSON": `{"listen": "127.0.0.1:0", "issuers": {"corp": {"issuer": "https://sso.example.com"}},
		          "routes": [{"path": "/mcp", "upstream": "http://127.0.0.1:3000/mcp", "issuers": ["corp"]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, "gateway.yaml")
			require.NoError(t, os.WriteFile(file, []byte(config), 0o600))
			require.NoError(t, checkConfig(file, overrides{}))
		})
	}
}

func TestOverrides(t *testing.T) {
	c, err := ParseConfig("f.yaml", []byte(goodConfig), overrides{Listen: "127.0.0.1:9999", MetricsListen: "127.0.0.1:9464", LogLevel: "debug"})
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9999", c.Listen)
	assert.Equal(t, "127.0.0.1:9464", c.Metrics.Listen)
	assert.Equal(t, "debug", c.Log.Level)
	_, err = ParseConfig("f.yaml", []byte(goodConfig), overrides{LogLevel: "chatty"})
	assert.ErrorContains(t, err, "log.level")
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(goodConfig))
	f.Add([]byte(`{"routes": [{"path": 1}]}`))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig("f.yaml", b, overrides{})
		if err == nil && (len(c.Routes) == 0 || len(c.Issuers) == 0) {
			t.Fatal("a configuration without routes or issuers was accepted")
		}
	})
}

func TestRateLimitSurvivesReload(t *testing.T) {
	c, err := ParseConfig("f.yaml", []byte(goodConfig), overrides{})
	require.NoError(t, err)
	rt, err := newRuntime(c)
	require.NoError(t, err)
	defer rt.Close()
	before, err := rt.memoryLimiter("/mcp", 1.0/60)
	require.NoError(t, err)
	ok, _, err := before.Take(t.Context(), "alice", 1)
	require.NoError(t, err)
	require.True(t, ok)
	after, err := rt.memoryLimiter("/mcp", 1.0/60) // the reloaded route
	require.NoError(t, err)
	ok, _, err = after.Take(t.Context(), "alice", 1)
	require.NoError(t, err)
	assert.False(t, ok, "a reload gave alice a fresh budget")
	other, err := rt.memoryLimiter("/mcp", 1) // a new rate starts afresh
	require.NoError(t, err)
	assert.NotSame(t, before, other)
}

// Nothing the parser quotes of the file reaches an error: values, anchors,
// keys and tags may each be a secret, written in the wrong place or (an env
// value beginning with *) in the right one.
func TestConfigErrorsQuoteNothingOfTheFile(t *testing.T) {
	base := strings.Replace(goodConfig, "    upstream: http://127.0.0.1:3000/mcp\n", "    command: [npx, server]\n", 1)
	cases := map[string]string{
		"alias":                     base + "    stdio:\n      env:\n        API_KEY: *SECRETxyz\n",
		"backquote in a value":      base + "    stdio:\n      pass_env: SE`CRETxy\n",
		"backquote in a long value": base + "    stdio:\n      max_processes: a`SECRETxyzlong\n",
		"custom tag":                base + "    stdio:\n      max_processes: !SECRETxyz\n",
		"custom tag on a string":    base + "    stdio:\n      env:\n        API_KEY: !SECRETxyz\n",
		"no space after the colon":  base + "    stdio:\n      env:\n        API_KEY:SECRETxyz\n        B: c\n",
		"flow without space":        base + "    stdio:\n      env: {API_KEY:SECRETxyz}\n",
		"anchor twice":              base + "    stdio:\n      env:\n        A: &SECRETxyz v\n        B: &SECRETxyz w\n",
		"key twice":                 base + "    stdio:\n      env:\n        API_KEY: a\n        API_KEY: SECRETxyz\n",
		"binary":                    base + "    stdio:\n      env:\n        API_KEY: !!binary SECRETxyz%%\n",
		"list for a duration":       base + "    stdio:\n      idle_timeout: [SECRETxyz]\n",
		"list as a key":             base + "    stdio:\n      env:\n        ? [SECRETxyz]\n        : v\n",
		"int tag":                   base + "    stdio:\n      max_processes: !!int SECRETxyz\n",
		"float tag":                 base + "    stdio:\n      max_processes: !!float SECRETxyz\n",
		"timestamp tag":             base + "    stdio:\n      max_processes: !!timestamp SECRETxyz\n",
		"merge":                     base + "    stdio:\n      env:\n        <<: SECRETxyz\n",
		"duration":                  base + "    stdio:\n      idle_timeout: SECRETxyz\n",
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfig("f.yaml", []byte(cfg), overrides{})
			if err == nil {
				return // accepted: nothing to show
			}
			assert.NotContains(t, err.Error(), "SECRET")
			assert.NotContains(t, err.Error(), "CRETxy")
			assert.Contains(t, err.Error(), "f.yaml:", "the file and line say where to look")
		})
	}
}
