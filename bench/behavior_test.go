package bench

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var ok = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })

func status(h http.Handler, token string) int {
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// TestBehaviour checks that every implementation benchmarked performs the
// same checks: all accept the valid token and refuse the invalid ones, so
// no one is measured doing less work.
func TestBehaviour(t *testing.T) {
	algs, err := Algs()
	require.NoError(t, err)
	for _, a := range algs {
		other := algs[(indexOf(algs, a.Name)+1)%len(algs)]
		mint := func(c jwt.MapClaims) string { tok, err := a.Mint(c); require.NoError(t, err); return tok }
		valid := mint(Claims())
		parts := strings.Split(valid, ".")
		otherTok, err := other.Mint(Claims())
		require.NoError(t, err)
		refused := map[string]string{
			"no token":        "",
			"garbage":         "abc.def.ghi",
			"bad signature":   parts[0] + "." + parts[1] + "." + strings.Split(mint(Claims(func(c jwt.MapClaims) { c["sub"] = "mallory" })), ".")[2],
			"other algorithm": otherTok,
			"alg none":        mustNone(t),
			"wrong issuer":    mint(Claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })),
			"wrong audience":  mint(Claims(func(c jwt.MapClaims) { c["aud"] = "https://other.example/mcp" })),
			"expired":         mint(Claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })),
			"not yet valid":   mint(Claims(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })),
			"without exp":     mint(Claims(func(c jwt.MapClaims) { delete(c, "exp") })),
		}
		for _, impl := range Impls {
			for _, cache := range []bool{false, true} {
				h, done, err := impl.New(a, ok, Opts{Cache: cache})
				require.NoError(t, err, impl.Name)
				t.Run(a.Name+"/"+impl.Name, func(t *testing.T) {
					assert.Equal(t, 200, status(h, valid), "valid token")
					assert.Equal(t, 200, status(h, valid), "valid token again (cache)")
					for name, tok := range refused {
						if name == "without exp" && impl.Name == "auth0" {
							// auth0/go-jwt-middleware v2 has no option to
							// require exp; recorded in BENCHMARKS.md.
							assert.Equal(t, 200, status(h, tok), "auth0 accepts a token without exp")
							continue
						}
						assert.NotEqual(t, 200, status(h, tok), name)
					}
				})
				done()
			}
		}
	}
}

func indexOf(algs []Alg, name string) int {
	for i, a := range algs {
		if a.Name == name {
			return i
		}
	}
	return -1
}

func mustNone(t *testing.T) string {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodNone, Claims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	return tok
}
