package introspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/claims"
	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// clientSubjectPrefix begins the Subject of a token without "sub" when
// Options.AllowClientCredentials is set.
const clientSubjectPrefix = "client:"

// decode parses a 200 response body into its members. The body must be
// valid UTF-8 and exactly one JSON object in which no member is named
// twice, however the names are escaped: encoding/json would keep the
// last of two, another reader the first. Anything else is a malformed
// response (503), not a verdict on the token.
func decode(body []byte) (map[string]any, error) {
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrResponse)
	}
	seen := map[string]struct{}{}
	twice := false
	ok := jsonscan.Object(body, func(key, _ []byte) {
		name, _ := jsonscan.Unquote(key)
		if _, again := seen[name]; again {
			twice = true
		}
		seen[name] = struct{}{}
	})
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: not one JSON object", ErrResponse)
	case twice:
		// The name is not quoted: a response's names are not ours to log.
		return nil, fmt.Errorf("%w: a member is named twice", ErrResponse)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrResponse, err)
	}
	return m, nil
}

// check decides a decoded response at now: it returns the principal, the
// time until which it may be cached (its "exp", zero for none), or the
// error. A response whose "active" is not true is refused at once;
// otherwise every check runs and the error's description is the first
// failure's (in the order below) while its cause joins them all.
func (v *Verifier) check(body []byte, now time.Time) (*authresult.Principal, time.Time, *authresult.Error) {
	m, err := decode(body)
	if err != nil {
		return nil, time.Time{}, unavailable(v.retryAfter, err)
	}
	if active, ok := m["active"].(bool); !ok || !active {
		return nil, time.Time{}, invalid(descInactive, inactiveCause(m))
	}

	var fails claims.Failures
	fail := fails.Add

	exp, hasExp := read.Times(m, now, v.leeway, func(w claims.Window, err error) { fail(timeDesc[w], err) })

	if err := tokenType(m, v.requireType); err != nil {
		fail(descTokenType, err)
	}

	iss, hasIss, err := read.String(m, "iss")
	switch {
	case err != nil:
		fail(descIssuer, errors.Join(ErrIssuer, err))
	case !hasIss && v.soleIssuer != "":
		iss = v.soleIssuer
	case !hasIss:
		fail(descIssuer, fmt.Errorf(`%w: "iss" is missing`, ErrIssuer))
	case !v.issuers[iss]:
		fail(descIssuer, fmt.Errorf("%w: %s", ErrIssuer, quote(iss)))
	}

	aud, err := read.Strings(m, "aud", false)
	switch {
	case err != nil:
		fail(descAudience, errors.Join(ErrAudience, err))
	case v.anyAudience:
	case len(aud) == 0:
		fail(descAudience, fmt.Errorf(`%w: "aud" is missing`, ErrAudience))
	case !v.audiences.Match(aud):
		fail(descAudience, fmt.Errorf("%w: %s (of %d)", ErrAudience, quote(aud[0]), len(aud)))
	}

	clientID, _, err := read.String(m, "client_id")
	if err != nil {
		fail(descClaim, err)
	}
	sub, hasSub, err := read.String(m, "sub")
	switch {
	case err != nil:
		fail(descSubject, errors.Join(ErrSubject, err))
	case hasSub && sub == "":
		fail(descSubject, fmt.Errorf(`%w: "sub" is empty`, ErrSubject))
	case hasSub:
	case v.allowClient && clientID != "":
		sub = clientSubjectPrefix + clientID
	case v.allowClient:
		fail(descSubject, fmt.Errorf(`%w: neither "sub" nor "client_id"`, ErrSubject))
	default:
		fail(descSubject, fmt.Errorf(`%w: "sub" is missing`, ErrSubject))
	}

	scopes, err := read.Scopes(m, v.scopeClaims)
	if err != nil {
		fail(descClaim, err)
	}

	if e := fails.Err(); e != nil {
		return nil, time.Time{}, e
	}
	p := &authresult.Principal{
		Subject:  sub,
		Issuer:   iss,
		Audience: aud,
		Scopes:   scopes,
		ClientID: clientID,
		Claims:   m,
	}
	if hasExp {
		p.Expiry = exp
	}
	return p, p.Expiry, nil
}

// inactiveCause says how "active" failed to be true.
func inactiveCause(m map[string]any) error {
	a, ok := m["active"]
	switch {
	case !ok:
		return fmt.Errorf(`%w: "active" is missing`, ErrInactive)
	case a == false:
		return ErrInactive
	}
	return fmt.Errorf(`%w: "active" is %T, not the JSON value true`, ErrInactive, a)
}

// read reads the members of a response; its errors wrap ErrClaim.
var read = claims.Reader{Err: ErrClaim, Expired: ErrExpired, NotYetValid: ErrNotYetValid, IssuedInFuture: ErrIssuedInFuture}

// timeDesc is the client description of each failed time check.
var timeDesc = [...]string{claims.Malformed: descClaim, claims.Expired: descExpired, claims.NotYetValid: descNotYetValid, claims.IssuedInFuture: descIssuedAt}

// tokenType refuses responses that describe something other than a bearer
// access token: "token_type" (RFC 7662 §2.2, an RFC 6749 §7.1 type) must
// be Bearer, so that a DPoP-bound token (RFC 9449) is not taken as a
// bearer token; "token_use" (Ory Hydra, Amazon Cognito) must be
// access_token or access, not refresh_token or id; "typ" (Keycloak) must
// be Bearer or at+jwt, not Refresh, Offline or ID. Each is checked only
// when present, and "token_type" must be present when required. "cnf" (RFC 7800, RFC 8705, RFC 9449) binds the token to a
// key or certificate whose possession this verifier, which sees only the
// token, cannot check, so a token with it is refused.
func tokenType(m map[string]any, requireType bool) error {
	if _, ok := m["token_type"]; !ok && requireType {
		return fmt.Errorf(`%w: "token_type" is missing`, ErrTokenType)
	}
	for _, c := range []struct {
		name string
		ok   []string
	}{
		{"token_type", []string{"bearer"}},
		{"token_use", []string{"access_token", "access"}},
		{"typ", []string{"bearer", "at+jwt", "application/at+jwt"}},
	} {
		s, has, err := read.String(m, c.name)
		switch {
		case err != nil:
			return errors.Join(ErrTokenType, err)
		case !has:
			continue
		}
		known := false
		for _, ok := range c.ok {
			known = known || strings.EqualFold(s, ok)
		}
		if !known {
			return fmt.Errorf("%w: %s %s", ErrTokenType, c.name, quote(s))
		}
	}
	if _, ok := m["cnf"]; ok {
		return fmt.Errorf(`%w: "cnf" binds the token to a key, which a bearer token check cannot prove`, ErrTokenType)
	}
	return nil
}
