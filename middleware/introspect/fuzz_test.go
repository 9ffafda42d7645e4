package introspect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/audience"
	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// fuzzVerifier answers every introspection with body, without a network.
func fuzzVerifier(tb testing.TB, body *[]byte, edit func(*Options)) *Verifier {
	opts := Options{
		Endpoint:     "https://idp.example/introspect",
		ClientID:     "id",
		ClientSecret: "secret",
		Issuers:      []string{testIss},
		Audiences:    []string{testAud},
		ScopeClaims:  []string{"scope", "scp", "roles"},
		Cache:        CacheOptions{Disabled: true},
		Now:          func() time.Time { return t0 },
		HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(*body)), Request: r}, nil
		})},
	}
	if edit != nil {
		edit(&opts)
	}
	v, err := New(&opts)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// FuzzIntrospectionResponse feeds arbitrary response bodies to the
// verifier. Invariants: no panic; every failure is a typed 401
// invalid_token or 503, never a 500; a body that an independent reading
// with encoding/json does not find to be exactly one object with each
// member named once is a 503 ErrResponse; and a body authenticates if and
// only if that reading finds "active" true and every claim valid, with
// the principal it names.
func FuzzIntrospectionResponse(f *testing.F) {
	for _, s := range []string{
		activeBody(),
		activeBody(set("aud", []string{"x", testAud}), set("scp", []string{"a"}), del("exp")),
		`{"active":true,"sub":"a","iss":"` + testIss + `","aud":"` + testAud + `"}`,
		`{"active":false}`,
		`{"active":"true","sub":"a"}`,
		`{"active":false,"\u0061ctive":true}`,
		`{"active":true,"active":true}`,
		activeBody() + ` {}`,
		`[]`, `null`, ``, `{`, "{\"active\":true,\"sub\":\"\xff\"}",
		activeBody(set("token_type", "refresh_token")),
		activeBody(set("exp", 1e300)),
	} {
		f.Add([]byte(s))
	}
	var body []byte
	strict := fuzzVerifier(f, &body, nil)
	lenient := fuzzVerifier(f, &body, func(o *Options) {
		o.AllowMissingIssuer, o.AllowClientCredentials, o.Audiences, o.AnyAudience = true, true, nil, true
		o.RequireTokenType = true
	})

	f.Fuzz(func(t *testing.T, b []byte) {
		body = b
		for _, v := range []*Verifier{strict, lenient} {
			p, err := v.VerifyToken(context.Background(), "token")
			want, docOK := oracle(b, v)
			if err != nil {
				if p != nil {
					t.Fatal("principal and error")
				}
				e, ok := errors.AsType[*authresult.Error](err)
				switch {
				case !ok || e.Description == "":
					t.Fatalf("untyped error %#v", err)
				case e.Kind == authresult.KindUnavailable && errors.Is(err, ErrResponse):
				case e.Kind == authresult.KindUnauthenticated && e.Code == authresult.CodeInvalidToken:
					if !docOK {
						t.Fatalf("a malformed document was judged as a token: %v", err)
					}
				default:
					t.Fatalf("unexpected error %#v", err)
				}
				if e.Kind == authresult.KindUnavailable && docOK && jsonscan.Valid(b) {
					t.Fatalf("a well-formed object was called malformed: %v", err)
				}
				if want != nil && jsonscan.Valid(b) {
					t.Fatalf("refused a valid response: %v", err)
				}
				return
			}
			if want == nil {
				t.Fatalf("authenticated a response the oracle refuses: %q", b)
			}
			if !p.Valid() || p.Subject != want.Subject || p.Issuer != want.Issuer || p.ClientID != want.ClientID {
				t.Fatalf("principal %+v, oracle %+v", p, want)
			}
		}
	})
}

