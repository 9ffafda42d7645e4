package jwtverify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mcpauth/mcpauth/internal/audience"
)

// IssuerOptions are the settings of one issuer that differ from the
// Verifier's: the resource identifiers its tokens must name and the
// claims its scopes are read from. A zero field takes the Verifier's
// value (Options.Audiences, Options.AnyAudience, Options.ScopeClaims).
type IssuerOptions struct {
	// Audiences replaces Options.Audiences for this issuer.
	Audiences []string
	// AnyAudience turns the audience check off for this issuer.
	AnyAudience bool
	// ScopeClaims replaces Options.ScopeClaims for this issuer.
	ScopeClaims []string
}

// issuer is one accepted issuer: a URL compared exactly, or a template
// with one {claim} placeholder that the token's own claim of that name
// fills (https://login.microsoftonline.com/{tid}/v2.0 with the tid claim):
// the token's iss must equal the template filled with it, so a tenant is
// never taken from iss alone.
type issuer struct {
	spec           string // as configured: the key of bound keys and IssuerOptions
	prefix, suffix string // a template's parts around the placeholder
	claim          string // the placeholder's claim; "" for an exact issuer
	audiences      audience.Set
	anyAudience    bool
	scopeClaims    []string
}

// defaultScopeClaims are read, merged, when Options.ScopeClaims is empty:
// "scope" (a space-delimited string, RFC 8693 and RFC 9068) and "scp" (a
// string or an array, as Entra ID and Okta send).
var defaultScopeClaims = []string{"scope", "scp"}

// newIssuer parses one Issuers entry.
func newIssuer(spec string, o *Options, io IssuerOptions) (*issuer, error) {
	if spec == "" {
		return nil, errors.New("empty issuer")
	}
	is := &issuer{spec: spec, anyAudience: o.AnyAudience, scopeClaims: o.ScopeClaims}
	if open := strings.IndexByte(spec, '{'); open >= 0 {
		end := strings.IndexByte(spec[open:], '}')
		if end < 0 || strings.ContainsAny(spec[open+end+1:], "{}") || strings.ContainsAny(spec[:open], "}") {
			return nil, fmt.Errorf("issuer %q: a template has exactly one {claim} placeholder", spec)
		}
		is.prefix, is.claim, is.suffix = spec[:open], spec[open+1:open+end], spec[open+end+1:]
		if !validTemplateValue(is.claim) || !pathPrefix(is.prefix) {
			return nil, fmt.Errorf("issuer %q: the placeholder must name a claim and stand in the path, after the issuer's origin and a slash", spec)
		}
	}
	auds := o.Audiences
	switch {
	case io.AnyAudience && len(io.Audiences) > 0:
		return nil, fmt.Errorf("issuer %q: Audiences and AnyAudience are both set", spec)
	case io.AnyAudience:
		is.anyAudience, auds = true, nil
	case len(io.Audiences) > 0:
		is.anyAudience, auds = false, io.Audiences
	}
	if !is.anyAudience && len(auds) == 0 {
		return nil, fmt.Errorf("issuer %q: Audiences is required (set AnyAudience to opt out)", spec)
	}
	var err error
	if is.audiences, err = audience.New(auds); err != nil {
		return nil, fmt.Errorf("issuer %q: %w", spec, err)
	}
	if len(io.ScopeClaims) > 0 {
		is.scopeClaims = io.ScopeClaims
	}
	if len(is.scopeClaims) == 0 {
		is.scopeClaims = defaultScopeClaims
	}
	for _, c := range is.scopeClaims {
		if c == "" {
			return nil, fmt.Errorf("issuer %q: empty scope claim name", spec)
		}
	}
	return is, nil
}

// pathPrefix reports whether prefix is an absolute URL's origin followed
// by a slash and perhaps more path: a placeholder after it can choose a
// path segment, never the host.
func pathPrefix(prefix string) bool {
	scheme, rest, ok := strings.Cut(prefix, "://")
	if !ok || (scheme != "https" && scheme != "http") {
		return false
	}
	host, _, ok := strings.Cut(rest, "/")
	return ok && host != "" && !strings.ContainsAny(host, "?#@")
}

// validTemplateValue reports whether s may fill an issuer template: a
// tenant id or name, never a path, a query or another host.
func validTemplateValue(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return s != "." && s != ".."
}

// issuers are the accepted issuers of a Verifier.
type issuers struct {
	exact     map[string]*issuer
	templates []*issuer
	specs     map[string]bool
	// unknown checks the audience of a token whose issuer is refused, so
	// that every failed claim is reported: the Verifier's own audiences.
	unknown *issuer
}

// match returns the accepted issuer of a token whose iss is iss, or an
// error saying why there is none.
func (s *issuers) match(iss string, claims map[string]any) (*issuer, error) {
	if is := s.exact[iss]; is != nil {
		return is, nil
	}
	for _, t := range s.templates {
		if !strings.HasPrefix(iss, t.prefix) || !strings.HasSuffix(iss, t.suffix) || len(iss) < len(t.prefix)+len(t.suffix) {
			continue
		}
		v, ok := claims[t.claim].(string)
		if !ok || !validTemplateValue(v) {
			return nil, fmt.Errorf("%w: %q matches %q, but the token's %q claim is missing or not a tenant", ErrIssuer, iss, t.spec, t.claim)
		}
		if iss != t.prefix+v+t.suffix {
			return nil, fmt.Errorf("%w: %q is not %q filled with the token's %q claim %q", ErrIssuer, iss, t.spec, t.claim, v)
		}
		return t, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrIssuer, iss)
}
