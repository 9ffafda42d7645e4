package e2e

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/mcphandler/gosdk"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/middleware/jwtverify"
)

// These tests prove that ts/idp.mjs, the real authorization server of the
// end-to-end tests, behaves as its header says, before any test relies on
// it to judge mcpauth.

// idpResource is the resource indicator of the tests that need no MCP
// server: nothing listens there.
const idpResource = "http://127.0.0.1:1/mcp"

// parseAccessToken verifies a JWT access token with golang-jwt against
// keys (the provider's JWKS): signature, iss, aud, exp (required) and iat.
func parseAccessToken(p *idp, keys map[string]crypto.PublicKey, token, resource string, opts ...jwt.ParserOption) (*jwt.Token, jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(token, claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		k, ok := keys[kid]
		if !ok {
			return nil, fmt.Errorf("kid %q is not in the JWKS", kid)
		}
		return k, nil
	}, append([]jwt.ParserOption{
		jwt.WithValidMethods([]string{"RS256", "ES256"}),
		jwt.WithIssuer(p.Issuer),
		jwt.WithAudience(resource),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	}, opts...)...)
	return tok, claims, err
}

// unverifiedHeader returns a JWT's header without checking anything.
func unverifiedHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	require.NoError(t, err)
	return tok.Header
}

// numeric returns a JSON number claim as Unix seconds.
func numeric(t *testing.T, m map[string]any, name string) int64 {
	t.Helper()
	v, ok := m[name].(float64)
	require.True(t, ok, "%s is %T %v, want a number", name, m[name], m[name])
	return int64(v)
}

