package mcphandler

import (
	"net/netip"
	"strings"
)

// A policy names resources by exact URI, but servers look resources up
// by URIs they have normalized first: the TypeScript SDK by
// new URL(uri).href (WHATWG URL: scheme lower-cased, tabs and newlines
// dropped, controls trimmed, dot segments resolved, default ports
// removed), others by RFC 3986 §6 normalization or by the exact string.
// Two spellings of one resource would let a reader past a policy that
// lists only one. So when the policy names resources, the guard accepts
// only URIs that neither normalization changes — then the exact string
// the guard matched is the one every server looks up — and refuses the
// rest with -32602 (checkResourceURI). Policy keys must be in the same
// form.

// uriProblem returns why s is not a URI that RFC 3986 normalization and
// the WHATWG URL parser both leave unchanged, or "" when it is one.
func uriProblem(s string) string {
	if s == "" {
		return "empty"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !uriChar(c) {
			return "a character outside RFC 3986 (control, space, non-ASCII or one of \"<>\\^`{|})"
		}
		if c == '%' {
			if i+2 >= len(s) || !upperHex(s[i+1]) || !upperHex(s[i+2]) {
				return "a percent-encoding without two upper-case hex digits"
			}
			if unreserved(unhex(s[i+1])<<4 | unhex(s[i+2])) {
				return "a percent-encoded unreserved character"
			}
		}
	}
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || !validScheme(s[:colon]) {
		return "no lower-case scheme"
	}
	scheme, rest := s[:colon], s[colon+1:]
	if strings.IndexByte(rest, '#') >= 0 {
		return "a fragment"
	}
	special := defaultPort[scheme] != "" || scheme == "file"
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		query := rest[q+1:]
		switch {
		case query == "":
			return "an empty query"
		case special && strings.IndexByte(query, '\'') >= 0:
			return "a quote in the query of a special scheme"
		}
		rest = rest[:q]
	}
	path := rest
	if strings.HasPrefix(rest, "//") {
		auth := rest[2:]
		path = ""
		if slash := strings.IndexByte(auth, '/'); slash >= 0 {
			auth, path = auth[:slash], auth[slash:]
		}
		if p := authorityProblem(scheme, auth); p != "" {
			return p
		}
		switch {
		case special && path == "":
			return "an empty path after the authority of a special scheme"
		case auth == "" && path == "":
			return "an empty authority and path" // net/url writes "scheme:"
		}
	} else if special {
		return "a special scheme without an authority"
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return "a dot segment"
		}
	}
	return ""
}

// defaultPort is the default port of the WHATWG special schemes that have
// one.
var defaultPort = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}

// authorityProblem checks the authority of a URI of scheme.
func authorityProblem(scheme, auth string) string {
	if strings.IndexByte(auth, '@') >= 0 {
		return "userinfo"
	}
	host, port := auth, ""
	if strings.HasPrefix(auth, "[") {
		end := strings.IndexByte(auth, ']')
		if end < 0 {
			return "an unterminated IP literal"
		}
		ip, err := netip.ParseAddr(auth[1:end])
		if err != nil || !ip.Is6() || ip.Zone() != "" || ip.String() != auth[1:end] || strings.IndexByte(auth[1:end], '.') >= 0 {
			return "an IPv6 literal not in RFC 5952 form"
		}
		host, port = "", auth[end+1:]
		if port != "" && port[0] != ':' {
			return "text after an IP literal"
		}
	} else if c := strings.LastIndexByte(auth, ':'); c >= 0 {
		host, port = auth[:c], auth[c:]
	}
	if port != "" {
		port = port[1:]
		switch {
		case port == "" || strings.Trim(port, "0123456789") != "":
			return "a port that is not a number"
		case len(port) > 1 && port[0] == '0':
			return "a port with a leading zero"
		case port == defaultPort[scheme]:
			return "the scheme's default port"
		}
	}
	if strings.ContainsAny(host, "[]%:") || strings.ToLower(host) != host {
		return "a host that is not lower-case"
	}
	switch {
	case scheme == "file" && host == "localhost":
		return "file://localhost"
	case defaultPort[scheme] != "" && host == "" && !strings.HasPrefix(auth, "["):
		return "an empty host"
	case (defaultPort[scheme] != "" || scheme == "file") && endsInNumber(host):
		// WHATWG reads such hosts as IPv4 numbers (0x7f.1, 2130706433).
		if ip, err := netip.ParseAddr(host); err != nil || !ip.Is4() {
			return "a numeric host not in dotted-decimal form"
		}
	}
	return ""
}

// endsInNumber reports whether host's last label (after one trailing dot)
// is a number to the WHATWG host parser: digits, or 0x and hex digits.
func endsInNumber(host string) bool {
	host = strings.TrimSuffix(host, ".")
	label := host[strings.LastIndexByte(host, '.')+1:]
	if label == "" {
		return false
	}
	if strings.Trim(label, "0123456789") == "" {
		return true
	}
	return strings.HasPrefix(label, "0x") && strings.Trim(label[2:], "0123456789abcdef") == ""
}

func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// uriChar reports whether c may appear in an RFC 3986 URI.
func uriChar(c byte) bool {
	return unreserved(c) || strings.IndexByte(":/?#[]@!$&'()*+,;=%", c) >= 0
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func upperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'A' + 10
}
