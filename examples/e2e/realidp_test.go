package e2e

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// realIdP is examples/server pointed at a real authorization server
// (oidc-provider, ts/idp.mjs) by its issuer URL alone: keys by discovery,
// tokens by the real authorization code flow.
type realIdP struct {
	p   *idp
	srv started
	a   *attacker
}

func startRealIdP(t *testing.T, opts idpOptions, args ...string) *realIdP {
	t.Helper()
	p := startIdP(t, opts)
	srv := startExample(t, binary(t, "server"), false, append([]string{"-issuer", p.Issuer}, args...)...)
	return &realIdP{p: p, srv: srv, a: newAttacker(t, srv)}
}

const callAdminStats = `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"admin_stats","arguments":{}}}`

// initialize opens a session with token; it returns the status, the
// challenge and the body.
func (r *realIdP) initialize(token string) (int, string, string) {
	status, hdr, body := r.a.do(http.MethodPost, token, nil, attackInit)
	return status, hdr.Get("WWW-Authenticate"), body
}

// TestRealIdentityProvider runs the MCP authorization flow against a real
// authorization server: the official TypeScript client discovers it from
// the 401, registers, runs code + PKCE + resource and calls a tool; the
// first challenge asks only for the reader's scope and the admin tool's
// 403 for the admin's; a token for another resource, and one from a
// clock 10 s ahead, are refused, while 2 s of skew is tolerated; a key
// the provider rotates to is accepted once the refetch is allowed, with
// 503 and Retry-After before, never 401; an expired token is refreshed.
// Opaque tokens are introspected at the endpoint the issuer's metadata
// names: accepted while active, 503 with Retry-After while the endpoint is
// down, refused once revoked and out of the one-minute cache.
func TestRealIdentityProvider(t *testing.T) {
	r := startRealIdP(t, idpOptions{TTL: 2 * time.Second}, "-leeway", "3s",
		"-introspection-client-id", idpIntrospectionID, "-introspection-client-secret", idpIntrospectionSecret)
	startedAt := time.Now()
	node := needNode(t)

	t.Run("TypeScript client flow with refresh", func(t *testing.T) {
		out := runNode(t, node, map[string]string{"MCP_URL": r.srv.endpoint, "TOOL": "whoami", "TOOL_ARGS": "{}", "REFRESH_AFTER": "6"}, "idp-flow.mjs")
		lines := map[string][]string{}
		for l := range strings.Lines(out) {
			if k, v, ok := strings.Cut(strings.TrimSpace(l), " "); ok {
				lines[k] = append(lines[k], v)
			}
		}
		r.p.SetTokens(t, "jwt", 5*time.Minute) // for the tests below
		require.Len(t, lines["RESULT"], 2, out)
		require.Len(t, lines["REFRESHED_ACCESS_TOKEN"], 1, "the expired token was refreshed: %s", out)
		for _, res := range lines["RESULT"] {
			var got struct {
				StructuredContent struct {
					Subject string   `json:"subject"`
					Issuer  string   `json:"issuer"`
					Scopes  []string `json:"scopes"`
				} `json:"structuredContent"`
				IsError bool `json:"isError"`
			}
			require.NoError(t, json.Unmarshal([]byte(res), &got), res)
			assert.False(t, got.IsError, res)
			assert.Equal(t, "alice", got.StructuredContent.Subject)
			assert.Equal(t, r.p.Issuer, got.StructuredContent.Issuer)
			assert.Equal(t, []string{"mcp:read"}, got.StructuredContent.Scopes, "the client asked for what the challenge named")
		}
	})

	t.Run("least-privilege challenge and step-up", func(t *testing.T) {
		status, challenge, _ := r.initialize("")
		require.Equal(t, http.StatusUnauthorized, status)
		assert.Contains(t, challenge, `scope="mcp:read"`)
		assert.NotContains(t, challenge, "mcp:admin", "connecting asks for no admin scope")

		reader := r.p.Token(t, r.srv.endpoint, "mcp:read")
		sid, version := r.a.session(reader)
		hdr := http.Header{"Mcp-Session-Id": {sid}, "Mcp-Protocol-Version": {version}}
		status, h, body := r.a.do(http.MethodPost, reader, hdr, callAdminStats)
		require.Equal(t, http.StatusForbidden, status, body)
		assert.Contains(t, h.Get("WWW-Authenticate"), `error="insufficient_scope"`)
		assert.Contains(t, h.Get("WWW-Authenticate"), "mcp:admin")

		r.p.SetGrant(t, "", "mcp:read", "mcp:admin")
		defer r.p.SetGrant(t, "", "mcp:read")
		admin := r.p.Token(t, r.srv.endpoint, "mcp:read", "mcp:admin")
		sid, version = r.a.session(admin)
		status, _, body = r.a.do(http.MethodPost, admin, http.Header{"Mcp-Session-Id": {sid}, "Mcp-Protocol-Version": {version}}, callAdminStats)
		assert.Equal(t, http.StatusOK, status, body)
	})

	t.Run("token for another resource", func(t *testing.T) {
		other := r.p.Token(t, "http://127.0.0.1:1/other/mcp", "mcp:read")
		status, challenge, _ := r.initialize(other)
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Contains(t, challenge, `error="invalid_token"`)
	})

	t.Run("clock skew", func(t *testing.T) {
		defer r.p.SetSkew(t, 0)
		r.p.SetSkew(t, 2*time.Second)
		status, _, body := r.initialize(r.p.Token(t, r.srv.endpoint, "mcp:read"))
		assert.Equal(t, http.StatusOK, status, "2 s ahead is tolerated: %s", body)
		r.p.SetSkew(t, 10*time.Second)
		status, challenge, _ := r.initialize(r.p.Token(t, r.srv.endpoint, "mcp:read"))
		assert.Equal(t, http.StatusUnauthorized, status, "10 s ahead is beyond -leeway 3s")
		assert.Contains(t, challenge, "issued in the future")
	})

	var revoked string
	var revokedAt time.Time
	t.Run("opaque tokens by introspection", func(t *testing.T) {
		r.p.SetTokens(t, "opaque", 5*time.Minute)
		defer r.p.SetTokens(t, "jwt", 5*time.Minute)
		tok := r.p.Token(t, r.srv.endpoint, "mcp:read")
		require.NotContains(t, tok, ".", "an opaque token")
		status, _, body := r.initialize(tok)
		require.Equal(t, http.StatusOK, status, body)

		other := r.p.Token(t, "http://127.0.0.1:1/other/mcp", "mcp:read")
		status, challenge, _ := r.initialize(other)
		assert.Equal(t, http.StatusUnauthorized, status, "an opaque token for another resource")
		assert.Contains(t, challenge, `error="invalid_token"`)

		r.p.SetIntrospection(t, "down", 0)
		fresh := r.p.Token(t, r.srv.endpoint, "mcp:read")
		status, hdr, body := r.a.do(http.MethodPost, fresh, nil, attackInit)
		assert.Equal(t, http.StatusServiceUnavailable, status, "introspection down: %s", body)
		assert.NotEmpty(t, hdr.Get("Retry-After"))
		r.p.SetIntrospection(t, "500", 0)
		status, _, _ = r.initialize(fresh)
		assert.Equal(t, http.StatusServiceUnavailable, status, "introspection failing")
		r.p.SetIntrospection(t, "ok", 0)
		status, _, body = r.initialize(fresh)
		assert.Equal(t, http.StatusOK, status, "recovered: %s", body)

		r.p.Revoke(t, tok)
		revoked, revokedAt = tok, time.Now()
	})

	t.Run("key rotation", func(t *testing.T) {
		kid := r.p.Rotate(t, "RS256", false)
		tok := r.p.Token(t, r.srv.endpoint, "mcp:read")
		deadline := startedAt.Add(90 * time.Second)
		for {
			status, hdr, body := r.a.do(http.MethodPost, tok, nil, attackInit)
			if status == http.StatusOK {
				break
			}
			require.Equal(t, http.StatusServiceUnavailable, status, "a key newer than the last fetch is never a 401: %s", body)
			wait, err := strconv.Atoi(hdr.Get("Retry-After"))
			require.NoError(t, err, "503 with Retry-After")
			require.True(t, wait >= 1 && wait <= 60, "Retry-After %d", wait)
			require.True(t, time.Now().Before(deadline), "the rotated key %s was not picked up", kid)
			time.Sleep(time.Duration(wait) * time.Second)
		}
		assert.Equal(t, []string{kid}, []string{r.p.State(t).SigningKID})
	})

	t.Run("revoked opaque token, after the cache", func(t *testing.T) {
		require.NotEmpty(t, revoked)
		time.Sleep(time.Until(revokedAt.Add(61 * time.Second)))
		status, challenge, body := r.initialize(revoked)
		assert.Equal(t, http.StatusUnauthorized, status, "revoked: %s", body)
		assert.Contains(t, challenge, `error="invalid_token"`)
	})
}
