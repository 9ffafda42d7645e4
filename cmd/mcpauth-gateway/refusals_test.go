package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRefusalsThroughTheBinary is the original bug report's table replayed
// against the binary in front of an upstream that serves anyone: every
// bad credential is refused with its status and the request id, issues no
// session, and reaches nothing upstream; a valid token works; a session id
// alone, or another user's, is refused.
func TestRefusalsThroughTheBinary(t *testing.T) {
	iss, up := newIssuer(t), newUpstream(t)
	addr := freeAddr(t)
	base := "http://" + addr
	audience := base + "/mcp"
	startGateway(t, fmt.Sprintf("listen: %s\nissuers:\n  test: {issuer: %s}\nroutes:\n  - path: /mcp\n    upstream: %s\n    issuers: [test]\n", addr, iss.URL, up.URL))
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sign := func(key *ecdsa.PrivateKey, claims jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		require.NoError(t, err)
		return s
	}
	now := time.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": iss.URL, "aud": audience, "sub": "alice@example.com", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	unsigned, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	valid := iss.mint(t, audience, "alice@example.com", "")

	const initialize = `{"jsonrpc":"2.0","id":"seed-1","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"seed","version":"1"}}}`
	send := func(auth []string, url, session, body string) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for _, a := range auth {
			req.Header.Add("Authorization", a)
		}
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
			req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	upstreamBefore := len(up.authorizations())
	tests := []struct {
		name   string
		auth   []string
		url    string
		status int
		code   string // the challenge's error attribute
	}{
		{name: "missing token", status: 401},
		{name: "not a JWT", auth: []string{"Bearer invalid-token"}, status: 401, code: "invalid_token"},
		{name: "signed by another key", auth: []string{"Bearer " + sign(other, claims(nil))}, status: 401, code: "invalid_token"},
		{name: "alg none", auth: []string{"Bearer " + unsigned}, status: 401, code: "invalid_token"},
		{name: "expired", auth: []string{"Bearer " + sign(iss.key, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() }))}, status: 401, code: "invalid_token"},
		{name: "another audience", auth: []string{"Bearer " + sign(iss.key, claims(func(c jwt.MapClaims) { c["aud"] = "https://other.example/mcp" }))}, status: 401, code: "invalid_token"},
		{name: "another issuer", auth: []string{"Bearer " + sign(iss.key, claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }))}, status: 401, code: "invalid_token"},
		{name: "no subject", auth: []string{"Bearer " + sign(iss.key, claims(func(c jwt.MapClaims) { delete(c, "sub") }))}, status: 401, code: "invalid_token"},
		{name: "another scheme", auth: []string{"Basic YWxpY2U6cHc="}, status: 401},
		{name: "two Authorization headers", auth: []string{"Bearer " + valid, "Bearer " + valid}, status: 400, code: "invalid_request"},
		{name: "token in the query", url: audience + "?access_token=" + valid, status: 400, code: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if url == "" {
				url = audience
			}
			resp, body := send(tt.auth, url, "", initialize)
			assert.Equal(t, tt.status, resp.StatusCode, body)
			assert.Empty(t, resp.Header.Get("Mcp-Session-Id"), "no session for a refused request")
			assert.Contains(t, body, `"id":"seed-1"`, "the request id is echoed")
			assert.NotContains(t, strings.ToLower(body), "goroutine", "no stack trace")
			challenge := resp.Header.Get("WWW-Authenticate")
			if tt.status == 401 {
				assert.Contains(t, challenge, `resource_metadata="`+base+`/.well-known/oauth-protected-resource/mcp"`)
			}
			if tt.code != "" {
				assert.Contains(t, challenge, `error="`+tt.code+`"`)
			} else {
				assert.NotContains(t, challenge, "error=")
			}
		})
	}
	assert.Equal(t, upstreamBefore, len(up.authorizations()), "no refused request reached the upstream")

	// A valid token gets a session; the session id alone, or with another
	// user's token, does not.
	resp, body := send([]string{"Bearer " + valid}, audience, "", initialize)
	require.Equal(t, 200, resp.StatusCode, body)
	session := resp.Header.Get("Mcp-Session-Id")
	require.NotEmpty(t, session)
	const list = `{"jsonrpc":"2.0","id":"seed-2","method":"tools/list"}`
	resp, _ = send(nil, audience, session, list)
	assert.Equal(t, 401, resp.StatusCode, "a session id alone")
	resp, _ = send([]string{"Bearer " + iss.mint(t, audience, "mallory@example.com", "")}, audience, session, list)
	assert.Equal(t, 404, resp.StatusCode, "another user's session is not found for them")
	resp, body = send([]string{"Bearer " + valid}, audience, session, list)
	assert.Equal(t, 200, resp.StatusCode, "the owner's session still works: %s", body)
}