func TestIdPIssuesJWTAndOpaque(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256"} {
		t.Run("jwt "+alg, func(t *testing.T) {
			nbf := alg == "ES256" // JWT_NBF=1 with one of the two
			p := startIdP(t, idpOptions{Resources: []string{idpResource}, Alg: alg, NBF: nbf})
			st := p.State(t)
			require.Equal(t, alg, st.SigningAlg)
			require.Equal(t, "jwt", st.AccessTokenFormat)

			tok := p.Tokens(t, idpResource, "mcp:read")
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.Equal(t, "mcp:read", tok.Scope)
			assert.Equal(t, 300, tok.ExpiresIn)
			assert.NotEmpty(t, tok.RefreshToken, "a refresh token without offline_access")
			assert.Empty(t, tok.IDToken, "no ID token without openid")

			keys := p.JWKS(t)
			jt, claims, err := parseAccessToken(p, keys, tok.AccessToken, idpResource)
			require.NoError(t, err)
			assert.Equal(t, map[string]any{"alg": alg, "typ": "at+jwt", "kid": st.SigningKID}, jt.Header)
			want := []string{"jti", "sub", "iat", "exp", "scope", "client_id", "iss", "aud"}
			if nbf {
				want = append(want, "nbf")
				assert.Equal(t, claims["iat"], claims["nbf"])
			}
			assert.ElementsMatch(t, want, slices.Collect(maps.Keys(claims)), "RFC 9068 claims; nbf only with JWT_NBF=1")
			assert.Equal(t, idpResource, claims["aud"], "aud is one string, the resource indicator")
			assert.Equal(t, "alice", claims["sub"])
			assert.Equal(t, "mcp:read", claims["scope"])
			assert.Equal(t, tok.ClientID, claims["client_id"])
			assert.NotEmpty(t, claims["jti"])
			iat := numeric(t, claims, "iat")
			assert.Equal(t, int64(300), numeric(t, claims, "exp")-iat)
			assert.InDelta(t, time.Now().Unix(), iat, 10)

			// A JWT access token can be neither introspected nor revoked.
			for _, endpoint := range []string{p.Metadata.IntrospectionEndpoint, p.Metadata.RevocationEndpoint} {
				status, body, err := p.tokenRequest(endpoint, tok.AccessToken, false)
				require.NoError(t, err)
				assert.Equal(t, http.StatusBadRequest, status, endpoint)
				assert.Contains(t, string(body), `"error":"unsupported_token_type"`, endpoint)
			}

			// Refreshing gives a new token with the same claims, and a new
			// refresh token (public clients' refresh tokens rotate).
			next := p.Refresh(t, tok, idpResource)
			_, claims2, err := parseAccessToken(p, keys, next.AccessToken, idpResource)
			require.NoError(t, err)
			assert.NotEqual(t, claims["jti"], claims2["jti"])
			assert.Equal(t, claims["sub"], claims2["sub"])
			assert.Equal(t, claims["scope"], claims2["scope"])
			assert.NotEmpty(t, next.RefreshToken)
			assert.NotEqual(t, tok.RefreshToken, next.RefreshToken)

			// An unlisted resource is refused at the authorization endpoint.
			_, err = p.authorize("http://127.0.0.1:2/mcp", "mcp:read")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "invalid_target")

			// Without a resource indicator the access token is opaque,
			// for the userinfo endpoint only; openid brings an ID token.
			tok = p.Tokens(t, "", "openid", "mcp:read")
			assert.NotContains(t, tok.AccessToken, ".")
			assert.NotEmpty(t, tok.IDToken)
		})
	}

	t.Run("opaque", func(t *testing.T) {
		p := startIdP(t, idpOptions{Resources: []string{idpResource}, Format: "opaque"})
		tok := p.Tokens(t, idpResource, "mcp:read")
		require.NotContains(t, tok.AccessToken, ".", "an opaque token is no JWS")

		active := p.Introspect(t, tok.AccessToken)
		assert.ElementsMatch(t, []string{"active", "sub", "client_id", "exp", "iat", "iss", "aud", "scope", "token_type"}, slices.Collect(maps.Keys(active)))
		assert.Equal(t, true, active["active"])
		assert.Equal(t, "alice", active["sub"])
		assert.Equal(t, tok.ClientID, active["client_id"])
		assert.Equal(t, p.Issuer, active["iss"])
		assert.Equal(t, idpResource, active["aud"])
		assert.Equal(t, "mcp:read", active["scope"])
		assert.Equal(t, "Bearer", active["token_type"])
		assert.Equal(t, int64(300), numeric(t, active, "exp")-numeric(t, active, "iat"))

		// client_secret_post works as well as client_secret_basic; a wrong
		// secret is invalid_client.
		status, body, err := p.IntrospectRaw(tok.AccessToken, true)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, status)
		assert.Contains(t, string(body), `"active":true`)
		wrong := *p
		wrong.introSecret = "wrong"
		status, body, err = wrong.IntrospectRaw(tok.AccessToken, false)
		require.NoError(t, err)
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Contains(t, string(body), `"error":"invalid_client"`)

		// The refresh token introspects too, without aud and token_type,
		// its scope with the OpenID scopes granted.
		rt := p.Introspect(t, tok.RefreshToken)
		assert.ElementsMatch(t, []string{"active", "sub", "client_id", "exp", "iat", "iss", "scope"}, slices.Collect(maps.Keys(rt)))
		assert.Equal(t, true, rt["active"])
		assert.Equal(t, "mcp:read", rt["scope"])
		withOpenID := p.Tokens(t, idpResource, "openid", "mcp:read")
		assert.Equal(t, "openid mcp:read", p.Introspect(t, withOpenID.RefreshToken)["scope"])
		assert.Equal(t, "mcp:read", p.Introspect(t, withOpenID.AccessToken)["scope"])

		// Unknown and revoked tokens are {"active":false} and nothing else;
		// revoking the access token revoked its grant's refresh token too.
		assert.Equal(t, map[string]any{"active": false}, p.Introspect(t, "no-such-token"))
		p.Revoke(t, tok.AccessToken)
		assert.Equal(t, map[string]any{"active": false}, p.Introspect(t, tok.AccessToken))
		assert.Equal(t, map[string]any{"active": false}, p.Introspect(t, tok.RefreshToken))
		p.Revoke(t, "no-such-token") // 200 for unknown tokens as well

		// Revoking a refresh token ends its access tokens.
		tok = p.Tokens(t, idpResource, "mcp:read")
		p.Revoke(t, tok.RefreshToken)
		assert.Equal(t, map[string]any{"active": false}, p.Introspect(t, tok.RefreshToken))
		assert.Equal(t, map[string]any{"active": false}, p.Introspect(t, tok.AccessToken))
	})
}

