package authresult

import "strings"

// The scope syntax of RFC 6749 §3.3: a scope string is scope-tokens
// delimited by spaces, each one or more of %x21 / %x23-5B / %x5D-7E.

// ParseScope splits a scope string into its scopes, dropping empty
// entries. Only spaces delimit.
func ParseScope(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' })
}

// ValidScope reports whether s is a scope-token.
func ValidScope(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// ScopeString joins scopes into a scope string, leaving out any that is
// not a valid scope-token.
func ScopeString(scopes []string) string {
	if len(scopes) == 1 && ValidScope(scopes[0]) {
		return scopes[0]
	}
	var b strings.Builder
	for _, s := range scopes {
		if !ValidScope(s) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}
