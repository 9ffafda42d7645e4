package authresult

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		name     string
		err      *Error
		sentinel error
		status   int
		code     string
	}{
		{"no credentials", NoCredentials(), ErrUnauthenticated, 401, ""},
		{"invalid token", InvalidToken("token expired", io.EOF), ErrUnauthenticated, 401, CodeInvalidToken},
		{"insufficient scope", InsufficientScope("needs admin", "admin", "write"), ErrForbidden, 403, CodeInsufficientScope},
		{"forbidden", Forbidden("not yours", nil), ErrForbidden, 403, ""},
		{"invalid request", InvalidRequest("two tokens", nil), ErrInvalidRequest, 400, CodeInvalidRequest},
		{"unavailable", Unavailable("keys down", time.Minute, io.EOF), ErrUnavailable, 503, CodeTemporarilyUnavailable},
		{"internal", Internal(io.EOF), ErrInternal, 500, ""},
	}
	all := []error{ErrInternal, ErrUnauthenticated, ErrForbidden, ErrInvalidRequest, ErrUnavailable}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.status, tt.err.Status())
			assert.Equal(t, tt.code, tt.err.Code)
			assert.NotEmpty(t, tt.err.Description)
			for _, wrapped := range []error{
				tt.err,
				fmt.Errorf("layer: %w", tt.err),
				errors.Join(io.ErrUnexpectedEOF, fmt.Errorf("x: %w", tt.err)),
			} {
				for _, s := range all {
					assert.Equal(t, s == tt.sentinel, errors.Is(wrapped, s), "errors.Is(%v, %v)", wrapped, s)
				}
				got, ok := errors.AsType[*Error](wrapped)
				require.True(t, ok)
				assert.Same(t, tt.err, got)
				assert.Same(t, tt.err, As(wrapped))
			}
		})
	}
}

// TestSentinelsImmutable: the sentinels are values without fields, so no
// caller can change what they match; an *Error with the same kind and no
// detail is not one of them.
func TestSentinelsImmutable(t *testing.T) {
	for _, s := range []error{ErrInternal, ErrUnauthenticated, ErrForbidden, ErrInvalidRequest, ErrUnavailable} {
		typ := reflect.TypeOf(s)
		assert.NotEqual(t, reflect.Pointer, typ.Kind(), "%v is not a pointer", s)
		assert.NotEqual(t, reflect.Struct, typ.Kind(), "%v has no fields", s)
		_, isError := s.(*Error)
		assert.False(t, isError)
	}
	assert.False(t, errors.Is(NoCredentials(), &Error{Kind: KindUnauthenticated}), "look-alikes are not sentinels")
	assert.True(t, errors.Is(NoCredentials(), ErrUnauthenticated))
}

func TestErrorIsNotLooseEquality(t *testing.T) {
	a := InvalidToken("token expired", nil)
	b := InvalidToken("audience mismatch", nil)
	assert.False(t, errors.Is(a, b), "two detailed errors of one kind are distinct")
	assert.True(t, errors.Is(a, ErrUnauthenticated))
	assert.False(t, errors.Is(ErrUnauthenticated, a))
}

func TestErrorCauseKeptOutOfDescription(t *testing.T) {
	cause := errors.New("crypto/rsa: verification error key=deadbeef")
	e := InvalidToken("invalid signature", cause)
	assert.ErrorIs(t, e, cause)
	assert.NotContains(t, e.Description, "deadbeef")
	assert.Contains(t, e.Error(), "deadbeef", "Error() is for logs")
}

func TestInsufficientScopeCopiesScopes(t *testing.T) {
	s := []string{"a", "b"}
	e := InsufficientScope("x", s...)
	s[0] = "z"
	assert.Equal(t, []string{"a", "b"}, e.Scopes)
}

func TestAs(t *testing.T) {
	assert.Equal(t, KindInternal, As(nil).Kind, "a nil error is a programming error")
	assert.Equal(t, KindForbidden, As(fmt.Errorf("x: %w", ErrForbidden)).Kind, "a sentinel classifies as its kind")
	e := As(io.EOF)
	assert.Equal(t, KindInternal, e.Kind)
	assert.ErrorIs(t, e, io.EOF)
	assert.Equal(t, "internal error", e.Description)
}

func TestKindString(t *testing.T) {
	for k, s := range map[Kind]string{
		KindInternal: "internal", KindUnauthenticated: "unauthenticated", KindForbidden: "forbidden",
		KindInvalidRequest: "invalid_request", KindUnavailable: "unavailable", 0: "internal", 200: "internal",
	} {
		assert.Equal(t, s, k.String())
	}
	assert.Equal(t, 500, Kind(0).Status())
	for _, k := range []Kind{0, KindInternal, KindUnauthenticated, KindForbidden, KindInvalidRequest, KindUnavailable} {
		assert.NotEmpty(t, (&Error{Kind: k}).ClientMessage())
	}
	assert.Equal(t, "x", (&Error{Kind: KindForbidden, Description: "x"}).ClientMessage())
}
