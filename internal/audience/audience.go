// Package audience matches a token's audiences against a resource server's
// identifiers in RFC 8707 canonical form: the one audience rule of JWT
// verification and token introspection.
package audience

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrFragment is the error of an audience with a fragment.
var ErrFragment = errors.New("resource identifier has a fragment")

// Set holds this server's resource identifiers, as given and in
// canonical form.
type Set struct {
	exact     map[string]bool
	canonical map[string]bool
}

// New returns the set of auds; an empty or fragment-bearing audience is an
// error.
func New(auds []string) (Set, error) {
	s := Set{exact: map[string]bool{}, canonical: map[string]bool{}}
	for _, a := range auds {
		if a == "" {
			return s, errors.New("empty audience")
		}
		c, ok := Canonical(a)
		if !ok {
			return s, fmt.Errorf("%w: %q", ErrFragment, a)
		}
		s.exact[a] = true
		s.canonical[c] = true
	}
	return s, nil
}

// Match reports whether any of the token's audiences names this server.
// Exact matches are tried first; canonicalizing is the slower path.
func (s Set) Match(aud []string) bool {
	for _, a := range aud {
		if s.exact[a] {
			return true
		}
	}
	for _, a := range aud {
		if c, ok := Canonical(a); ok && s.canonical[c] {
			return true
		}
	}
	return false
}

// Canonical returns the form in which resource identifiers are
// compared (RFC 8707 §2, RFC 3986 §6.2.2/§6.2.3): for an absolute URL
// with a host, the scheme and host lower-cased, a default port dropped,
// an empty path made "/" and one trailing slash dropped; the userinfo,
// query and path otherwise kept as they are. Other strings (URNs, bare
// names) are returned as they are. ok is false for a URL with a fragment,
// which RFC 8707 forbids and which never matches.
func Canonical(s string) (string, bool) {
	if strings.IndexByte(s, '#') >= 0 {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return s, true
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	path := u.EscapedPath()
	path = strings.TrimSuffix(path, "/")
	var b strings.Builder
	b.WriteString(scheme)
	b.WriteString("://")
	if u.User != nil {
		b.WriteString(u.User.String())
		b.WriteByte('@')
	}
	b.WriteString(host)
	b.WriteString(path)
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteByte('?')
		b.WriteString(u.RawQuery)
	}
	return b.String(), true
}
