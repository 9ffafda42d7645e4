package discovery

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParse: any body is refused or read as one object whose issuer is
// the one encoding/json reads from it, and no member name repeats in any
// letter case.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"issuer":"https://idp","jwks_uri":"https://idp/jwks"}`, `{"issuer":"a","issuer":"b"}`, `{"Issuer":"a","issuer":"b"}`,
		`{"iss\u0075er":"a"}`, `[]`, `{"issuer":1}`, `{"issuer":"a"} {}`, `{"scopes_supported":[1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		md, err := parse(body)
		if err != nil {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			t.Fatalf("accepted a body encoding/json cannot read: %q", body)
		}
		seen := map[string]bool{}
		for k := range m {
			if seen[strings.ToLower(k)] {
				t.Fatalf("accepted a repeated member: %q", body)
			}
			seen[strings.ToLower(k)] = true
		}
		var iss string
		for k, v := range m {
			if strings.EqualFold(k, "issuer") {
				_ = json.Unmarshal(v, &iss)
			}
		}
		if md.Issuer == "" || md.Issuer != iss {
			t.Fatalf("issuer %q, oracle %q: %q", md.Issuer, iss, body)
		}
	})
}