// oracle reads body with encoding/json alone, independently of the
// verifier: docOK reports whether it is valid UTF-8 and exactly one JSON
// object with each member named once; p is the principal it stands for
// when it is also an acceptable response for v's options, else nil.
func oracle(body []byte, v *Verifier) (p *authresult.Principal, docOK bool) {
	if !utf8.Valid(body) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	names := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		name, ok := tok.(string)
		if err != nil || !ok || names[name] {
			return nil, false
		}
		names[name] = true
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			return nil, false
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return nil, false
	}

	if m["active"] != true {
		return nil, true
	}
	str := func(k string) (string, bool, bool) { // value, present, well-typed
		x, ok := m[k]
		if !ok {
			return "", false, true
		}
		s, ok := x.(string)
		return s, true, ok
	}
	date := func(k string) (float64, bool, bool) {
		x, ok := m[k]
		if !ok {
			return 0, false, true
		}
		n, ok := x.(float64)
		return n, true, ok && n >= 0 && n <= 253402300799 && !math.IsNaN(n)
	}
	now := float64(t0.Unix())
	lee := v.leeway.Seconds()
	if n, has, ok := date("exp"); !ok || has && now >= n+lee {
		return nil, true
	}
	if n, has, ok := date("nbf"); !ok || has && n > now+lee {
		return nil, true
	}
	if n, has, ok := date("iat"); !ok || has && n > now+lee {
		return nil, true
	}
	for k, allowed := range map[string][]string{
		"token_type": {"bearer"},
		"token_use":  {"access_token", "access"},
		"typ":        {"bearer", "at+jwt", "application/at+jwt"},
	} {
		s, has, ok := str(k)
		if !ok {
			return nil, true
		}
		if has && !containsFold(allowed, s) {
			return nil, true
		}
	}
	if _, ok := m["cnf"]; ok {
		return nil, true
	}
	if _, ok := m["token_type"]; !ok && v.requireType {
		return nil, true
	}
	iss, hasIss, ok := str("iss")
	switch {
	case !ok:
		return nil, true
	case !hasIss && v.soleIssuer != "":
		iss = v.soleIssuer
	case iss != testIss:
		return nil, true
	}
	var aud []string
	switch a := m["aud"].(type) {
	case nil:
		if _, has := m["aud"]; has {
			return nil, true
		}
	case string:
		aud = []string{a}
	case []any:
		for _, x := range a {
			s, ok := x.(string)
			if !ok {
				return nil, true
			}
			aud = append(aud, s)
		}
	default:
		return nil, true
	}
	if !v.anyAudience {
		want, _ := audience.Canonical(testAud)
		found := false
		for _, a := range aud {
			c, ok := audience.Canonical(a)
			found = found || ok && c == want
		}
		if !found {
			return nil, true
		}
	}
	clientID, _, ok := str("client_id")
	if !ok {
		return nil, true
	}
	sub, hasSub, ok := str("sub")
	switch {
	case !ok, hasSub && sub == "":
		return nil, true
	case !hasSub && v.allowClient && clientID != "":
		sub = "client:" + clientID
	case !hasSub:
		return nil, true
	}
	for _, k := range v.scopeClaims {
		switch s := m[k].(type) {
		case string:
		case []any:
			for _, x := range s {
				if _, ok := x.(string); !ok {
					return nil, true
				}
			}
		case nil:
			if _, has := m[k]; has {
				return nil, true
			}
		default:
			return nil, true
		}
	}
	return &authresult.Principal{Subject: sub, Issuer: iss, ClientID: clientID}, true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// TestOracle keeps the fuzz oracle honest: it accepts what it should, so
// that the fuzz target's "if and only if" has both sides.
func TestOracle(t *testing.T) {
	var body []byte
	v := fuzzVerifier(t, &body, nil)
	for _, tc := range []struct {
		body       string
		accept     bool
		wellFormed bool
	}{
		{activeBody(), true, true},
		{activeBody(set("aud", []string{"x", testAud + "/"})), true, true},
		{activeBody(set("active", "true")), false, true},
		{activeBody(del("sub")), false, true},
		{`{"active":true,"active":true}`, false, false},
		{`{"active":false,"\u0061ctive":true}`, false, false},
		{activeBody() + "x", false, false},
		{`[]`, false, false},
	} {
		p, ok := oracle([]byte(tc.body), v)
		if (p != nil) != tc.accept || ok != tc.wellFormed {
			t.Errorf("oracle(%s) = %v, %v", tc.body, p, ok)
		}
		body = []byte(tc.body)
		_, err := v.VerifyToken(context.Background(), "t")
		if (err == nil) != tc.accept {
			t.Errorf("verifier(%s) = %v", tc.body, err)
		}
	}
}
