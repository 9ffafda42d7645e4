package mcpauthtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcphandler/gosdk"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/middleware/jwtverify"
)

// fixture is a server protected by mcpauth, at a URL fixed before it is
// built (its metadata names it), and tokens for it.
type fixture struct {
	srv      *httptest.Server
	endpoint string
	key      *ecdsa.PrivateKey
	issuer   string

	mu      sync.Mutex
	handler http.Handler // swapped by the broken variants
}

func (f *fixture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	h := f.handler
	f.mu.Unlock()
	h.ServeHTTP(w, r)
}

// set replaces the fixture's handler.
func (f *fixture) set(h http.Handler) {
	f.mu.Lock()
	f.handler = h
	f.mu.Unlock()
}

func (f *fixture) mint(t *testing.T, sub, aud string, scopes string, exp time.Duration) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": f.issuer, "aud": aud, "sub": sub, "scope": scopes,
		"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(exp).Unix(),
	}).SignedString(f.key)
	require.NoError(t, err)
	return tok
}

func newMCPServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "fixture", Version: "1"}, nil)
	type in struct {
		Text string `json:"text"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, a in) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: a.Text}}}, nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "admin_stats"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "secret stats"}}}, nil, nil
	})
	return s
}

// newFixture serves the go-sdk behind mcpauth: JWTs of one key, RFC 9728
// metadata, the guard with a tool policy.
func newFixture(t *testing.T, stateless bool) *fixture {
	t.Helper()
	f := &fixture{}
	// Started once built: handlers read what is set below.
	f.srv = httptest.NewUnstartedServer(f)
	f.endpoint = "http://" + f.srv.Listener.Addr().String() + "/mcp"
	f.issuer = "https://idp.example"
	var err error
	f.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	v, err := jwtverify.New(&jwtverify.Options{
		Issuers: []string{f.issuer}, Audiences: []string{f.endpoint}, Algorithms: []string{"ES256"},
		Keys: []jwtverify.Key{{PublicKey: &f.key.PublicKey}},
	})
	require.NoError(t, err)
	auth, err := middleware.New(v, &middleware.Options{Resource: f.endpoint, AuthorizationServers: []string{f.issuer}, Scopes: []string{"mcp:read"}})
	require.NoError(t, err)
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return newMCPServer() },
		&mcp.StreamableHTTPOptions{Stateless: stateless, Logger: slog.New(slog.DiscardHandler)})
	guard, err := mcphandler.New(gosdk.Handler(sdk), &mcphandler.Options{
		Challenge: auth.Challenge(),
		Policy:    &mcphandler.Policy{Tools: map[string][]string{"echo": nil, "admin_stats": {"mcp:admin"}}},
	})
	require.NoError(t, err)
	meta, err := auth.MetadataHandler()
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/.well-known/oauth-protected-resource/mcp", meta)
	mux.Handle("/mcp", auth.Handler(guard))
	f.handler = mux
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

// target is the full Target of f.
func (f *fixture) target(t *testing.T) Target {
	return Target{
		URL:                 f.endpoint,
		Token:               f.mint(t, "alice", f.endpoint, "mcp:read mcp:admin", time.Hour),
		Tool:                "echo",
		Arguments:           map[string]any{"text": "hello"},
		OtherUserToken:      f.mint(t, "bob", f.endpoint, "mcp:read mcp:admin", time.Hour),
		ReaderToken:         f.mint(t, "carol", f.endpoint, "mcp:read", time.Hour),
		ReaderForbiddenTool: "admin_stats",
		OtherAudienceToken:  f.mint(t, "alice", "https://other.example/mcp", "mcp:read mcp:admin", time.Hour),
		ExpiredToken:        f.mint(t, "alice", f.endpoint, "mcp:read mcp:admin", -time.Hour),
	}
}
