package jwtverify

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth/authresult"
)

// FuzzVerifyToken feeds arbitrary strings to VerifyToken. Invariants: no
// panic; every failure is a typed invalid_token error; the only inputs
// ever authenticated are the exact valid tokens the seeds started from, so
// no mutation of a token is accepted.
func FuzzVerifyToken(f *testing.F) {
	valid := map[string]bool{}
	for _, c := range []jwt.MapClaims{
		claims(),
		claims(set("aud", []string{"x", testAud}), set("scp", []string{"a"})),
		claims(set("nbf", t0.Unix()), del("scope")),
	} {
		tok := sign(f, jwt.SigningMethodHS256, hmacSecret, "", c, nil)
		valid[tok] = true
		f.Add(tok)
	}
	for _, s := range []string{
		"abc.def.ghi", "", ".", "..", "a.b.c.d",
		seg(`{"alg":"none"}`) + "." + seg(`{"sub":"a"}`) + ".",
		seg(`{"alg":"HS256","crit":["x"]}`) + "." + seg(`{}`) + ".AAAA",
		seg(`{"alg":"HS256","jku":"http://127.0.0.1:1/"}`) + "." + seg(`{}`) + ".AAAA",
		hsRaw(f, `{"alg":"HS256"}`, `null`, []byte("wrong-secret-wrong-secret-wrong-secret")),
	} {
		f.Add(s)
	}
	c := newClock()
	opts := baseOptions(c)
	opts.Algorithms = []string{"HS256"}
	opts.Keys = []Key{{Secret: hmacSecret}}
	opts.Leeway = time.Minute
	v, err := New(&opts)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = v.Close() })

	f.Fuzz(func(t *testing.T, token string) {
		p, err := v.VerifyToken(context.Background(), token)
		if err != nil {
			if p != nil {
				t.Fatalf("principal and error")
			}
			e, ok := errors.AsType[*authresult.Error](err)
			if !ok || e.Kind != authresult.KindUnauthenticated || e.Code != authresult.CodeInvalidToken || e.Description == "" {
				t.Fatalf("unexpected error %#v", err)
			}
			return
		}
		if !valid[token] {
			t.Fatalf("authenticated a token that was never issued: %q", token)
		}
		if !p.Valid() {
			t.Fatalf("invalid principal %+v", p)
		}
	})
}
