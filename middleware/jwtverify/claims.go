package jwtverify

import (
	"errors"
	"fmt"
	"time"

	claimread "github.com/mcpauth/mcpauth/internal/claims"

	"github.com/mcpauth/mcpauth/authresult"
)

// checkClaims validates the registered claims and maps them to a
// principal. It checks every claim and reports all failures: the error's
// description is that of the first (in the order below) and its cause
// joins them all. keyIssuer, when set, is the only issuer the signing key
// may vouch for.
func (v *Verifier) checkClaims(claims map[string]any, keyIssuer string, now time.Time) (*authresult.Principal, *authresult.Error) {
	var fails claimread.Failures
	fail := fails.Add

	exp, hasExp := read.Times(claims, now, v.leeway, func(w claimread.Window, err error) { fail(timeDesc[w], err) })
	if !hasExp && !v.allowMissingExpiry {
		fail(descClaim, fmt.Errorf(`%w: "exp" is required`, ErrClaim))
	}

	iss, _, err := read.String(claims, "iss")
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

	aud, err := read.Strings(claims, "aud", false)
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

	sub, _, err := read.String(claims, "sub")
	switch {
	case err != nil:
		fail(descSubject, err)
	case sub == "":
		fail(descSubject, fmt.Errorf(`%w: "sub" is missing`, ErrClaim))
	}

	clientID, _, err := read.String(claims, "client_id")
	if err != nil {
		fail(descClaim, err)
	}
	if clientID == "" {
		if clientID, _, err = read.String(claims, "azp"); err != nil {
			fail(descClaim, err)
		}
	}

	var scopes []string
	if is != nil {
		if scopes, err = read.Scopes(claims, is.scopeClaims); err != nil {
			fail(descClaim, err)
		}
	}

	if e := fails.Err(); e != nil {
		return nil, e
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
