package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/middleware/introspect"
	"github.com/mcpauth/mcpauth/middleware/jwtverify"
)

// TestIntrospectRealIdP runs middleware/introspect against a real
// authorization server's introspection endpoint (oidc-provider, ts/idp.mjs)
// with the tokens it really issues: an opaque access token for this
// resource is accepted with both client authentication methods; its
// refresh token, a token without a resource indicator, a token for
// another resource, a revoked token and an unknown one are refused with
// 401; wrong credentials, an endpoint that is down, slow or failing are
// 503 with Retry-After, never 401. Through middleware.ByFormat, JWTs go
// to jwtverify and opaque tokens here; Revocation over jwtverify meets
// oidc-provider's refusal to introspect JWTs as an outage.
func TestIntrospectRealIdP(t *testing.T) {
	p := startIdP(t, idpOptions{Format: "opaque", TTL: time.Minute})
	const other = "http://127.0.0.1:2/mcp"
	p.SetResources(t, idpResource, other)
	ctx := context.Background()
	newVerifier := func(t *testing.T, edit func(*introspect.Options)) *introspect.Verifier {
		opts := &introspect.Options{
			Endpoint:     p.Metadata.IntrospectionEndpoint,
			ClientID:     idpIntrospectionID,
			ClientSecret: idpIntrospectionSecret,
			Issuers:      []string{p.Issuer},
			Audiences:    []string{idpResource},
			Timeout:      time.Second,
			Cache:        introspect.CacheOptions{Disabled: true},
		}
		if edit != nil {
			edit(opts)
		}
		v, err := introspect.New(opts)
		require.NoError(t, err)
		return v
	}
	refused := func(t *testing.T, err error, kind authresult.Kind, cause error) {
		t.Helper()
		require.Error(t, err)
		e := authresult.As(err)
		assert.Equal(t, kind, e.Kind, "%v", err)
		assert.ErrorIs(t, err, cause)
	}

	tok := p.Tokens(t, idpResource, "mcp:read")
	require.NotContains(t, tok.AccessToken, ".")

	t.Run("accepted", func(t *testing.T) {
		for _, method := range []string{introspect.AuthClientSecretBasic, introspect.AuthClientSecretPost} {
			v := newVerifier(t, func(o *introspect.Options) { o.AuthMethod = method; o.RequireTokenType = true })
			pr, err := v.VerifyToken(ctx, tok.AccessToken)
			require.NoError(t, err, method)
			assert.Equal(t, "alice", pr.Subject)
			assert.Equal(t, p.Issuer, pr.Issuer)
			assert.Equal(t, []string{idpResource}, pr.Audience)
			assert.Equal(t, []string{"mcp:read"}, pr.Scopes)
			assert.Equal(t, tok.ClientID, pr.ClientID)
			assert.WithinDuration(t, time.Now().Add(time.Minute), pr.Expiry, 10*time.Second)
		}
	})

	t.Run("refused", func(t *testing.T) {
		v := newVerifier(t, nil)
		// The refresh token introspects as active, without aud and
		// token_type: the audience check refuses it, and with AnyAudience
		// RequireTokenType does.
		_, err := v.VerifyToken(ctx, tok.RefreshToken)
		refused(t, err, authresult.KindUnauthenticated, introspect.ErrAudience)
		anyAud := newVerifier(t, func(o *introspect.Options) { o.Audiences, o.AnyAudience, o.RequireTokenType = nil, true, true })
		_, err = anyAud.VerifyToken(ctx, tok.RefreshToken)
		refused(t, err, authresult.KindUnauthenticated, introspect.ErrTokenType)
		_, err = anyAud.VerifyToken(ctx, tok.AccessToken)
		require.NoError(t, err)

		_, err = v.VerifyToken(ctx, p.Token(t, other, "mcp:read"))
		refused(t, err, authresult.KindUnauthenticated, introspect.ErrAudience)
		_, err = v.VerifyToken(ctx, p.Token(t, "", "openid", "mcp:read")) // for the userinfo endpoint
		refused(t, err, authresult.KindUnauthenticated, introspect.ErrAudience)
		_, err = v.VerifyToken(ctx, "no-such-token")
		refused(t, err, authresult.KindUnauthenticated, introspect.ErrInactive)

		revoked := p.Token(t, idpResource, "mcp:read")
		_, err = v.VerifyToken(ctx, revoked)
		require.NoError(t, err)
		p.Revoke(t, revoked)
		_, err = v.VerifyToken(ctx, revoked)
		refused(t, err, authresult.KindUnauthenticated, introspect.ErrInactive)
	})

	t.Run("outages", func(t *testing.T) {
		wrong := newVerifier(t, func(o *introspect.Options) { o.ClientSecret = "wrong" })
		_, err := wrong.VerifyToken(ctx, tok.AccessToken)
		refused(t, err, authresult.KindUnavailable, introspect.ErrCredentials)

		v := newVerifier(t, nil)
		for _, mode := range []string{"down", "500", "slow"} {
			p.SetIntrospection(t, mode, 2*time.Second)
			_, err := v.VerifyToken(ctx, tok.AccessToken)
			refused(t, err, authresult.KindUnavailable, introspect.ErrUnavailable)
			assert.Equal(t, 5*time.Second, authresult.As(err).RetryAfter, mode)
		}
		p.SetIntrospection(t, "ok", 0)
		_, err = v.VerifyToken(ctx, tok.AccessToken)
		require.NoError(t, err, "back once the endpoint is")
	})

	t.Run("with jwtverify", func(t *testing.T) {
		p.SetTokens(t, "jwt", 0)
		jwtTok := p.Token(t, idpResource, "mcp:read")
		p.SetTokens(t, "opaque", 0)
		local, err := jwtverify.New(&jwtverify.Options{
			Algorithms: []string{"RS256"},
			Issuers:    []string{p.Issuer},
			Audiences:  []string{idpResource},
			JWKS:       []jwtverify.JWKSSource{{URL: p.Metadata.JWKSURI}},
		})
		require.NoError(t, err)
		defer local.Close()
		remote := newVerifier(t, nil)

		both := middleware.ByFormat(local, remote)
		for _, s := range []string{jwtTok, tok.AccessToken} {
			pr, err := both.VerifyToken(ctx, s)
			require.NoError(t, err)
			assert.Equal(t, "alice", pr.Subject)
		}

		// oidc-provider answers 400 unsupported_token_type for a JWT: it
		// cannot say whether one was revoked, so Revocation cannot
		// confirm it and answers 503, never a 401 or a success.
		r, err := introspect.NewRevocation(local, remote)
		require.NoError(t, err)
		_, err = r.VerifyToken(ctx, jwtTok)
		refused(t, err, authresult.KindUnavailable, introspect.ErrUnavailable)
		status, _, err := p.IntrospectRaw(jwtTok, false)
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, status)
	})
}
