package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"strings"
	"time"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"github.com/go-chi/jwtauth/v5"
	"github.com/golang-jwt/jwt/v5"
	jwxjwt "github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/middleware/jwtverify"
)

// Issuer and Audience of every token.
const (
	Issuer   = "https://idp.example"
	Audience = "https://mcp.example/mcp"
)

// Alg is a signing algorithm with its keys.
type Alg struct {
	Name   string
	Method jwt.SigningMethod
	Sign   crypto.PrivateKey // or []byte for HMAC
	Verify crypto.PublicKey  // or []byte for HMAC
}

// Algs returns freshly generated keys for HS256, RS256, ES256 and EdDSA.
func Algs() ([]Alg, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return []Alg{
		{"HS256", jwt.SigningMethodHS256, secret, secret},
		{"RS256", jwt.SigningMethodRS256, rsaKey, &rsaKey.PublicKey},
		{"ES256", jwt.SigningMethodES256, ecKey, &ecKey.PublicKey},
		{"EdDSA", jwt.SigningMethodEdDSA, edPriv, edPub},
	}, nil
}

// Claims returns the standard claims, edited by edits.
func Claims(edits ...func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"iss": Issuer, "aud": Audience, "sub": "alice", "scope": "mcp:read mcp:write",
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	for _, e := range edits {
		e(c)
	}
	return c
}

// Mint signs claims with a.
func (a Alg) Mint(c jwt.MapClaims) (string, error) {
	t := jwt.NewWithClaims(a.Method, c)
	t.Header["kid"] = "k1"
	return t.SignedString(a.Sign)
}

// Impl is one authentication middleware under test.
type Impl struct {
	Name string
	// New returns the middleware around next for alg.
	New func(a Alg, next http.Handler, o Opts) (http.Handler, func(), error)
}

// Opts are the settings that differ between benchmark cases.
type Opts struct {
	Cache bool // mcpauth's verified-token cache; the peers have none
	Large bool // allow tokens up to 32 KiB (mcpauth caps them at 8 KiB by default)
}

// Impls are the implementations compared, mcpauth first.
var Impls = []Impl{
	{"mcpauth", newMCPAuth},
	{"golang-jwt", newFloor},
	{"go-sdk", newGoSDK},
	{"jwtauth", newJWTAuth},
	{"auth0", newAuth0},
}

func newMCPAuth(a Alg, next http.Handler, o Opts) (http.Handler, func(), error) {
	k := jwtverify.Key{ID: "k1"}
	if s, ok := a.Verify.([]byte); ok {
		k.Secret = s
	} else {
		k.PublicKey = a.Verify
	}
	v, err := jwtverify.New(&jwtverify.Options{
		Algorithms: []string{a.Name}, Issuers: []string{Issuer}, Audiences: []string{Audience},
		Keys: []jwtverify.Key{k}, Cache: jwtverify.CacheOptions{Disabled: !o.Cache},
		MaxTokenBytes: size(o),
	})
	if err != nil {
		return nil, nil, err
	}
	m, err := middleware.New(v, &middleware.Options{MaxTokenBytes: size(o)})
	if err != nil {
		return nil, nil, err
	}
	return m.Handler(next), func() { _ = v.Close() }, nil
}

func size(o Opts) int {
	if o.Large {
		return 32 << 10
	}
	return 0 // the default
}

// floorParser is golang-jwt's prebuilt parser with the same checks.
func floorParser(a Alg) *jwt.Parser {
	return jwt.NewParser(jwt.WithValidMethods([]string{a.Name}), jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience), jwt.WithExpirationRequired())
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	return h[7:], true
}

// newFloor is the floor: golang-jwt's prebuilt parser with registered
// claims inside a minimal handler.
func newFloor(a Alg, next http.Handler, _ Opts) (http.Handler, func(), error) {
	p := floorParser(a)
	key := func(*jwt.Token) (any, error) { return a.Verify, nil }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		if !ok {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if _, err := p.ParseWithClaims(tok, &jwt.RegisteredClaims{}, key); err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	}), func() {}, nil
}

// newGoSDK is the official MCP Go SDK's auth.RequireBearerToken with a
// golang-jwt verifier.
func newGoSDK(a Alg, next http.Handler, _ Opts) (http.Handler, func(), error) {
	p := floorParser(a)
	key := func(*jwt.Token) (any, error) { return a.Verify, nil }
	verify := func(_ context.Context, tok string, _ *http.Request) (*auth.TokenInfo, error) {
		var c jwt.RegisteredClaims
		if _, err := p.ParseWithClaims(tok, &c, key); err != nil {
			return nil, fmt.Errorf("%w: %v", auth.ErrInvalidToken, err)
		}
		return &auth.TokenInfo{UserID: c.Subject, Expiration: c.ExpiresAt.Time}, nil
	}
	return auth.RequireBearerToken(verify, nil)(next), func() {}, nil
}

// newJWTAuth is go-chi/jwtauth: Verifier and Authenticator.
func newJWTAuth(a Alg, next http.Handler, _ Opts) (http.Handler, func(), error) {
	ja := jwtauth.New(a.Name, nil, a.Verify, jwxjwt.WithIssuer(Issuer), jwxjwt.WithAudience(Audience),
		jwxjwt.WithRequiredClaim("exp"))
	return jwtauth.Verifier(ja)(jwtauth.Authenticator(ja)(next)), func() {}, nil
}

// newAuth0 is auth0/go-jwt-middleware v2 with its validator.
func newAuth0(a Alg, next http.Handler, _ Opts) (http.Handler, func(), error) {
	v, err := validator.New(func(context.Context) (any, error) { return a.Verify, nil },
		validator.SignatureAlgorithm(a.Name), Issuer, []string{Audience})
	if err != nil {
		return nil, nil, err
	}
	m := jwtmiddleware.New(v.ValidateToken, jwtmiddleware.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, _ error) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	}))
	return m.CheckJWT(next), func() {}, nil
}
