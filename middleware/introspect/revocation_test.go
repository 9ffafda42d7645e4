package introspect

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/middleware/jwtverify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var hmacSecret = []byte("0123456789abcdef0123456789abcdef")

var _ middleware.TokenVerifier = (*Revocation)(nil)

// revocationEnv is an env plus a jwtverify.Verifier on the same clock
// and a Revocation of the two.
func revocationEnv(t *testing.T) (*env, *Revocation) {
	e := newEnv(t, func(o *Options) { o.Cache.TTL = 30 * time.Second })
	local, err := jwtverify.New(&jwtverify.Options{
		Algorithms: []string{"HS256"},
		Keys:       []jwtverify.Key{{Secret: hmacSecret}},
		Issuers:    []string{testIss},
		Audiences:  []string{testAud},
		Now:        e.clock.Now,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = local.Close() })
	r, err := NewRevocation(local, e.v)
	require.NoError(t, err)
	return e, r
}

func (e *env) jwt(claims jwt.MapClaims) string {
	base := jwt.MapClaims{"iss": testIss, "sub": "alice", "aud": testAud, "exp": t0.Add(time.Hour).Unix(), "scope": "read"}
	for k, v := range claims {
		base[k] = v
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, base).SignedString(hmacSecret)
	require.NoError(e.t, err)
	e.tokens = append(e.tokens, s)
	return s
}

func TestRevocation(t *testing.T) {
	ctx := context.Background()
	t.Run("active", func(t *testing.T) {
		e, r := revocationEnv(t)
		e.as.set(200, activeBody(set("scope", "other")))
		p, err := r.VerifyToken(ctx, e.jwt(nil))
		require.NoError(t, err)
		assert.Equal(t, "alice", p.Subject)
		assert.Equal(t, []string{"read"}, p.Scopes, "the token's own claims")
		assert.EqualValues(t, 1, e.as.calls.Load())
	})
	t.Run("revoked", func(t *testing.T) {
		e, r := revocationEnv(t)
		e.as.set(200, `{"active":false}`)
		_, err := r.VerifyToken(ctx, e.jwt(nil))
		requireKind(t, err, authresult.KindUnauthenticated, ErrInactive)
	})
	t.Run("revoked after it was cached", func(t *testing.T) {
		e, r := revocationEnv(t)
		tok := e.jwt(nil)
		_, err := r.VerifyToken(ctx, tok)
		require.NoError(t, err)
		e.as.set(200, `{"active":false}`)
		_, err = r.VerifyToken(ctx, tok)
		require.NoError(t, err, "cached within TTL")
		e.clock.Advance(30 * time.Second)
		_, err = r.VerifyToken(ctx, tok)
		requireKind(t, err, authresult.KindUnauthenticated, ErrInactive)
	})
	t.Run("local refusal is not introspected", func(t *testing.T) {
		e, r := revocationEnv(t)
		_, err := r.VerifyToken(ctx, e.jwt(jwt.MapClaims{"exp": t0.Add(-time.Hour).Unix()}))
		requireKind(t, err, authresult.KindUnauthenticated, jwtverify.ErrExpired)
		_, err = r.VerifyToken(ctx, "opaque-but-not-a-jwt")
		requireKind(t, err, authresult.KindUnauthenticated, jwtverify.ErrMalformed)
		assert.Zero(t, e.as.calls.Load())
	})
	t.Run("introspection names another subject", func(t *testing.T) {
		e, r := revocationEnv(t)
		e.as.set(200, activeBody(set("sub", "bob")))
		_, err := r.VerifyToken(ctx, e.jwt(nil))
		requireKind(t, err, authresult.KindUnauthenticated, ErrMismatch)
	})
	t.Run("introspection names another issuer", func(t *testing.T) {
		e, r := revocationEnv(t)
		e.v.issuers["https://other.example"] = true
		e.as.set(200, activeBody(set("iss", "https://other.example")))
		_, err := r.VerifyToken(ctx, e.jwt(nil))
		requireKind(t, err, authresult.KindUnauthenticated, ErrMismatch)
	})
	t.Run("introspection refuses the audience", func(t *testing.T) {
		e, r := revocationEnv(t)
		e.as.set(200, activeBody(set("aud", "https://other.example")))
		_, err := r.VerifyToken(ctx, e.jwt(nil))
		requireKind(t, err, authresult.KindUnauthenticated, ErrAudience)
	})
	t.Run("endpoint down", func(t *testing.T) {
		e, r := revocationEnv(t)
		e.as.set(503, "")
		_, err := r.VerifyToken(ctx, e.jwt(nil))
		requireKind(t, err, authresult.KindUnavailable, ErrUnavailable)
	})
	t.Run("local verifier without a principal", func(t *testing.T) {
		e := newEnv(t, nil)
		r, err := NewRevocation(middleware.TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) {
			return &authresult.Principal{}, nil
		}), e.v)
		require.NoError(t, err)
		_, err = r.VerifyToken(ctx, e.token())
		requireKind(t, err, authresult.KindInternal, nil)
		assert.Zero(t, e.as.calls.Load())
	})
}

func TestNewRevocationRefusesNil(t *testing.T) {
	e := newEnv(t, nil)
	ok := middleware.TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) { return nil, nil })
	for _, tc := range []struct {
		local  middleware.TokenVerifier
		remote *Verifier
	}{
		{nil, e.v},
		{middleware.TokenVerifierFunc(nil), e.v},
		{ok, nil},
	} {
		r, err := NewRevocation(tc.local, tc.remote)
		assert.Error(t, err)
		assert.Nil(t, r)
	}
}
