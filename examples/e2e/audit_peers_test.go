package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/mcpauthtest"
)

// goSDKBearer is the go-sdk protected the way its documentation shows:
// auth.RequireBearerToken with a JWT verifier (signature, issuer, audience,
// expiry), ProtectedResourceMetadataHandler at the well-known path, and
// admin_stats checking the caller's scopes itself (the SDK has no
// per-tool policy).
func goSDKBearer(t *testing.T, iss *fakeIssuer) string {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	endpoint := "http://" + ts.Listener.Addr().String() + "/mcp"
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(iss.URL), jwt.WithAudience(endpoint), jwt.WithExpirationRequired())
	verify := func(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
		claims := jwt.MapClaims{}
		if _, err := parser.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return &iss.key.PublicKey, nil }); err != nil {
			return nil, fmt.Errorf("%w: %v", auth.ErrInvalidToken, err)
		}
		exp, _ := claims.GetExpirationTime()
		sub, _ := claims.GetSubject()
		scope, _ := claims["scope"].(string)
		return &auth.TokenInfo{UserID: sub, Scopes: strings.Fields(scope), Expiration: exp.Time}, nil
	}
	server := mcp.NewServer(&mcp.Implementation{Name: "go-sdk-bearer", Version: "1"}, nil)
	type text struct {
		Text string `json:"text,omitempty"`
	}
	mcp.AddTool(server, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in text) (*mcp.CallToolResult, text, error) {
		return nil, in, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: "admin_stats"}, func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, map[string]string, error) {
		if info := req.Extra.TokenInfo; info == nil || !slices.Contains(info.Scopes, "mcp:admin") {
			return nil, nil, errors.New("insufficient scope: mcp:admin")
		}
		return nil, map[string]string{"stats": "ADMIN STATS"}, nil
	})
	metadataURL := "http://" + ts.Listener.Addr().String() + "/.well-known/oauth-protected-resource/mcp"
	mux := http.NewServeMux()
	mux.Handle("/.well-known/oauth-protected-resource/mcp", auth.ProtectedResourceMetadataHandler(&oauthex.ProtectedResourceMetadata{
		Resource: endpoint, AuthorizationServers: []string{iss.URL}, ScopesSupported: []string{"mcp:read", "mcp:admin"},
	}))
	mux.Handle("/mcp", auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{ResourceMetadataURL: metadataURL, Scopes: []string{"mcp:read"}})(
		mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, &mcp.StreamableHTTPOptions{Logger: slog.New(slog.DiscardHandler)})))
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	return endpoint
}

// tsBearer runs ts/bearer-server.mjs, the official TypeScript SDK with
// requireBearerAuth, and returns its endpoint.
func tsBearer(t *testing.T, iss *fakeIssuer) string {
	t.Helper()
	_, port, _ := net.SplitHostPort(freeLoopbackAddr(t))
	return startNodeServer(t, "bearer-server.mjs", []string{"PORT=" + port, "ISSUER=" + iss.URL, "JWKS=" + iss.URL + "/jwks"}, nil)
}

// peerVerdicts are what the audit kit reports on each peer, as recorded in
// docs/CONFORMANCE.md; a check not listed passes.
var peerVerdicts = map[string]map[string]mcpauthtest.Verdict{
	"go-sdk auth.RequireBearerToken": {
		// 401 without error="invalid_token" in the challenge.
		"bad-token/invalid": mcpauthtest.Fail, "bad-token/forged": mcpauthtest.Fail, "bad-token/expired": mcpauthtest.Fail,
		"bad-token/other-audience": mcpauthtest.Fail, "bad-token/signed-by-an-unknown-key": mcpauthtest.Fail,
		"bad-token/throw": mcpauthtest.Fail, "bad-token/null": mcpauthtest.Fail,
		"token/two-authorization-headers":     mcpauthtest.Fail, // the first is used
		"scope/insufficient":                  mcpauthtest.Fail, // a tool's own check: 200 with an error result
		"errors/json-rpc":                     mcpauthtest.Fail, // plain text
		"origin/foreign":                      mcpauthtest.Fail, // not checked
		"revision/2026-07-28-header-mismatch": mcpauthtest.Skip, // stateful: 2025-11-25 only
	},
	"TypeScript SDK requireBearerAuth": {
		"session/other-user":                  mcpauthtest.Fail, // another user drives and ends the owner's session
		"token/two-authorization-headers":     mcpauthtest.Fail, // Node joins them; the first is used
		"scope/insufficient":                  mcpauthtest.Fail, // a tool's own check: 200 with an error result
		"errors/json-rpc":                     mcpauthtest.Fail, // an OAuth error object, no id
		"errors/no-internals":                 mcpauthtest.Fail, // Express's default error page: a stack with node_modules paths
		"origin/foreign":                      mcpauthtest.Fail, // not checked
		"revision/2026-07-28-header-mismatch": mcpauthtest.Skip, // 2025-11-25 only
	},
}

// The audit kit against the two official SDKs' own bearer-token
// protection, over HTTP: what each gets wrong is recorded in
// docs/CONFORMANCE.md, and this test keeps that page true.
func TestAuditKitAgainstPeers(t *testing.T) {
	iss := newFakeIssuer(t)
	peers := []struct {
		name  string
		start func(*testing.T, *fakeIssuer) string
	}{
		{"go-sdk auth.RequireBearerToken", goSDKBearer},
		{"TypeScript SDK requireBearerAuth", tsBearer},
	}
	var table strings.Builder
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			endpoint := p.start(t, iss)
			results, err := mcpauthtest.Check(t.Context(), auditTarget(t, iss, endpoint))
			require.NoError(t, err)
			fmt.Fprintf(&table, "\n%s\n", p.name)
			for _, r := range results {
				fmt.Fprintf(&table, "| %s | %s | %s |\n", r.Name, r.Verdict, r.Got)
				want, ok := peerVerdicts[p.name][r.Name]
				if !ok {
					want = mcpauthtest.Pass
				}
				assert.Equal(t, want, r.Verdict, "%s: %s (docs/CONFORMANCE.md records %s)", r.Name, r.Got, want)
			}
		})
	}
	t.Log(table.String())
}