func TestIdPControls(t *testing.T) {
	p := startIdP(t, idpOptions{Resources: []string{idpResource}, TTL: time.Minute})

	t.Run("rotate", func(t *testing.T) {
		k1 := p.State(t).SigningKID
		before := p.Tokens(t, idpResource, "mcp:read")
		tok1 := before.AccessToken
		assert.Equal(t, k1, unverifiedHeader(t, tok1)["kid"])

		k2 := p.Rotate(t, "ES256", false)
		require.NotEqual(t, k1, k2)
		keys := p.JWKS(t)
		require.Contains(t, keys, k1, "not retired")
		require.Contains(t, keys, k2)
		tok2 := p.Token(t, idpResource, "mcp:read")
		jt, _, err := parseAccessToken(p, keys, tok2, idpResource)
		require.NoError(t, err)
		assert.Equal(t, k2, jt.Header["kid"])
		assert.Equal(t, "ES256", jt.Header["alg"])
		_, _, err = parseAccessToken(p, keys, tok1, idpResource)
		assert.NoError(t, err, "a token of the previous key still verifies")

		k3 := p.Rotate(t, "RS256", true)
		st := p.State(t)
		keys = p.JWKS(t)
		assert.ElementsMatch(t, st.KIDs, slices.Collect(maps.Keys(keys)))
		assert.NotContains(t, keys, k2, "retired")
		assert.Contains(t, keys, k1)
		assert.Contains(t, keys, st.IDTokenKID)
		_, _, err = parseAccessToken(p, keys, tok2, idpResource)
		assert.ErrorContains(t, err, "not in the JWKS")
		jt, _, err = parseAccessToken(p, keys, p.Token(t, idpResource, "mcp:read"), idpResource)
		require.NoError(t, err)
		assert.Equal(t, k3, jt.Header["kid"])
		assert.Equal(t, "RS256", jt.Header["alg"])

		// Clients and grants outlive the rotations: the refresh token of
		// before still works, and its new access token has the new key.
		after := p.Refresh(t, before, idpResource)
		assert.Equal(t, k3, unverifiedHeader(t, after.AccessToken)["kid"])

		// ID tokens are signed with the first RS256 key of the JWKS.
		withID := p.Tokens(t, idpResource, "openid", "mcp:read")
		idt, err := jwt.Parse(withID.IDToken, func(tok *jwt.Token) (any, error) {
			return keys[tok.Header["kid"].(string)], nil
		}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(p.Issuer), jwt.WithAudience(withID.ClientID))
		require.NoError(t, err)
		assert.Equal(t, k3, idt.Header["kid"])
	})

	t.Run("grant", func(t *testing.T) {
		t.Cleanup(func() { p.SetGrant(t, "alice", "mcp:read") })
		p.SetGrant(t, "bob", "mcp:read", "mcp:admin")
		tok := p.Tokens(t, idpResource, "mcp:read", "mcp:admin")
		assert.Equal(t, "mcp:read mcp:admin", tok.Scope)
		_, claims, err := parseAccessToken(p, p.JWKS(t), tok.AccessToken, idpResource)
		require.NoError(t, err)
		assert.Equal(t, "bob", claims["sub"])
		assert.Equal(t, "mcp:read mcp:admin", claims["scope"])

		// A consent that grants none of the scopes asked for is a refusal;
		// with openid alone the token has no scope claim.
		p.SetGrant(t, "", "mcp:admin")
		_, err = p.authorize(idpResource, "mcp:read")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "authorization refused: access_denied")
		tok = p.Tokens(t, idpResource, "openid")
		assert.Empty(t, tok.Scope, "the token response's scope is the access token's")
		assert.NotEmpty(t, tok.IDToken)
		_, claims, err = parseAccessToken(p, p.JWKS(t), tok.AccessToken, idpResource)
		require.NoError(t, err)
		assert.Equal(t, "bob", claims["sub"])
		assert.NotContains(t, claims, "scope")

		p.SetGrant(t, "alice", "mcp:read")
		tok = p.Tokens(t, idpResource, "mcp:read", "mcp:admin")
		assert.Equal(t, "mcp:read", tok.Scope, "consent refused mcp:admin")
		_, claims, err = parseAccessToken(p, p.JWKS(t), tok.AccessToken, idpResource)
		require.NoError(t, err)
		assert.Equal(t, "alice", claims["sub"])
		st := p.State(t)
		assert.Equal(t, "alice", st.Subject)
		assert.Equal(t, "mcp:read", st.GrantScopes)
	})

	t.Run("introspection", func(t *testing.T) {
		p.SetTokens(t, "opaque", 0)
		t.Cleanup(func() { p.SetTokens(t, "jwt", 0) })
		at := p.Token(t, idpResource, "mcp:read")
		calls := p.State(t).Introspection.Calls

		p.SetIntrospection(t, "down", 0)
		_, _, err := p.IntrospectRaw(at, false)
		assert.Error(t, err, "down: the connection closes unanswered")

		p.SetIntrospection(t, "500", 0)
		status, body, err := p.IntrospectRaw(at, false)
		require.NoError(t, err)
		assert.Equal(t, http.StatusInternalServerError, status)
		assert.JSONEq(t, `{"error":"server_error","error_description":"introspection made to fail by the test"}`, string(body))

		p.SetIntrospection(t, "slow", 400*time.Millisecond)
		start := time.Now()
		status, body, err = p.IntrospectRaw(at, false)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond)
		assert.Equal(t, http.StatusOK, status)
		assert.Contains(t, string(body), `"active":true`)

		p.SetIntrospection(t, "ok", 0)
		assert.Equal(t, true, p.Introspect(t, at)["active"])
		st := p.State(t)
		assert.Equal(t, "ok", st.Introspection.Mode)
		assert.Equal(t, calls+4, st.Introspection.Calls)
	})

	t.Run("skew", func(t *testing.T) {
		t.Cleanup(func() { p.SetSkew(t, 0) })
		keys := p.JWKS(t)

		p.SetSkew(t, 10*time.Minute)
		assert.Equal(t, 600, p.State(t).SkewSeconds)
		tok := p.Token(t, idpResource, "mcp:read")
		_, claims, err := parseAccessToken(p, keys, tok, idpResource)
		assert.ErrorIs(t, err, jwt.ErrTokenUsedBeforeIssued)
		assert.InDelta(t, time.Now().Unix()+600, numeric(t, claims, "iat"), 10)

		p.SetSkew(t, -10*time.Minute)
		tok = p.Token(t, idpResource, "mcp:read")
		_, claims, err = parseAccessToken(p, keys, tok, idpResource)
		assert.ErrorIs(t, err, jwt.ErrTokenExpired, "issued ten minutes ago for one")
		assert.InDelta(t, time.Now().Unix()-600, numeric(t, claims, "iat"), 10)

		// The provider judges expiry by its own clock: an opaque token
		// issued in the past is active until the clock is set right.
		p.SetTokens(t, "opaque", 0)
		t.Cleanup(func() { p.SetTokens(t, "jwt", 0) })
		at := p.Token(t, idpResource, "mcp:read")
		assert.Equal(t, true, p.Introspect(t, at)["active"])
		p.SetSkew(t, 0)
		assert.Equal(t, map[string]any{"active": false}, p.Introspect(t, at))
	})
}

