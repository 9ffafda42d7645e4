// Package claims reads the members of a decoded JSON object whose
// members are token claims: a JWT's payload or an introspection response.
// It is the one rule for their JSON types, shared by jwtverify and
// introspect: a malformed member is an error wrapping the reader's Err,
// never a zero value taken for absent.
package claims

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
)

// MaxNumericDate is the largest accepted NumericDate,
// 9999-12-31T23:59:59Z; larger values are refused instead of overflowing
// time arithmetic.
const MaxNumericDate = 253402300799

// Reader reads members; its errors wrap Err for a malformed member, and
// the three time sentinels for a failed time check (see Times).
type Reader struct {
	Err                                  error
	Expired, NotYetValid, IssuedInFuture error
}

// Window names the time check that failed (Times).
type Window int

// The time checks.
const (
	Malformed      Window = iota // a time claim is not a NumericDate
	Expired                      // now is at or after exp plus the leeway
	NotYetValid                  // nbf is after now plus the leeway
	IssuedInFuture               // iat is after now plus the leeway
)

// Times checks the time claims of m at now with leeway: exp, when
// present, must be after now less the leeway; nbf and iat, when present,
// not after now plus the leeway. It calls fail for each failed check,
// with the cause (wrapping the Reader's sentinel for it), and returns
// exp and whether it is present (malformed included).
func (r Reader) Times(m map[string]any, now time.Time, leeway time.Duration, fail func(Window, error)) (exp time.Time, hasExp bool) {
	exp, hasExp, err := r.Time(m, "exp")
	switch {
	case err != nil:
		fail(Malformed, err)
	case hasExp && !now.Before(exp.Add(leeway)):
		fail(Expired, fmt.Errorf("%w: exp %s, now %s", r.Expired, exp.Format(time.RFC3339), now.Format(time.RFC3339)))
	}
	for _, c := range [...]struct {
		name string
		w    Window
		err  error
	}{{"nbf", NotYetValid, r.NotYetValid}, {"iat", IssuedInFuture, r.IssuedInFuture}} {
		t, has, err := r.Time(m, c.name)
		switch {
		case err != nil:
			fail(Malformed, err)
		case has && now.Add(leeway).Before(t):
			fail(c.w, fmt.Errorf("%w: %s %s, now %s", c.err, c.name, t.Format(time.RFC3339), now.Format(time.RFC3339)))
		}
	}
	return exp, hasExp
}

// Time reads a NumericDate (RFC 7519 §2): a JSON number of seconds,
// possibly fractional. Strings such as "9999999999", negative,
// non-finite and larger than MaxNumericDate values are refused. present
// is false when the member is absent.
func (r Reader) Time(m map[string]any, name string) (t time.Time, present bool, err error) {
	v, ok := m[name]
	if !ok {
		return time.Time{}, false, nil
	}
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || f < 0 || f > MaxNumericDate {
		return time.Time{}, true, fmt.Errorf("%w: %q is not a NumericDate", r.Err, name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}

// String reads an optional string member; a non-string, null included,
// is an error.
func (r Reader) String(m map[string]any, name string) (s string, present bool, err error) {
	v, ok := m[name]
	if !ok {
		return "", false, nil
	}
	if s, ok = v.(string); !ok {
		return "", true, fmt.Errorf("%w: %q is not a string", r.Err, name)
	}
	return s, true, nil
}

// Strings reads a member that is a string or an array of strings, as
// "aud" is (RFC 7519 §4.1.3). split, when true, splits a string at spaces
// (scope strings). Empty strings are dropped; null and any non-string
// element are errors.
func (r Reader) Strings(m map[string]any, name string, split bool) ([]string, error) {
	switch v := m[name].(type) {
	case nil:
		if _, ok := m[name]; ok {
			return nil, fmt.Errorf("%w: %q is null", r.Err, name)
		}
		return nil, nil
	case string:
		if split {
			return authresult.ParseScope(v), nil
		}
		if v == "" {
			return nil, nil
		}
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%w: %q has a non-string element", r.Err, name)
			}
			if s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: %q is not a string or an array of strings", r.Err, name)
}

// Scopes merges the scopes of the named members, in order, without
// repeats: a string split at spaces, an array's elements.
func (r Reader) Scopes(m map[string]any, names []string) ([]string, error) {
	var out []string
	for _, name := range names {
		s, err := r.Strings(m, name, true)
		if err != nil {
			return nil, err
		}
		if out == nil {
			if len(s) > 0 {
				out = s // fresh: Strings allocates
			}
		} else {
			out = append(out, s...)
		}
	}
	return uniq(out), nil
}

// uniq drops repeats from s, keeping the first of each, in place.
func uniq(s []string) []string {
	if len(s) < 2 {
		return s
	}
	seen := make(map[string]struct{}, len(s))
	out := s[:0]
	for _, x := range s {
		if _, dup := seen[x]; !dup {
			seen[x] = struct{}{}
			out = append(out, x)
		}
	}
	return out
}

// Failures collects the failed checks of one token, so that every one is
// reported: the client is told the first one's description, the logs get
// every cause.
type Failures struct {
	desc   string
	causes []error
}

// Add records a failed check.
func (f *Failures) Add(desc string, cause error) {
	if len(f.causes) == 0 {
		f.desc = desc
	}
	f.causes = append(f.causes, cause)
}

// Err is the invalid_token error of the failures, or nil when none was
// added.
func (f *Failures) Err() *authresult.Error {
	switch len(f.causes) {
	case 0:
		return nil
	case 1:
		return authresult.InvalidToken(f.desc, f.causes[0])
	}
	return authresult.InvalidToken(f.desc, errors.Join(f.causes...))
}
