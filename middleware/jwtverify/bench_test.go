package jwtverify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type benchCase struct {
	alg    string
	method jwt.SigningMethod
	sign   any
	key    Key
}

func benchCases() []benchCase {
	return []benchCase{
		{"RS256", jwt.SigningMethodRS256, rsaKey, Key{ID: "k", PublicKey: &rsaKey.PublicKey}},
		{"ES256", jwt.SigningMethodES256, ecKey, Key{ID: "k", PublicKey: &ecKey.PublicKey}},
		{"HS256", jwt.SigningMethodHS256, hmacSecret, Key{ID: "k", Secret: hmacSecret}},
		{"EdDSA", jwt.SigningMethodEdDSA, edPriv, Key{ID: "k", PublicKey: edPub}},
	}
}

func benchVerifier(b *testing.B, bc benchCase, cache CacheOptions) *Verifier {
	opts := Options{
		Algorithms: []string{bc.alg},
		Issuers:    []string{testIss},
		Audiences:  []string{testAud},
		Keys:       []Key{bc.key},
		Now:        func() time.Time { return t0 },
		Cache:      cache,
	}
	return newVerifier(b, opts)
}

// floorParser is golang-jwt's own prebuilt parser with registered claims,
// configured for the same checks it can express.
func floorParser(alg string) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{alg}),
		jwt.WithIssuer(testIss),
		jwt.WithAudience(testAud),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return t0 }),
	)
}

// BenchmarkCold verifies tokens that are not in the cache. impl=jwtverify
// alternates two tokens through a one-entry cache, so every call misses and
// inserts; impl=floor is golang-jwt's prebuilt parser with RegisteredClaims.
func BenchmarkCold(b *testing.B) {
	ctx := context.Background()
	for _, bc := range benchCases() {
		toks := [2]string{
			sign(b, bc.method, bc.sign, "k", claims(set("jti", "1")), nil),
			sign(b, bc.method, bc.sign, "k", claims(set("jti", "2")), nil),
		}
		b.Run("alg="+bc.alg+"/impl=jwtverify", func(b *testing.B) {
			v := benchVerifier(b, bc, CacheOptions{MaxEntries: 1})
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := v.VerifyToken(ctx, toks[i&1]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run("alg="+bc.alg+"/impl=floor", func(b *testing.B) {
			p := floorParser(bc.alg)
			key := floorKey(bc)
			kf := func(*jwt.Token) (any, error) { return key, nil }
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := p.ParseWithClaims(toks[i&1], &jwt.RegisteredClaims{}, kf); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func floorKey(bc benchCase) any {
	if bc.key.Secret != nil {
		return bc.key.Secret
	}
	return bc.key.PublicKey
}

// BenchmarkWarm verifies a token answered from the cache.
func BenchmarkWarm(b *testing.B) {
	ctx := context.Background()
	for _, bc := range benchCases() {
		b.Run("alg="+bc.alg, func(b *testing.B) {
			v := benchVerifier(b, bc, CacheOptions{})
			tok := sign(b, bc.method, bc.sign, "k", claims(), nil)
			if _, err := v.VerifyToken(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.VerifyToken(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGarbage rejects "abc.def.ghi".
func BenchmarkGarbage(b *testing.B) {
	bc := benchCases()[0]
	v := benchVerifier(b, bc, CacheOptions{})
	ctx := context.Background()
	b.Run("impl=jwtverify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.VerifyToken(ctx, "abc.def.ghi"); err == nil {
				b.Fatal("accepted")
			}
		}
	})
	b.Run("impl=floor", func(b *testing.B) {
		p := floorParser(bc.alg)
		kf := func(*jwt.Token) (any, error) { return bc.key.PublicKey, nil }
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.ParseWithClaims("abc.def.ghi", &jwt.RegisteredClaims{}, kf); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}

// BenchmarkBadSignature rejects an RS256 token whose signature is another
// token's.
func BenchmarkBadSignature(b *testing.B) {
	ctx := context.Background()
	for _, bc := range benchCases() {
		good := strings.Split(sign(b, bc.method, bc.sign, "k", claims(), nil), ".")
		other := strings.Split(sign(b, bc.method, bc.sign, "k", claims(set("sub", "mallory")), nil), ".")
		tok := good[0] + "." + good[1] + "." + other[2]
		b.Run("alg="+bc.alg+"/impl=jwtverify", func(b *testing.B) {
			v := benchVerifier(b, bc, CacheOptions{})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.VerifyToken(ctx, tok); err == nil {
					b.Fatal("accepted")
				}
			}
		})
		b.Run("alg="+bc.alg+"/impl=floor", func(b *testing.B) {
			p := floorParser(bc.alg)
			key := floorKey(bc)
			kf := func(*jwt.Token) (any, error) { return key, nil }
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.ParseWithClaims(tok, &jwt.RegisteredClaims{}, kf); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}
