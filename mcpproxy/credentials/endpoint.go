package credentials

import (
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth/internal/discovery"
)

// checkEndpoint reports why raw cannot be a token endpoint: it must be an
// absolute https URL (http only on a loopback host) without user info or
// fragment.
func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || !discovery.SecureURL(u) {
		return errors.New("is not an https URL without user info or fragment (http only on a loopback host)")
	}
	return nil
}

// equalFold is strings.EqualFold, named for what it decides here.
func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// printable returns s cut to 64 bytes of printable ASCII, for quoting an
// authorization server's error code in a log without letting it write
// anything else.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 64 {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r >= 0x7f || r == utf8.RuneError {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}
