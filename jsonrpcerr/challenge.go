package jsonrpcerr

import (
	"strings"

	"github.com/mcpauth/mcpauth/authresult"
)

// Challenge is the configured part of a Bearer WWW-Authenticate challenge
// (RFC 6750 §3, RFC 9728 §5.1). The error-specific parts come from the
// [*authresult.Error] being answered.
type Challenge struct {
	// Realm is sent as the realm attribute when not empty.
	Realm string
	// ResourceMetadata is the absolute URL of the RFC 9728 protected
	// resource metadata document, sent as resource_metadata.
	ResourceMetadata string
	// Scopes are advertised in the scope attribute of 401 challenges, to
	// tell clients which scopes to request. A 403 names the error's scopes.
	Scopes []string
}

// Header returns the WWW-Authenticate value for e, or "" when e's kind
// carries no challenge (only 401, 400 with invalid_request, and 403 with
// insufficient_scope do). The error attribute is omitted when e has no
// code, as RFC 6750 §3.1 requires when the request had no credentials.
// Values are sanitised to the characters RFC 6750 allows, so no input can
// inject a header or a parameter.
func (c *Challenge) Header(e *authresult.Error) string {
	if e == nil {
		return ""
	}
	var scopes []string
	switch {
	case e.Kind == authresult.KindUnauthenticated:
		if c != nil {
			scopes = c.Scopes
		}
	case e.Kind == authresult.KindInvalidRequest && e.Code != "":
	case e.Kind == authresult.KindForbidden && e.Code == authresult.CodeInsufficientScope:
		scopes = e.Scopes
	default:
		return ""
	}
	b := make([]byte, 0, 256)
	b = append(b, "Bearer"...)
	sep := " "
	param := func(name, value string) {
		if value == "" {
			return
		}
		b = append(b, sep...)
		b = append(b, name...)
		b = append(b, `="`...)
		b = append(b, value...)
		b = append(b, '"')
		sep = ", "
	}
	if c != nil && c.Realm != "" {
		param("realm", quotedText(c.Realm))
	}
	code := token(e.Code)
	param("error", code)
	if code != "" {
		param("error_description", descText(e.ClientMessage()))
	}
	if len(scopes) > 0 {
		param("scope", authresult.ScopeString(scopes))
	}
	if c != nil {
		param("resource_metadata", descText(c.ResourceMetadata))
	}
	return string(b)
}

// data returns the OAuth fields of the challenge for error.data, or nil.
func (c *Challenge) data(e *authresult.Error) *Data {
	d := &Data{Error: e.Code}
	if e.Code != "" {
		d.ErrorDescription = e.ClientMessage()
	}
	switch e.Kind {
	case authresult.KindUnauthenticated:
		if c != nil {
			d.Scope = authresult.ScopeString(c.Scopes)
		}
	case authresult.KindForbidden:
		d.Scope = authresult.ScopeString(e.Scopes)
	}
	if c != nil && (e.Kind == authresult.KindUnauthenticated || e.Kind == authresult.KindForbidden) {
		d.ResourceMetadata = c.ResourceMetadata
	}
	if *d == (Data{}) {
		return nil
	}
	return d
}

// descChar reports whether c may appear in error_description and scope
// values (RFC 6750 §3: %x20-21 / %x23-5B / %x5D-7E).
func descChar(c byte) bool {
	return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'
}

// descText keeps the characters RFC 6750 allows in error_description;
// others are replaced by '?'.
func descText(s string) string {
	for i := 0; i < len(s); i++ {
		if !descChar(s[i]) {
			return strings.Map(func(r rune) rune {
				if r < 0x80 && descChar(byte(r)) {
					return r
				}
				return '?'
			}, s)
		}
	}
	return s
}

// quotedText makes s safe inside an RFC 9110 quoted-string: '"' and '\\'
// are escaped; control characters and non-ASCII bytes become '?'.
func quotedText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t' || (c >= 0x20 && c <= 0x7e):
			b.WriteByte(c)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// token keeps s only if it is an RFC 6750 error code (%x20-21 / %x23-5B /
// %x5D-7E without spaces); otherwise it returns "".
func token(s string) string {
	if authresult.ValidScope(s) {
		return s
	}
	return ""
}
