package gosdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcphandler/gosdk"
	"github.com/mcpauth/mcpauth/middleware"
)

// Tokens of the test identity provider. alice-2 is a refreshed token for
// alice.
var principals = map[string]*authresult.Principal{
	"alice-1": {Subject: "alice", Issuer: "https://idp", Scopes: []string{"mcp"}},
	"alice-2": {Subject: "alice", Issuer: "https://idp", Scopes: []string{"mcp"}},
	"bob-1":   {Subject: "bob", Issuer: "https://idp", Scopes: []string{"mcp", "admin"}},
}

type whoamiOut struct {
	Subject string   `json:"subject"`
	Scopes  []string `json:"scopes"`
	UserID  string   `json:"userId"`
}

func newServer(t *testing.T, stateless bool) *httptest.Server {
	t.Helper()
	server := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "v1"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "whoami"}, func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, whoamiOut, error) {
		p, ok := gosdk.Principal(req.Extra)
		if !ok {
			return nil, whoamiOut{}, errors.New("no principal")
		}
		return nil, whoamiOut{Subject: p.Subject, Scopes: p.Scopes, UserID: req.Extra.TokenInfo.UserID}, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: "admin_reset"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
		return nil, struct{}{}, nil
	})
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: stateless})

	auth, err := middleware.New(middleware.TokenVerifierFunc(func(_ context.Context, tok string) (*authresult.Principal, error) {
		if p, ok := principals[tok]; ok {
			cp := *p
			return &cp, nil
		}
		return nil, authresult.InvalidToken("unknown token", nil)
	}), &middleware.Options{Resource: "http://127.0.0.1/mcp", AuthorizationServers: []string{"http://127.0.0.1"}})
	require.NoError(t, err)
	guard, err := mcphandler.New(gosdk.Handler(sdk), &mcphandler.Options{
		Challenge: auth.Challenge(),
		Route:     "/mcp",
		Policy: &mcphandler.Policy{
			Methods: map[string][]string{"tools/call": {"mcp"}},
			Tools:   map[string][]string{"whoami": nil, "admin_reset": {"admin"}},
		},
	})
	require.NoError(t, err)
	ts := httptest.NewServer(auth.Handler(guard))
	t.Cleanup(ts.Close)
	return ts
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if b.token != "" {
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func connect(t *testing.T, url, token string) (*mcp.ClientSession, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "v1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint: url, HTTPClient: &http.Client{Transport: bearer{token}, Timeout: 10 * time.Second}, MaxRetries: -1,
	}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err == nil {
		t.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

func whoami(t *testing.T, cs *mcp.ClientSession) whoamiOut {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "whoami"})
	require.NoError(t, err)
	require.False(t, res.IsError, "%+v", res.Content)
	var out whoamiOut
	b, _ := json.Marshal(res.StructuredContent)
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), &mcp.ListToolsParams{})
	require.NoError(t, err)
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return names
}

// raw sends one HTTP request as a hand-written client would.
func raw(t *testing.T, method, url, token, sid, body string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

const callWhoami = `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`

func TestStatefulGoSDK(t *testing.T) {
	ts := newServer(t, false)

	cs, err := connect(t, ts.URL, "alice-1")
	require.NoError(t, err)
	sid := cs.ID()
	require.NotEmpty(t, sid)
	me := whoami(t, cs)
	assert.Equal(t, "alice", me.Subject)
	assert.Equal(t, principals["alice-1"].BindingKey().String(), me.UserID)
	assert.Equal(t, []string{"whoami"}, toolNames(t, cs), "admin_reset is hidden from alice")

	// Per-tool 403 with the step-up challenge.
	resp := raw(t, http.MethodPost, ts.URL, "alice-1", sid, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin_reset","arguments":{}}}`)
	assert.Equal(t, 403, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `scope="admin mcp"`)

	// Other users' and missing credentials on alice's session.
	for _, tc := range []struct {
		name, method, token, body string
		status                    int
	}{
		{"POST no token", http.MethodPost, "", callWhoami, 401},
		{"POST bad token", http.MethodPost, "forged", callWhoami, 401},
		{"POST bob", http.MethodPost, "bob-1", callWhoami, 404},
		{"GET no token", http.MethodGet, "", "", 401},
		{"GET bob", http.MethodGet, "bob-1", "", 404},
		{"DELETE no token", http.MethodDelete, "", "", 401},
		{"DELETE bob", http.MethodDelete, "bob-1", "", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := raw(t, tc.method, ts.URL, tc.token, sid, tc.body)
			assert.Equal(t, tc.status, resp.StatusCode)
		})
	}

	// A refreshed token keeps the session.
	resp = raw(t, http.MethodPost, ts.URL, "alice-2", sid, callWhoami)
	assert.Equal(t, 200, resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(body), `"subject":"alice"`)

	// Unknown session ids are 404.
	resp = raw(t, http.MethodPost, ts.URL, "alice-1", "not-a-session", callWhoami)
	assert.Equal(t, 404, resp.StatusCode)

	// DELETE by the owner, then reuse: 404.
	resp = raw(t, http.MethodDelete, ts.URL, "alice-1", sid, "")
	assert.Equal(t, 204, resp.StatusCode)
	resp = raw(t, http.MethodPost, ts.URL, "alice-1", sid, callWhoami)
	assert.Equal(t, 404, resp.StatusCode)

	// bob connects and sees both tools.
	bobCS, err := connect(t, ts.URL, "bob-1")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"whoami", "admin_reset"}, toolNames(t, bobCS))
	assert.Equal(t, "bob", whoami(t, bobCS).Subject)
}

