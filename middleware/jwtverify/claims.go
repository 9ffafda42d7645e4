package jwtverify

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
)

// maxNumericDate is the largest accepted NumericDate: 9999-12-31T23:59:59Z.
// Larger values are refused instead of overflowing time arithmetic.
const maxNumericDate = 253402300799

// numericDate reads a NumericDate claim (RFC 7519 §2): a JSON number of
// seconds, possibly fractional. Strings such as "9999999999", negative,
// non-finite and absurdly large values are refused. present is false when
// the claim is absent.
func numericDate(claims map[string]any, name string) (t time.Time, present bool, err error) {
	v, ok := claims[name]
	if !ok {
		return time.Time{}, false, nil
	}
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return time.Time{}, true, fmt.Errorf("%w: %q is not a NumericDate", ErrClaim, name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}

// stringClaim reads an optional string claim; a non-string is an error.
func stringClaim(claims map[string]any, name string) (string, error) {
	v, ok := claims[name]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: %q is not a string", ErrClaim, name)
	}
	return s, nil
}

// stringsClaim reads a claim that is a string or an array of strings, as
// "aud" is (RFC 7519 §4.1.3). split, when true, splits a string at spaces
// (scope strings). Any non-string element is an error.
func stringsClaim(claims map[string]any, name string, split bool) ([]string, error) {
	switch v := claims[name].(type) {
	case nil:
		if _, ok := claims[name]; ok {
			return nil, fmt.Errorf("%w: %q is null", ErrClaim, name)
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
				return nil, fmt.Errorf("%w: %q has a non-string element", ErrClaim, name)
			}
			if s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: %q is not a string or an array of strings", ErrClaim, name)
}

// scopesOf merges the scopes of the named claims, in order, without
// repeats: a string claim split at spaces, an array claim's elements.
func scopesOf(claims map[string]any, names []string) ([]string, error) {
	var out []string
	for _, name := range names {
		s, err := stringsClaim(claims, name, true)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = s // fresh: stringsClaim allocates
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

// failure is one failed claim check: the client-safe description and
// the cause.
type failure struct {
	desc  string
	cause error
}

// checkClaims validates the registered claims and maps them to a
// principal. It checks every claim and reports all failures: the error's
// description is that of the first (in the order below) and its cause
// joins them all. keyIssuer, when set, is the only issuer the signing key
// may vouch for.
func (v *Verifier) checkClaims(claims map[string]any, keyIssuer string, now time.Time) (*authresult.Principal, *authresult.Error) {
	var fails []failure
	fail := func(desc string, cause error) { fails = append(fails, failure{desc, cause}) }

	exp, hasExp, err := numericDate(claims, "exp")
	switch {
	case err != nil:
		fail(descClaim, err)
	case !hasExp && !v.allowMissingExpiry:
		fail(descClaim, fmt.Errorf(`%w: "exp" is required`, ErrClaim))
	case hasExp && !now.Before(exp.Add(v.leeway)):
		fail(descExpired, fmt.Errorf("%w: exp %s, now %s", ErrExpired, exp.Format(time.RFC3339), now.Format(time.RFC3339)))
	}
	if nbf, has, err := numericDate(claims, "nbf"); err != nil {
		fail(descClaim, err)
	} else if has && now.Add(v.leeway).Before(nbf) {
		fail(descNotYetValid, fmt.Errorf("%w: nbf %s, now %s", ErrNotYetValid, nbf.Format(time.RFC3339), now.Format(time.RFC3339)))
	}
	if iat, has, err := numericDate(claims, "iat"); err != nil {
		fail(descClaim, err)
	} else if has && now.Add(v.leeway).Before(iat) {
		fail(descIssuedAt, fmt.Errorf("%w: iat %s, now %s", ErrIssuedInFuture, iat.Format(time.RFC3339), now.Format(time.RFC3339)))
	}

	iss, err := stringClaim(claims, "iss")
	var is *issuer
	switch {
	case err != nil:
		fail(descIssuer, errors.Join(ErrIssuer, err))
	case iss == "":
		fail(descIssuer, fmt.Errorf(`%w: "iss" is missing`, ErrIssuer))
	default:
		if is, err = v.issuers.match(iss, claims); err != nil {
			fail(descIssuer, err)
		} else if keyIssuer != "" && is.spec != keyIssuer {
			fail(descIssuer, fmt.Errorf("%w: key of issuer %q used for %q", ErrIssuer, keyIssuer, iss))
		}
	}

	aud, err := stringsClaim(claims, "aud", false)
	switch {
	case err != nil:
		fail(descAudience, errors.Join(ErrAudience, err))
	case is == nil && v.issuers.unknown == nil:
	case is == nil && !v.issuers.unknown.audiences.Match(aud):
		fail(descAudience, fmt.Errorf("%w: %q", ErrAudience, aud))
	case is == nil:
	case is.anyAudience:
	case len(aud) == 0:
		fail(descAudience, fmt.Errorf(`%w: "aud" is missing`, ErrAudience))
	case !is.audiences.Match(aud):
		fail(descAudience, fmt.Errorf("%w: %q", ErrAudience, aud))
	}

	sub, err := stringClaim(claims, "sub")
	switch {
	case err != nil:
		fail(descSubject, err)
	case sub == "":
		fail(descSubject, fmt.Errorf(`%w: "sub" is missing`, ErrClaim))
	}

	clientID, err := stringClaim(claims, "client_id")
	if err != nil {
		fail(descClaim, err)
	}
	if clientID == "" {
		if clientID, err = stringClaim(claims, "azp"); err != nil {
			fail(descClaim, err)
		}
	}

	var scopes []string
	if is != nil {
		if scopes, err = scopesOf(claims, is.scopeClaims); err != nil {
			fail(descClaim, err)
		}
	}

	if len(fails) > 0 {
		return nil, joinFailures(fails)
	}
	p := &authresult.Principal{
		Subject:  sub,
		Issuer:   iss,
		Audience: aud,
		Scopes:   scopes,
		ClientID: clientID,
		Claims:   claims,
	}
	if hasExp {
		p.Expiry = exp
	}
	return p, nil
}

// joinFailures turns failed checks into one invalid_token error.
func joinFailures(fails []failure) *authresult.Error {
	if len(fails) == 1 {
		return invalid(fails[0].desc, fails[0].cause)
	}
	causes := make([]error, len(fails))
	for i, f := range fails {
		causes[i] = f.cause
	}
	return invalid(fails[0].desc, errors.Join(causes...))
}
