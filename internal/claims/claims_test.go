package claims

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errClaim = errors.New("bad claim")

var read = Reader{Err: errClaim}

func TestTime(t *testing.T) {
	for _, bad := range []any{"1800000000", -1.0, math.NaN(), math.Inf(1), float64(MaxNumericDate + 1), nil, true} {
		_, present, err := read.Time(map[string]any{"exp": bad}, "exp")
		assert.True(t, present)
		assert.ErrorIs(t, err, errClaim, "%v", bad)
	}
	got, present, err := read.Time(map[string]any{"exp": 1800000000.5}, "exp")
	require.NoError(t, err)
	assert.True(t, present)
	assert.Equal(t, time.Unix(1800000000, 5e8).UTC(), got)
	_, present, err = read.Time(map[string]any{}, "exp")
	assert.False(t, present)
	assert.NoError(t, err)
}

func TestStringAndStrings(t *testing.T) {
	_, _, err := read.String(map[string]any{"sub": nil}, "sub")
	assert.ErrorIs(t, err, errClaim, "null is not a string")
	s, present, err := read.String(map[string]any{"sub": "a"}, "sub")
	require.NoError(t, err)
	assert.True(t, present)
	assert.Equal(t, "a", s)

	m := map[string]any{"aud": []any{"a", "", "b"}, "one": "x", "empty": "", "scope": " r  w ", "bad": []any{"a", 1}, "null": nil, "num": 1.0}
	for name, want := range map[string][]string{"aud": {"a", "b"}, "one": {"x"}, "empty": nil, "missing": nil} {
		got, err := read.Strings(m, name, false)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}
	got, err := read.Strings(m, "scope", true)
	require.NoError(t, err)
	assert.Equal(t, []string{"r", "w"}, got)
	for _, name := range []string{"bad", "null", "num"} {
		_, err := read.Strings(m, name, false)
		assert.ErrorIs(t, err, errClaim, name)
	}
}

func TestScopes(t *testing.T) {
	got, err := read.Scopes(map[string]any{"scope": "a b a", "scp": []any{"b", "c"}, "roles": []any{"Admin"}}, []string{"scope", "scp", "roles"})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c", "Admin"}, got)
	_, err = read.Scopes(map[string]any{"scp": 1.0}, []string{"scope", "scp"})
	assert.ErrorIs(t, err, errClaim)
}

func TestScopesEmpty(t *testing.T) {
	got, err := read.Scopes(map[string]any{"scope": "", "scp": []any{}}, []string{"scope", "scp"})
	require.NoError(t, err)
	assert.Nil(t, got, "no scopes is nil")
}
