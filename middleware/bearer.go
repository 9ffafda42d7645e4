package middleware

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/reqbody"
)

// Causes of refused credentials, kept in the error chain for logs.
var (
	ErrMultipleAuthorization = errors.New("more than one Authorization header")
	ErrTokenInQuery          = errors.New("access_token in the URL query")
	ErrTokenInForm           = errors.New("access_token in a form body")
	ErrMalformedBearer       = errors.New("malformed Bearer credentials")
	ErrTokenTooLarge         = errors.New("bearer token exceeds the size cap")
	ErrFormTooLarge          = errors.New("form body too large to inspect")
	ErrFormTimeout           = errors.New("form body not received within BodyReadTimeout")
	ErrOtherScheme           = errors.New("authorization scheme is not Bearer")
)

// credentials is what a request presents before any verifier runs.
type credentials struct {
	token  string // the bearer token, if any
	header bool   // an Authorization header was present
}

// extract applies RFC 6750 §2 to r: at most one Authorization header, a
// well-formed Bearer token within maxToken bytes, and no access_token in
// the query or a form body (MCP forbids tokens in URLs; RFC 6750 §2
// forbids more than one method). A non-Bearer scheme is not an error here:
// it yields no token, for the caller to treat as "no credentials".
func extract(w http.ResponseWriter, r *http.Request, maxToken int, maxBody int64, bodyTimeout time.Duration) (credentials, *authresult.Error) {
	var c credentials
	values := r.Header["Authorization"] // the key is canonical; skip re-canonicalising
	switch len(values) {
	case 0:
	case 1:
		c.header = true
		tok, err := parseBearer(values[0], maxToken)
		if err != nil {
			return c, err
		}
		c.token = tok
	default:
		c.header = true
		return c, authresult.InvalidRequest("multiple Authorization headers", ErrMultipleAuthorization)
	}
	if r.URL != nil && r.URL.RawQuery != "" && hasAccessToken(r.URL.RawQuery) {
		return c, authresult.InvalidRequest("access tokens must not be sent in the URL", ErrTokenInQuery)
	}
	if r.Method == http.MethodPost && isForm(r.Header["Content-Type"]) {
		body, complete, err := reqbody.PeekWithin(w, r, maxBody, bodyTimeout)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			return c, authresult.InvalidRequest("form body not received in time", errors.Join(ErrFormTimeout, err))
		case err != nil || !complete:
			return c, authresult.InvalidRequest("form body too large", errors.Join(ErrFormTooLarge, err))
		}
		if hasAccessToken(string(body)) {
			return c, authresult.InvalidRequest("access tokens must not be sent in a form body", ErrTokenInForm)
		}
	}
	return c, nil
}

// isForm reports whether any Content-Type value is a form. Several values
// are checked, so a second header cannot hide the form from this check.
// hasAccessToken reports whether a query string or form body has an
// access_token parameter. It is stricter than url.ParseQuery, which skips
// pairs with ';' or bad escapes: a parameter is split at '&' and ';', and
// its name counts in both raw and unescaped form.
func hasAccessToken(q string) bool {
	if !strings.Contains(q, "access") && !strings.Contains(q, "%") {
		return false
	}
	for q != "" {
		var pair string
		if i := strings.IndexAny(q, "&;"); i >= 0 {
			pair, q = q[:i], q[i+1:]
		} else {
			pair, q = q, ""
		}
		name, _, _ := strings.Cut(pair, "=")
		if name == "access_token" {
			return true
		}
		if un, err := url.QueryUnescape(name); err == nil && un == "access_token" {
			return true
		}
	}
	return false
}

func isForm(contentTypes []string) bool {
	for _, ct := range contentTypes {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/x-www-form-urlencoded" {
			return true
		}
	}
	return false
}

// parseBearer parses an Authorization value as RFC 6750 §2.1
// credentials: "Bearer" (any case), one or more spaces, a token68. It
// returns "" and no error for other schemes.
func parseBearer(v string, maxToken int) (string, *authresult.Error) {
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		if scheme == "" || !isToken(scheme) {
			return "", authresult.InvalidRequest("malformed Authorization header", ErrMalformedBearer)
		}
		return "", nil
	}
	tok := strings.TrimLeft(rest, " ")
	switch {
	case len(tok) > maxToken:
		return "", authresult.InvalidRequest("bearer token too large", ErrTokenTooLarge)
	case !isToken68(tok):
		return "", authresult.InvalidRequest("malformed bearer token", ErrMalformedBearer)
	}
	return tok, nil
}

// isToken68 reports whether s is an RFC 9110 token68:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isToken68(s string) bool {
	i := 0
	for i < len(s) && token68Char(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

func token68Char(c byte) bool { return token68Table[c] }

// token68Table holds the token68 characters other than '=': ALPHA, DIGIT
// and "-._~+/" (a table, as tokens are read on every request).
var token68Table = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
	}
	return t
}()

// isToken reports whether s is an RFC 9110 token (an auth-scheme name).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}
