package bench

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// benchCase is one kind of request.
type benchCase struct {
	name  string
	opts  Opts
	token func(b *testing.B, a Alg) string
	want  int
}

func mint(b *testing.B, a Alg, edits ...func(jwt.MapClaims)) string {
	tok, err := a.Mint(Claims(edits...))
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

var cases = []benchCase{
	// cold: every request verifies the signature (mcpauth's cache off).
	{"cold", Opts{}, func(b *testing.B, a Alg) string { return mint(b, a) }, 200},
	// warm: a client reusing its token, the common MCP case (cache on).
	{"warm", Opts{Cache: true}, func(b *testing.B, a Alg) string { return mint(b, a) }, 200},
	{"badsig", Opts{Cache: true}, func(b *testing.B, a Alg) string {
		good := strings.Split(mint(b, a), ".")
		other := strings.Split(mint(b, a, func(c jwt.MapClaims) { c["sub"] = "mallory" }), ".")
		return good[0] + "." + good[1] + "." + other[2]
	}, 401},
	{"garbage", Opts{Cache: true}, func(*testing.B, Alg) string { return "abc.def.ghi" }, 401},
}

// bigClaims adds 8 KiB of extra claims.
func bigClaims(c jwt.MapClaims) {
	for i := range 64 {
		c[fmt.Sprintf("x%02d", i)] = strings.Repeat("y", 120)
	}
}

// BenchmarkMiddleware measures a full ServeHTTP through each
// implementation: BenchmarkMiddleware/alg=A/case=C/impl=I.
func BenchmarkMiddleware(b *testing.B) {
	algs, err := Algs()
	if err != nil {
		b.Fatal(err)
	}
	all := cases
	for _, a := range algs {
		if a.Name == "RS256" {
			all = append(all,
				benchCase{"bigclaims-cold", Opts{Large: true}, func(b *testing.B, a Alg) string { return mint(b, a, bigClaims) }, 200},
				benchCase{"bigclaims-warm", Opts{Large: true, Cache: true}, func(b *testing.B, a Alg) string { return mint(b, a, bigClaims) }, 200})
		}
		for _, c := range all {
			if strings.HasPrefix(c.name, "bigclaims") && a.Name != "RS256" {
				continue
			}
			tok := c.token(b, a)
			for _, impl := range Impls {
				h, done, err := impl.New(a, ok, c.opts)
				if err != nil {
					b.Fatal(err)
				}
				b.Run(fmt.Sprintf("alg=%s/case=%s/impl=%s", a.Name, c.name, impl.Name), func(b *testing.B) {
					b.ReportAllocs()
					r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
					r.Header.Set("Authorization", "Bearer "+tok)
					w := &discard{h: http.Header{}}
					for b.Loop() {
						w.code = 0
						clear(w.h)
						h.ServeHTTP(w, r)
						if got := w.status(); got != c.want {
							b.Fatalf("status %d, want %d", got, c.want)
						}
					}
				})
				done()
			}
		}
	}
}

// BenchmarkRawVerify is the signature check alone, the floor under every
// cold path: BenchmarkRawVerify/alg=A.
func BenchmarkRawVerify(b *testing.B) {
	algs, err := Algs()
	if err != nil {
		b.Fatal(err)
	}
	for _, a := range algs {
		tok := mint(b, a)
		i := strings.LastIndexByte(tok, '.')
		sig, err := jwt.NewParser().DecodeSegment(tok[i+1:])
		if err != nil {
			b.Fatal(err)
		}
		b.Run("alg="+a.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := a.Method.Verify(tok[:i], sig, a.Verify); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// discard is a ResponseWriter that keeps only the status.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}
func (d *discard) Write(p []byte) (int, error) {
	if d.code == 0 {
		d.code = 200
	}
	return len(p), nil
}
func (d *discard) status() int {
	if d.code == 0 {
		return 200
	}
	return d.code
}
