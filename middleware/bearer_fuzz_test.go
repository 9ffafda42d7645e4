package middleware

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzParseBearer checks bearer extraction on arbitrary Authorization
// values. Invariants: no panic; a token is returned only for "Bearer"
// (any case), spaces, and a token68 within the cap; such a token
// round-trips; a refused value never yields a token.
func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{
		"Bearer abc.def.ghi", "bearer  a==", "Basic dXNlcjpw", "Bearer", "Bearer a b", "Bearer a=b",
		"Bearer \x00", "BEARER ~+/-._", "Bearer " + strings.Repeat("A", 70),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tok, err := parseBearer(v, 64)
		if err != nil && tok != "" {
			t.Fatalf("token %q returned with error %v", tok, err)
		}
		if tok == "" {
			return
		}
		scheme, _, _ := strings.Cut(v, " ")
		if !strings.EqualFold(scheme, "bearer") || len(tok) > 64 || !isToken68(tok) || !strings.HasSuffix(v, " "+tok) {
			t.Fatalf("accepted %q from %q", tok, v)
		}
		if again, err := parseBearer("Bearer "+tok, 64); err != nil || again != tok {
			t.Fatalf("round trip %q: %q %v", tok, again, err)
		}

		// Through the whole extraction, with a duplicate header added.
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Add("Authorization", v)
		r.Header.Add("Authorization", v)
		if c, err := extract(nil, r, 64, 64, 0); err == nil || c.token != "" {
			t.Fatalf("duplicate headers accepted: %q", v)
		}
	})
}

// FuzzHasAccessToken checks the query and form scan against
// url.ParseQuery: whatever the standard parser finds, the scan finds too.
func FuzzHasAccessToken(f *testing.F) {
	for _, s := range []string{"access_token=x", "a=1;access_token=2", "access%5Ftoken=1", "x=%zz&access_token=1", "access_tokens=1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		v, _ := url.ParseQuery(q)
		if v.Has("access_token") && !hasAccessToken(q) {
			t.Fatalf("url.ParseQuery finds access_token in %q, the scan does not", q)
		}
	})
}
