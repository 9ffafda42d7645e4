package middleware

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
)

func TestByFormat(t *testing.T) {
	var jwtCalls, opaqueCalls int
	refuse := errors.New("refused")
	jwt := TokenVerifierFunc(func(_ context.Context, tok string) (*authresult.Principal, error) {
		jwtCalls++
		if tok == "eyJbad.x.y" {
			return nil, authresult.InvalidToken("bad", refuse)
		}
		return &authresult.Principal{Subject: "jwt"}, nil
	})
	opaque := TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) {
		opaqueCalls++
		return &authresult.Principal{Subject: "opaque"}, nil
	})
	v := ByFormat(jwt, opaque)
	for tok, want := range map[string]string{
		"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln": "jwt",
		"2YotnFZFEjr1zCsicMWpAA":                    "opaque",
		"eyJ.only-one-dot":                          "opaque",
		"abc.def.ghi":                               "opaque",
		"eyJa.b.c.d":                                "opaque",
	} {
		p, err := v.VerifyToken(context.Background(), tok)
		require.NoError(t, err, tok)
		assert.Equal(t, want, p.Subject, tok)
	}
	before := opaqueCalls
	_, err := v.VerifyToken(context.Background(), "eyJbad.x.y")
	assert.ErrorIs(t, err, refuse)
	assert.Equal(t, before, opaqueCalls, "a refused JWT is not tried as an opaque token")

	_, err = ByFormat(nil, opaque).VerifyToken(context.Background(), "eyJa.b.c")
	assert.ErrorIs(t, err, ErrTokenFormat)
	assert.Equal(t, authresult.KindUnauthenticated, authresult.As(err).Kind)
	_, err = ByFormat(jwt, nil).VerifyToken(context.Background(), "opaque")
	assert.ErrorIs(t, err, ErrTokenFormat)
	assert.Positive(t, jwtCalls)
}