func TestGoSDKRefusesWithoutCredentials(t *testing.T) {
	ts := newServer(t, false)
	for _, token := range []string{"", "forged"} {
		_, err := connect(t, ts.URL, token)
		require.Error(t, err, "token %q", token)
	}
	resp := raw(t, http.MethodPost, ts.URL, "", "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`)
	assert.Equal(t, 401, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Mcp-Session-Id"))
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "resource_metadata=")
}

func TestStatelessGoSDK(t *testing.T) {
	ts := newServer(t, true)
	cs, err := connect(t, ts.URL, "bob-1")
	require.NoError(t, err)
	assert.Empty(t, cs.ID(), "no sessions")
	assert.Equal(t, "bob", whoami(t, cs).Subject)
	assert.ElementsMatch(t, []string{"whoami", "admin_reset"}, toolNames(t, cs))

	resp := raw(t, http.MethodPost, ts.URL, "", "", callWhoami)
	assert.Equal(t, 401, resp.StatusCode)
	resp = raw(t, http.MethodPost, ts.URL, "alice-1", "", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin_reset","arguments":{}}}`)
	assert.Equal(t, 403, resp.StatusCode)
}

func TestPrincipalWithoutTokenInfo(t *testing.T) {
	_, ok := gosdk.Principal(nil)
	assert.False(t, ok)
	_, ok = gosdk.Principal(&mcp.RequestExtra{})
	assert.False(t, ok)
	ti := gosdk.TokenInfo(principals["alice-1"])
	p, ok := gosdk.Principal(&mcp.RequestExtra{TokenInfo: ti})
	assert.True(t, ok)
	assert.Equal(t, "alice", p.Subject)
}

// TestHandlerAloneFailsClosed mounts the adapter without any mcpauth layer
// in front: the SDK refuses every request.
func TestHandlerAloneFailsClosed(t *testing.T) {
	server := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "v1"}, nil)
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
	ts := httptest.NewServer(gosdk.Handler(sdk))
	defer ts.Close()
	resp := raw(t, http.MethodPost, ts.URL, "anything", "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`)
	assert.Equal(t, 401, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Mcp-Session-Id"))
}

// TestSessionsBoundedOnTheSDK: one user initializing over and over holds
// at most the guard's per-principal bound of sessions on the real SDK
// server, because the guard ends (DELETE) each session it evicts; without
// that, every initialize left a session the SDK never expires.
func TestSessionsBoundedOnTheSDK(t *testing.T) {
	server := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "v1"}, nil)
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
	guard, err := mcphandler.New(gosdk.Handler(sdk), &mcphandler.Options{
		Store: mcphandler.NewMemoryStore(&mcphandler.MemoryStoreOptions{MaxPerPrincipal: 4}),
	})
	require.NoError(t, err)
	alice := principals["alice-1"]
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		guard.ServeHTTP(w, r.WithContext(authresult.NewContext(r.Context(), alice)))
	}))
	t.Cleanup(ts.Close)
	count := func() int {
		n := 0
		for range server.Sessions() {
			n++
		}
		return n
	}
	for i := range 300 {
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/mcp", strings.NewReader(
			`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, "initialize %d", i)
	}
	assert.Eventually(t, func() bool { return count() <= 4 }, 10*time.Second, 10*time.Millisecond,
		"the SDK holds at most the bound of sessions, not 300")
	t.Logf("sessions on the SDK after 300 initializes: %d", count())
}
