package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/mcpauthtest"
)

// mintExpiring is fakeIssuer.mint with the expiry given.
func (f *fakeIssuer) mintExpiring(t *testing.T, audience, subject, scope string, exp time.Time) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": f.URL, "aud": audience, "sub": subject, "scope": scope, "client_id": "e2e",
		"iat": exp.Add(-time.Hour).Unix(), "exp": exp.Unix(),
	})
	tok.Header["kid"] = f.kid
	tok.Header["typ"] = "at+jwt"
	s, err := tok.SignedString(f.key)
	require.NoError(t, err)
	return secret(s)
}

// auditTarget is the kit's full target for the endpoint at addr, whose
// tokens iss signs.
func auditTarget(t *testing.T, iss *fakeIssuer, endpoint string) mcpauthtest.Target {
	t.Helper()
	stranger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return mcpauthtest.Target{
		URL:                 endpoint,
		Token:               iss.mint(t, nil, endpoint, "alice", "mcp:read mcp:admin"),
		Tool:                "echo",
		Arguments:           map[string]any{"text": "audit"},
		OtherUserToken:      iss.mint(t, nil, endpoint, "bob", "mcp:read mcp:admin"),
		ReaderToken:         iss.mint(t, nil, endpoint, "carol", "mcp:read"),
		ReaderForbiddenTool: "admin_stats",
		OtherAudienceToken:  iss.mint(t, nil, "https://other.example/mcp", "alice", "mcp:read mcp:admin"),
		ExpiredToken:        iss.mintExpiring(t, endpoint, "alice", "mcp:read mcp:admin", time.Now().Add(-time.Hour)),
		BadTokens: []mcpauthtest.LabelledToken{
			{Label: "signed by an unknown key", Token: iss.mint(t, stranger, endpoint, "alice", "mcp:read mcp:admin")},
			{Label: "throw", Token: "throw"},
			{Label: "null", Token: "null"},
		},
	}
}

// The project's products pass its own public audit kit as processes:
// examples/server, examples/gateway and the gateway binary in front of the
// go-sdk, each trusting an identity provider by its issuer URL.
func TestAuditKitAgainstTheProducts(t *testing.T) {
	iss := newFakeIssuer(t)
	up := goSDKCounted(t)
	t.Run("examples/server", func(t *testing.T) {
		addr := freeLoopbackAddr(t)
		endpoint := "http://" + addr + "/mcp"
		startExample(t, binary(t, "server"), false, "-addr", addr, "-issuer", iss.URL, "-audience", endpoint)
		mcpauthtest.Run(t, auditTarget(t, iss, endpoint))
	})
	t.Run("examples/gateway", func(t *testing.T) {
		addr := freeLoopbackAddr(t)
		endpoint := "http://" + addr + "/mcp"
		startExample(t, binary(t, "gateway"), false, "-addr", addr, "-upstream", up.url, "-issuer", iss.URL,
			"-audience", endpoint, "-policy", attackPolicy())
		mcpauthtest.Run(t, auditTarget(t, iss, endpoint))
	})
	t.Run("cmd/mcpauth-gateway", func(t *testing.T) {
		addr := freeLoopbackAddr(t)
		endpoint := "http://" + addr + "/mcp"
		startGatewayBinary(t, fmt.Sprintf(`listen: %s
public_url: http://%s
issuers:
  test: {issuer: %s}
routes:
  - path: /mcp
    upstream: %s
    issuers: [test]
    scopes: [mcp:read]
    policy:
      allow_undeclared_tools: true
      tools: {admin_stats: [mcp:admin]}
`, addr, addr, iss.URL, up.url))
		mcpauthtest.Run(t, auditTarget(t, iss, endpoint))
	})
}