// TestIdPTypeScriptClientFlow runs ts/idp-flow.mjs, the official MCP
// TypeScript client's OAuth support, against a Go MCP server that accepts
// the provider's tokens: discovery from the 401, registration, code with
// PKCE and resource, a tool call, and a refresh once the token expired.
func TestIdPTypeScriptClientFlow(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	resource := "http://" + srv.Listener.Addr().String() + "/mcp"
	p := startIdP(t, idpOptions{Resources: []string{resource}, TTL: 2 * time.Second})

	v, err := jwtverify.New(&jwtverify.Options{
		Algorithms:             []string{"RS256"},
		Issuers:                []string{p.Issuer},
		Audiences:              []string{resource},
		JWKS:                   []jwtverify.JWKSSource{{URL: p.Metadata.JWKSURI}},
		RequireAccessTokenType: true,
		Leeway:                 jwtverify.NoLeeway, // so that the token has expired when the client calls again
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	auth, err := middleware.New(v, &middleware.Options{
		Resource: resource, AuthorizationServers: []string{p.Issuer}, Scopes: []string{"mcp:read", "mcp:admin"},
	})
	require.NoError(t, err)
	server := mcp.NewServer(&mcp.Implementation{Name: "idp-flow", Version: "1"}, nil)
	type who struct {
		Subject  string   `json:"subject"`
		Scopes   []string `json:"scopes"`
		ClientID string   `json:"client_id"`
	}
	mcp.AddTool(server, &mcp.Tool{Name: "whoami"}, func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, who, error) {
		pr, ok := gosdk.Principal(req.Extra)
		if !ok {
			return nil, who{}, errors.New("no principal")
		}
		return nil, who{Subject: pr.Subject, Scopes: pr.Scopes, ClientID: pr.ClientID}, nil
	})
	mux := http.NewServeMux()
	require.NoError(t, auth.MountMetadata(mux))
	mux.Handle("/mcp", auth.Handler(gosdk.Handler(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Logger: slog.New(slog.DiscardHandler)}))))
	srv.Config.Handler = mux
	srv.Start()

	out := runNode(t, needNode(t), map[string]string{"MCP_URL": resource, "TOOL": "whoami", "TOOL_ARGS": "{}", "REFRESH_AFTER": "3"}, "idp-flow.mjs")
	lines := map[string][]string{}
	for l := range strings.Lines(out) {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), " "); ok {
			lines[k] = append(lines[k], v)
		}
	}
	require.Len(t, lines["ACCESS_TOKEN"], 1, out)
	require.Len(t, lines["REFRESH_TOKEN"], 1, out)
	require.Len(t, lines["REFRESHED_ACCESS_TOKEN"], 1, out)
	require.Len(t, lines["RESULT"], 2, out)
	assert.NotEqual(t, "-", lines["REFRESH_TOKEN"][0])
	assert.NotEqual(t, lines["ACCESS_TOKEN"][0], lines["REFRESHED_ACCESS_TOKEN"][0])

	for _, r := range lines["RESULT"] {
		var res struct {
			StructuredContent who  `json:"structuredContent"`
			IsError           bool `json:"isError"`
		}
		require.NoError(t, json.Unmarshal([]byte(r), &res), r)
		assert.False(t, res.IsError, r)
		assert.Equal(t, "alice", res.StructuredContent.Subject)
		assert.Equal(t, []string{"mcp:read"}, res.StructuredContent.Scopes, "the challenge asked for both scopes, consent granted mcp:read")
		assert.NotEmpty(t, res.StructuredContent.ClientID)
	}
	keys := p.JWKS(t)
	_, claims, err := parseAccessToken(p, keys, lines["REFRESHED_ACCESS_TOKEN"][0], resource)
	require.NoError(t, err)
	assert.Equal(t, resource, claims["aud"])
	_, _, err = parseAccessToken(p, keys, lines["ACCESS_TOKEN"][0], resource)
	assert.ErrorIs(t, err, jwt.ErrTokenExpired, "the first token had expired when the client refreshed")
}
