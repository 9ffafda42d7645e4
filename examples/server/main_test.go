package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/examples/internal/demo"
)

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

func post(t *testing.T, url, token, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// serve starts the example's handler on a loopback port with cfg.
func serve(t *testing.T, cfg *demo.Config) (*httptest.Server, *demo.Stack) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	stack, err := demo.NewStack(cfg, base)
	require.NoError(t, err)
	t.Cleanup(stack.Close)
	h, err := newHandler(stack, cfg.Stateless)
	require.NoError(t, err)
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, stack
}

func TestDemoMode(t *testing.T) {
	ts, stack := serve(t, &demo.Config{})
	toks, err := stack.DemoTokens()
	require.NoError(t, err)

	resp, body := post(t, ts.URL+"/mcp", "", initialize)
	assert.Equal(t, 401, resp.StatusCode)
	assert.Equal(t, `Bearer scope="mcp:read", resource_metadata="`+ts.URL+`/.well-known/oauth-protected-resource/mcp"`,
		resp.Header.Get("WWW-Authenticate"))
	assert.Contains(t, body, `"id":1`)

	resp, _ = post(t, ts.URL+"/mcp", toks.Reader, initialize)
	assert.Equal(t, 200, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Mcp-Session-Id"))

	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource", demo.JWKSPath} {
		r, err := http.Get(ts.URL + path)
		require.NoError(t, err)
		r.Body.Close()
		assert.Equal(t, 200, r.StatusCode, path)
	}
}

func TestStatelessMode(t *testing.T) {
	ts, stack := serve(t, &demo.Config{Stateless: true})
	toks, err := stack.DemoTokens()
	require.NoError(t, err)
	resp, _ := post(t, ts.URL+"/mcp", toks.Admin, initialize)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Mcp-Session-Id"))
	resp, body := post(t, ts.URL+"/mcp", toks.Admin, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin_stats","arguments":{}}}`)
	assert.Equal(t, 200, resp.StatusCode, body)
	assert.Contains(t, body, "goroutines")
}

// TestIdentityProviderMode points the example at another service's JWKS,
// as -jwks-url, -issuer and -audience do: it generates no key and accepts
// only that issuer's tokens for that audience.
func TestIdentityProviderMode(t *testing.T) {
	idpKey, err := demo.NewKey()
	require.NoError(t, err)
	jwks, err := idpKey.JWKS()
	require.NoError(t, err)
	idp := httptest.NewServer(jwks)
	t.Cleanup(idp.Close)
	const aud = "https://mcp.example.com/mcp"
	ts, stack := serve(t, &demo.Config{JWKSURL: idp.URL, Issuers: []string{idp.URL}, Audience: aud})
	assert.Nil(t, stack.Key, "no demo key with a real identity provider")
	_, err = stack.DemoTokens()
	assert.Error(t, err)
	r, err := http.Get(ts.URL + demo.JWKSPath)
	require.NoError(t, err)
	r.Body.Close()
	assert.Equal(t, 404, r.StatusCode, "no JWKS of its own")

	good, err := idpKey.Mint(idp.URL, aud, "carol", []string{demo.ScopeRead}, time.Hour)
	require.NoError(t, err)
	resp, body := post(t, ts.URL+"/mcp", good, initialize)
	assert.Equal(t, 200, resp.StatusCode, body)

	otherAud, _ := idpKey.Mint(idp.URL, ts.URL+"/mcp", "carol", []string{demo.ScopeRead}, time.Hour)
	otherIss, _ := idpKey.Mint("https://evil.example", aud, "carol", []string{demo.ScopeRead}, time.Hour)
	stranger, err := demo.NewKey()
	require.NoError(t, err)
	forged, _ := stranger.Mint(idp.URL, aud, "carol", []string{demo.ScopeRead}, time.Hour)
	for name, tok := range map[string]string{"other audience": otherAud, "other issuer": otherIss, "other key": forged} {
		resp, _ := post(t, ts.URL+"/mcp", tok, initialize)
		assert.Equal(t, 401, resp.StatusCode, name)
	}

	_, err = demo.NewStack(&demo.Config{JWKSURL: idp.URL}, ts.URL)
	assert.Error(t, err, "-jwks-url needs -issuer")
}

// TestDiscoveryMode: -issuer alone, for each of two identity providers,
// trusts the keys their metadata names, generates no key, and accepts
// each one's tokens; a token of an issuer not configured is refused.
func TestDiscoveryMode(t *testing.T) {
	const aud = "https://mcp.example.com/mcp"
	type provider struct {
		key *demo.Key
		srv *httptest.Server
	}
	newProvider := func() provider {
		k, err := demo.NewKey()
		require.NoError(t, err)
		jwks, err := k.JWKS()
		require.NoError(t, err)
		mux := http.NewServeMux()
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		mux.Handle("/keys", jwks)
		mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, srv.URL, srv.URL+"/keys")
		})
		return provider{k, srv}
	}
	a, b, c := newProvider(), newProvider(), newProvider()
	ts, stack := serve(t, &demo.Config{Issuers: []string{a.srv.URL, b.srv.URL}, Audience: aud, Leeway: time.Minute})
	assert.Nil(t, stack.Key, "no demo key for a foreign issuer")
	for _, p := range []provider{a, b} {
		tok, err := p.key.Mint(p.srv.URL, aud, "carol", []string{demo.ScopeRead}, time.Hour)
		require.NoError(t, err)
		resp, body := post(t, ts.URL+"/mcp", tok, initialize)
		assert.Equal(t, 200, resp.StatusCode, body)
	}
	swapped, _ := a.key.Mint(b.srv.URL, aud, "carol", []string{demo.ScopeRead}, time.Hour)
	stranger, _ := c.key.Mint(c.srv.URL, aud, "carol", []string{demo.ScopeRead}, time.Hour)
	for name, tok := range map[string]string{"one issuer's key for another": swapped, "unconfigured issuer": stranger} {
		resp, _ := post(t, ts.URL+"/mcp", tok, initialize)
		assert.Equal(t, 401, resp.StatusCode, name)
	}
}
