package jsonrpcerr

import (
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/authresult"
)

// FuzzChallenge builds challenges from arbitrary strings and parses them
// back. Invariants: one line of visible ASCII, the fixed set of parameters
// in order, and every value round-trips to its sanitised input.
func FuzzChallenge(f *testing.F) {
	f.Add("mcp", "https://x/.well-known/oauth-protected-resource", "token expired", "a b")
	f.Add("a\"b\\", "\r\nX: y", "é\x00\"", "x\"y z\\")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, realm, rm, desc, scope string) {
		c := &Challenge{Realm: realm, ResourceMetadata: rm, Scopes: strings.Split(scope, " ")}
		h := c.Header(authresult.InvalidToken(desc, nil))
		for i := 0; i < len(h); i++ {
			if h[i] < 0x20 && h[i] != '\t' || h[i] > 0x7e {
				t.Fatalf("byte %#x in header %q", h[i], h)
			}
		}
		params, ok := parseChallenge(h)
		if !ok {
			t.Fatalf("unparseable challenge %q", h)
		}
		want := map[string]string{
			"realm": realm, "error": "invalid_token", "error_description": descText(desc),
			"scope": authresult.ScopeString(c.Scopes), "resource_metadata": descText(rm),
		}
		if want["error_description"] == "" {
			want["error_description"] = "authentication required"
		}
		for _, p := range params {
			w, ok := want[p[0]]
			if !ok {
				t.Fatalf("unexpected parameter %q in %q", p[0], h)
			}
			if p[0] == "realm" {
				w = unquotedRealm(realm)
			}
			if p[1] != w {
				t.Fatalf("%s = %q, want %q (header %q)", p[0], p[1], w, h)
			}
			delete(want, p[0])
		}
		for k, v := range want {
			if v != "" && (k != "realm" || unquotedRealm(v) != "") {
				t.Fatalf("parameter %s missing from %q", k, h)
			}
		}
	})
}

// unquotedRealm is what a parser reads back from quotedText(s).
func unquotedRealm(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c != '\t' && (c < 0x20 || c > 0x7e) {
			b[i] = '?'
		}
	}
	return string(b)
}

// parseChallenge is a strict RFC 9110 §11.6.1 parser for one Bearer
// challenge with quoted-string auth-params.
func parseChallenge(h string) (params [][2]string, ok bool) {
	rest, ok := strings.CutPrefix(h, "Bearer")
	if !ok {
		return nil, false
	}
	if rest == "" {
		return nil, true
	}
	rest, ok = strings.CutPrefix(rest, " ")
	for ok && rest != "" {
		eq := strings.Index(rest, `="`)
		if eq <= 0 {
			return nil, false
		}
		name := rest[:eq]
		rest = rest[eq+2:]
		var v strings.Builder
		closed := false
		for i := 0; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				if i+1 >= len(rest) {
					return nil, false
				}
				i++
				v.WriteByte(rest[i])
			case '"':
				rest, closed = rest[i+1:], true
			default:
				v.WriteByte(rest[i])
				continue
			}
			if closed {
				break
			}
		}
		if !closed {
			return nil, false
		}
		params = append(params, [2]string{name, v.String()})
		if rest == "" {
			return params, true
		}
		rest, ok = strings.CutPrefix(rest, ", ")
	}
	return nil, false
}
