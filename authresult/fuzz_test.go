package authresult

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzNormalizeJSON feeds authenticator outcomes decoded from arbitrary JSON
// to Normalize. Invariants: no panic; exactly one of principal and error;
// success only for an object whose "authenticated" is JSON true and that
// names a subject.
func FuzzNormalizeJSON(f *testing.F) {
	for _, s := range []string{
		`{"authenticated":false,"error":"Invalid JWT"}`,
		`{"authenticated":true,"sub":"alice","scope":"a b"}`,
		`{"authenticated":"true","sub":"alice"}`,
		`{"authenticated":1,"sub":"alice"}`,
		`{"authenticated":true}`,
		`{"authenticated":true,"subject":"bob","aud":["x"]}`,
		`[{"authenticated":true,"sub":"a"}]`,
		`true`, `null`, `{}`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		decodeErr := json.Unmarshal(data, &v)
		for _, in := range []any{v, json.RawMessage(data)} {
			p, err := Normalize(in, nil)
			if (p == nil) == (err == nil) {
				t.Fatalf("Normalize(%s) = %v, %v: want exactly one", data, p, err)
			}
			if err != nil {
				if _, ok := errors.AsType[*Error](err); !ok {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			if decodeErr != nil {
				t.Fatalf("authenticated from invalid JSON %q", data)
			}
			m, ok := v.(map[string]any)
			if !ok || m["authenticated"] != true || p.Subject == "" {
				t.Fatalf("authenticated from %s", data)
			}
		}
	})
}
