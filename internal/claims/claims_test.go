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

func TestTimes(t *testing.T) {
	errExp, errNbf, errIat := errors.New("expired"), errors.New("nbf"), errors.New("iat")
	r := Reader{Err: errClaim, Expired: errExp, NotYetValid: errNbf, IssuedInFuture: errIat}
	now := time.Unix(1_800_000_000, 0)
	n := float64(now.Unix())
	tests := []struct {
		name string
		m    map[string]any
		want []Window
	}{
		{"valid", map[string]any{"exp": n + 10, "nbf": n, "iat": n}, nil},
		{"within the leeway", map[string]any{"exp": n - 30, "nbf": n + 30, "iat": n + 30}, nil},
		{"expired", map[string]any{"exp": n - 60}, []Window{Expired}},
		{"not yet valid", map[string]any{"exp": n + 10, "nbf": n + 61}, []Window{NotYetValid}},
		{"issued in the future", map[string]any{"iat": n + 61}, []Window{IssuedInFuture}},
		{"all three, and a malformed one", map[string]any{"exp": n - 61, "nbf": "x", "iat": n + 61}, []Window{Expired, Malformed, IssuedInFuture}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Window
			_, _ = r.Times(tt.m, now, time.Minute, func(w Window, err error) {
				got = append(got, w)
				switch w {
				case Expired:
					assert.ErrorIs(t, err, errExp)
				case NotYetValid:
					assert.ErrorIs(t, err, errNbf)
				case IssuedInFuture:
					assert.ErrorIs(t, err, errIat)
				case Malformed:
					assert.ErrorIs(t, err, errClaim)
				}
			})
			assert.Equal(t, tt.want, got)
		})
	}
	exp, has := r.Times(map[string]any{"exp": "soon"}, now, 0, func(Window, error) {})
	assert.True(t, has, "a malformed exp is present")
	assert.True(t, exp.IsZero())
}

func TestFailures(t *testing.T) {
	var f Failures
	assert.Nil(t, f.Err(), "no failure, no error")
	first, second := errors.New("first"), errors.New("second")
	f.Add("token expired", first)
	e := f.Err()
	require.NotNil(t, e)
	assert.Equal(t, "token expired", e.Description)
	assert.ErrorIs(t, e, first)
	f.Add("invalid issuer", second)
	e = f.Err()
	assert.Equal(t, "token expired", e.Description, "the client hears the first")
	assert.ErrorIs(t, e, first)
	assert.ErrorIs(t, e, second, "the logs get every cause")
	assert.Equal(t, 401, e.Status())
}
