package mcpauthtest

import "strings"

// maxChallenge bounds the WWW-Authenticate text parsed.
const maxChallenge = 8 << 10

// bearerChallenge returns the parameters of the Bearer challenge among a
// response's WWW-Authenticate values (RFC 9110 §11.6.1, RFC 6750 §3),
// names lower-cased, and whether there is one. A parameter given twice
// keeps its first value; malformed text ends the parse with what was read.
func bearerChallenge(values []string) (map[string]string, bool) {
	s := strings.Join(values, ", ")
	if len(s) > maxChallenge {
		s = s[:maxChallenge]
	}
	var params map[string]string
	found := false
	for i := 0; i < len(s); {
		i = skipSpaceComma(s, i)
		name, j := readToken(s, i)
		if name == "" {
			return params, found
		}
		k := skipSpace(s, j)
		if k < len(s) && s[k] == '=' {
			// An auth-param of the challenge being read.
			value, next, ok := readValue(s, skipSpace(s, k+1))
			if !ok {
				return params, found
			}
			if params != nil {
				key := strings.ToLower(name)
				if _, dup := params[key]; !dup {
					params[key] = value
				}
			}
			i = next
			continue
		}
		// A new challenge's scheme.
		if found {
			return params, true // only the first Bearer challenge counts
		}
		if strings.EqualFold(name, "Bearer") {
			found, params = true, map[string]string{}
		}
		i = j
		// A token68 after the scheme (not Bearer's form) is skipped.
		if t, n := readToken68(s, skipSpace(s, i)); t != "" {
			if k := skipSpace(s, n); k >= len(s) || s[k] == ',' {
				i = n
			}
		}
	}
	return params, found
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func skipSpaceComma(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
		i++
	}
	return i
}

// readToken reads an RFC 9110 token at i.
func readToken(s string, i int) (string, int) {
	j := i
	for j < len(s) && isTChar(s[j]) {
		j++
	}
	return s[i:j], j
}

func readToken68(s string, i int) (string, int) {
	j := i
	for j < len(s) && (isAlnum(s[j]) || strings.IndexByte("-._~+/", s[j]) >= 0) {
		j++
	}
	for j > i && j < len(s) && s[j] == '=' {
		j++
	}
	return s[i:j], j
}

// readValue reads a token or a quoted-string at i.
func readValue(s string, i int) (string, int, bool) {
	if i < len(s) && s[i] == '"' {
		var b strings.Builder
		for j := i + 1; j < len(s); j++ {
			switch c := s[j]; c {
			case '"':
				return b.String(), j + 1, true
			case '\\':
				if j+1 >= len(s) {
					return "", len(s), false
				}
				j++
				b.WriteByte(s[j])
			default:
				b.WriteByte(c)
			}
		}
		return "", len(s), false
	}
	v, j := readToken(s, i)
	return v, j, v != ""
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isTChar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
