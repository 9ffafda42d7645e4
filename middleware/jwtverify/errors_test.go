package jwtverify

import (
	"errors"
	"testing"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
)

func TestInvalidIsTyped(t *testing.T) {
	e := invalid(descExpired, ErrExpired)
	var err error = e
	assert.ErrorIs(t, err, ErrExpired)
	assert.ErrorIs(t, err, authresult.ErrUnauthenticated)
	assert.Equal(t, 401, e.Status())
	assert.Equal(t, authresult.CodeInvalidToken, e.Code)
	assert.Equal(t, "token expired", e.ClientMessage())
	for _, s := range []error{ErrMalformed, ErrTooLarge, ErrAlgorithm, ErrHeader, ErrUnknownKey, ErrSignature,
		ErrKeysUnavailable, ErrExpired, ErrNotYetValid, ErrIssuedInFuture, ErrClaim, ErrIssuer, ErrAudience, ErrRejected} {
		if s != ErrExpired {
			assert.False(t, errors.Is(err, s), "%v", s)
		}
	}
}
