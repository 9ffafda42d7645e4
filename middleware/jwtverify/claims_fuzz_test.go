package jwtverify

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeClaims holds decodeClaims to encoding/json: on valid UTF-8,
// whatever it accepts encoding/json reads as the same map, and whatever
// encoding/json reads without a repeated member or nesting deeper than
// jsonscan.MaxDepth it accepts.
func FuzzDecodeClaims(f *testing.F) {
	for _, s := range []string{
		`{"iss":"https://idp","sub":"a","aud":["x","y"],"exp":1.8e9,"scope":"a b"}`,
		`{"a":"\u00e9\ud800","b":-0,"c":1e400}`, `{"a":1,"a":2}`, `{"\u0061":1,"a":2}`, `{"a":{"b":[1,{"c":null}]}}`,
		`{"n":12345678901234567890,"f":0.1,"t":true,"x":false,"z":null}`, `{} `, `{"a":1}x`, `{"a":"\"\\\/\b\f\n\r\t"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !utf8.Valid(raw) {
			return
		}
		got, err := decodeClaims(raw)
		var want map[string]any
		jerr := json.Unmarshal(raw, &want)
		if err == nil {
			if jerr != nil || want == nil {
				t.Fatalf("accepted %q, which encoding/json refuses: %v", raw, jerr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: %#v, encoding/json %#v", raw, got, want)
			}
			return
		}
		if jerr == nil && want != nil && err != errPayloadDuplicate && !duplicateKeys(raw, false) {
			t.Fatalf("refused %q (%v), which encoding/json reads as %#v", raw, err, want)
		}
	})
}
