package jwtverify

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attackVerifier accepts RS256 (kid rsa1), ES256 (kid ec1), EdDSA (kid
// ed1) and HS256 (a secret without a kid), with 30s of leeway.
func attackVerifier(t *testing.T, c *clock) *Verifier {
	opts := baseOptions(c)
	opts.Algorithms = []string{"RS256", "ES256", "EdDSA", "HS256"}
	opts.Leeway = 30 * time.Second
	opts.Keys = []Key{
		{ID: "rsa1", PEM: pemOf(t, &rsaKey.PublicKey)},
		{ID: "ec1", PublicKey: &ecKey.PublicKey},
		{ID: "ed1", PublicKey: edPub},
		{Secret: hmacSecret},
	}
	opts.Cache.Disabled = true
	return newVerifier(t, opts)
}

func TestVerifyAccepts(t *testing.T) {
	c := newClock()
	v := attackVerifier(t, c)
	tests := []struct {
		name  string
		token string
	}{
		{"RS256", sign(t, jwt.SigningMethodRS256, rsaKey, "rsa1", claims(), nil)},
		{"ES256", sign(t, jwt.SigningMethodES256, ecKey, "ec1", claims(), nil)},
		{"EdDSA", sign(t, jwt.SigningMethodEdDSA, edPriv, "ed1", claims(), nil)},
		{"HS256 without kid", sign(t, jwt.SigningMethodHS256, hmacSecret, "", claims(), nil)},
		{"HS256 with any kid", sign(t, jwt.SigningMethodHS256, hmacSecret, "whatever", claims(), nil)},
		{"nbf within leeway", sign(t, jwt.SigningMethodRS256, rsaKey, "rsa1", claims(set("nbf", t0.Add(29*time.Second).Unix())), nil)},
		{"iat within leeway", sign(t, jwt.SigningMethodRS256, rsaKey, "rsa1", claims(set("iat", t0.Add(29*time.Second).Unix())), nil)},
		{"exp within leeway", sign(t, jwt.SigningMethodRS256, rsaKey, "rsa1", claims(set("exp", t0.Add(-29*time.Second).Unix())), nil)},
		{"aud array with ours", sign(t, jwt.SigningMethodRS256, rsaKey, "rsa1", claims(set("aud", []string{"other", testAud})), nil)},
		{"aud canonical form", sign(t, jwt.SigningMethodRS256, rsaKey, "rsa1", claims(set("aud", "HTTPS://MCP.example:443/mcp/")), nil)},
		{"fractional exp", sign(t, jwt.SigningMethodRS256, rsaKey, "rsa1", claims(set("exp", float64(t0.Unix())+3600.5)), nil)},
		{"typ JWT allowed by default", sign(t, jwt.SigningMethodRS256, rsaKey, "rsa1", claims(), map[string]any{"typ": "JWT"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.VerifyToken(context.Background(), tt.token)
			require.NoError(t, err)
			assert.Equal(t, "alice", p.Subject)
			assert.Equal(t, testIss, p.Issuer)
			assert.Equal(t, []string{"read", "write"}, p.Scopes)
			assert.Equal(t, "app", p.ClientID)
			assert.NotEmpty(t, p.Audience)
			assert.False(t, p.Expiry.IsZero())
			assert.Equal(t, "alice", p.Claims["sub"])
		})
	}
}

func TestVerifyAttacks(t *testing.T) {
	c := newClock()
	v := attackVerifier(t, c)
	counter := newKeyServer(t) // must never be contacted

	valid := sign(t, jwt.SigningMethodRS256, rsaKey, "rsa1", claims(), nil)
	parts := strings.Split(valid, ".")
	other := strings.Split(sign(t, jwt.SigningMethodRS256, rsaKey, "rsa1", claims(set("sub", "mallory")), nil), ".")
	otherKey := strings.Split(sign(t, jwt.SigningMethodRS256, rsaKey2, "rsa1", claims(), nil), ".")

	rsaPEM := pemOf(t, &rsaKey.PublicKey)
	rsaDER, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	require.NoError(t, err)
	rsaJWK := []byte(mustJSON(t, jwk(t, &rsaKey.PublicKey, "rsa1", "", "")))
	goodHeader := `{"alg":"HS256","typ":"JWT"}`
	goodPayload := mustJSON(t, claims())

	std := func(s string) string {
		b, err := base64.RawURLEncoding.DecodeString(s)
		require.NoError(t, err)
		return base64.StdEncoding.EncodeToString(b)
	}
	stdToken := std(parts[0]) + "." + std(parts[1]) + "." + std(parts[2])
	require.NotEqual(t, valid, stdToken)

	// The last signature character with unused bits set: same bytes under
	// lenient decoding, refused under strict decoding.
	sigBytes, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	nonCanonical := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sigBytes)[:len(parts[2])-1] + "B"
	require.NotEqual(t, valid, nonCanonical)

	rs := func(kid string, cl jwt.MapClaims, hdr map[string]any) string {
		return sign(t, jwt.SigningMethodRS256, rsaKey, kid, cl, hdr)
	}

	tests := []struct {
		name  string
		token string
		want  error  // sentinel in the cause
		desc  string // client description
	}{
		{"alg none", seg(`{"alg":"none"}`) + "." + seg(goodPayload) + ".", ErrMalformed, descMalformed},
		{"alg none with signature", seg(`{"alg":"none"}`) + "." + seg(goodPayload) + ".AAAA", ErrAlgorithm, descAlgorithm},
		{"alg None", seg(`{"alg":"None"}`) + "." + seg(goodPayload) + ".AAAA", ErrAlgorithm, descAlgorithm},
		{"alg NONE", seg(`{"alg":"NONE"}`) + "." + seg(goodPayload) + ".AAAA", ErrAlgorithm, descAlgorithm},
		{"alg nOnE", seg(`{"alg":"nOnE"}`) + "." + seg(goodPayload) + ".AAAA", ErrAlgorithm, descAlgorithm},
		{"alg rs256 lower case", rs("rsa1", claims(), map[string]any{"alg": "rs256"}), ErrAlgorithm, descAlgorithm},
		{"alg missing", seg(`{"kid":"rsa1"}`) + "." + parts[1] + "." + parts[2], ErrMalformed, descMalformed},
		{"alg not allowed PS256", sign(t, jwt.SigningMethodPS256, rsaKey, "rsa1", claims(), nil), ErrAlgorithm, descAlgorithm},
		{"HS256 signed with RSA public key PEM", sign(t, jwt.SigningMethodHS256, rsaPEM, "rsa1", claims(), nil), ErrSignature, descSignature},
		{"HS256 signed with RSA public key DER", sign(t, jwt.SigningMethodHS256, rsaDER, "rsa1", claims(), nil), ErrSignature, descSignature},
		{"HS256 signed with RSA public key JWK", sign(t, jwt.SigningMethodHS256, rsaJWK, "rsa1", claims(), nil), ErrSignature, descSignature},
		{"HS256 with wrong secret", sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), "", claims(), nil), ErrSignature, descSignature},
		{"ES256 signature labelled RS256", seg(`{"alg":"RS256","kid":"rsa1"}`) + "." + strings.Split(sign(t, jwt.SigningMethodES256, ecKey, "ec1", claims(), nil), ".")[1] + "." + strings.Split(sign(t, jwt.SigningMethodES256, ecKey, "ec1", claims(), nil), ".")[2], ErrSignature, descSignature},
		{"RS256 with the EC key id", rs("ec1", claims(), nil), ErrUnknownKey, descUnknownKey},
		{"ES256 with the RSA key id", sign(t, jwt.SigningMethodES256, ecKey, "rsa1", claims(), nil), ErrUnknownKey, descUnknownKey},
		{"missing kid", rs("", claims(), nil), ErrUnknownKey, descUnknownKey},
		{"unknown kid", rs("nope", claims(), nil), ErrUnknownKey, descUnknownKey},
		{"path traversal kid", rs("../../../../dev/null", claims(), nil), ErrUnknownKey, descUnknownKey},
		{"SQL kid", rs("' OR '1'='1", claims(), nil), ErrUnknownKey, descUnknownKey},
		{"kid with newline", rs("rsa1\n", claims(), nil), ErrHeader, descHeader},
		{"kid too long", rs(strings.Repeat("k", 300), claims(), nil), ErrHeader, descHeader},
		{"kid not a string", rs("", claims(), map[string]any{"kid": 7}), ErrMalformed, descMalformed},
		{"jku header", rs("rsa1", claims(), map[string]any{"jku": counter.URL}), ErrHeader, descHeader},
		{"x5u header", rs("rsa1", claims(), map[string]any{"x5u": counter.URL}), ErrHeader, descHeader},
		{"jwk header", rs("", claims(), map[string]any{"jwk": jwk(t, &rsaKey2.PublicKey, "", "", "")}), ErrHeader, descHeader},
		{"jku with attacker key", sign(t, jwt.SigningMethodRS256, rsaKey2, "evil", claims(), map[string]any{"jku": counter.URL}), ErrHeader, descHeader},
		{"crit unknown", rs("rsa1", claims(), map[string]any{"crit": []string{"exp"}, "exp": 1}), ErrHeader, descHeader},
		{"crit empty", rs("rsa1", claims(), map[string]any{"crit": []string{}}), ErrHeader, descHeader},
		{"expired", rs("rsa1", claims(set("exp", t0.Add(-31*time.Second).Unix())), nil), ErrExpired, descExpired},
		{"nbf in the future", rs("rsa1", claims(set("nbf", t0.Add(31*time.Second).Unix())), nil), ErrNotYetValid, descNotYetValid},
		{"iat in the future", rs("rsa1", claims(set("iat", t0.Add(time.Hour).Unix())), nil), ErrIssuedInFuture, descIssuedAt},
		{"exp missing", rs("rsa1", claims(del("exp")), nil), ErrClaim, descClaim},
		{"exp as string", rs("rsa1", claims(set("exp", "9999999999")), nil), ErrClaim, descClaim},
		{"exp huge", rs("rsa1", claims(set("exp", 1e300)), nil), ErrClaim, descClaim},
		{"exp negative", rs("rsa1", claims(set("exp", -1)), nil), ErrClaim, descClaim},
		{"exp null", rs("rsa1", claims(set("exp", nil)), nil), ErrClaim, descClaim},
		{"exp bool", rs("rsa1", claims(set("exp", true)), nil), ErrClaim, descClaim},
		{"nbf as string", rs("rsa1", claims(set("nbf", "0")), nil), ErrClaim, descClaim},
		{"iss wrong", rs("rsa1", claims(set("iss", "https://evil.example")), nil), ErrIssuer, descIssuer},
		{"iss missing", rs("rsa1", claims(del("iss")), nil), ErrIssuer, descIssuer},
		{"iss not a string", rs("rsa1", claims(set("iss", []string{testIss})), nil), ErrIssuer, descIssuer},
		{"aud missing", rs("rsa1", claims(del("aud")), nil), ErrAudience, descAudience},
		{"aud wrong", rs("rsa1", claims(set("aud", "https://other.example/mcp")), nil), ErrAudience, descAudience},
		{"aud array without ours", rs("rsa1", claims(set("aud", []string{"a", "https://mcp.example/mcp2"})), nil), ErrAudience, descAudience},
		{"aud empty array", rs("rsa1", claims(set("aud", []string{})), nil), ErrAudience, descAudience},
		{"aud with fragment", rs("rsa1", claims(set("aud", testAud+"#x")), nil), ErrAudience, descAudience},
		{"aud other path", rs("rsa1", claims(set("aud", "https://mcp.example/")), nil), ErrAudience, descAudience},
		{"aud number", rs("rsa1", claims(set("aud", 1)), nil), ErrAudience, descAudience},
		{"aud array with number", rs("rsa1", claims(set("aud", []any{testAud, 1})), nil), ErrAudience, descAudience},
		{"sub missing", rs("rsa1", claims(del("sub")), nil), ErrClaim, descSubject},
		{"sub empty", rs("rsa1", claims(set("sub", "")), nil), ErrClaim, descSubject},
		{"sub not a string", rs("rsa1", claims(set("sub", 42)), nil), ErrClaim, descSubject},
		{"scope not a string", rs("rsa1", claims(set("scope", 42)), nil), ErrClaim, descClaim},
		{"signature stripped", parts[0] + "." + parts[1] + ".", ErrMalformed, descMalformed},
		{"signature stripped without dot", parts[0] + "." + parts[1], ErrMalformed, descMalformed},
		{"signature swapped from other token", parts[0] + "." + parts[1] + "." + other[2], ErrSignature, descSignature},
		{"payload swapped", parts[0] + "." + other[1] + "." + parts[2], ErrSignature, descSignature},
		{"signature by other key", parts[0] + "." + parts[1] + "." + otherKey[2], ErrSignature, descSignature},
		{"signature truncated", parts[0] + "." + parts[1] + "." + parts[2][:40], ErrSignature, descSignature},
		{"standard base64", stdToken, ErrMalformed, descMalformed},
		{"padded signature", valid + "==", ErrMalformed, descMalformed},
		{"padded header", parts[0] + "=." + parts[1] + "." + parts[2], ErrMalformed, descMalformed},
		{"non-canonical base64", nonCanonical, ErrMalformed, descMalformed},
		{"space inside", parts[0] + "." + parts[1][:10] + " " + parts[1][10:] + "." + parts[2], ErrMalformed, descMalformed},
		{"newline inside", parts[0] + "." + parts[1][:10] + "\n" + parts[1][10:] + "." + parts[2], ErrMalformed, descMalformed},
		{"tab inside", parts[0] + "\t." + parts[1] + "." + parts[2], ErrMalformed, descMalformed},
		{"trailing space", valid + " ", ErrMalformed, descMalformed},
		{"leading space", " " + valid, ErrMalformed, descMalformed},
		{"empty", "", ErrMalformed, descMalformed},
		{"one part", parts[0], ErrMalformed, descMalformed},
		{"two parts", parts[0] + "." + parts[1], ErrMalformed, descMalformed},
		{"four parts", valid + "." + parts[2], ErrMalformed, descMalformed},
		{"five parts (JWE shape)", parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[2] + "." + parts[2], ErrMalformed, descMalformed},
		{"empty header", "." + parts[1] + "." + parts[2], ErrMalformed, descMalformed},
		{"oversized", parts[0] + "." + strings.Repeat("A", 9000) + "." + parts[2], ErrTooLarge, descTooLarge},
		{"header not JSON", seg("hello") + "." + parts[1] + "." + parts[2], ErrMalformed, descMalformed},
		{"header array", seg(`["alg","RS256"]`) + "." + parts[1] + "." + parts[2], ErrMalformed, descMalformed},
		{"header invalid UTF-8", seg("{\"alg\":\"RS256\",\"x\":\"\xff\"}") + "." + parts[1] + "." + parts[2], ErrMalformed, descMalformed},
		{"payload array", hsRaw(t, goodHeader, `[1,2]`, hmacSecret), ErrMalformed, descMalformed},
		{"payload string", hsRaw(t, goodHeader, `"alice"`, hmacSecret), ErrMalformed, descMalformed},
		{"payload null", hsRaw(t, goodHeader, `null`, hmacSecret), ErrMalformed, descMalformed},
		{"payload number", hsRaw(t, goodHeader, `42`, hmacSecret), ErrMalformed, descMalformed},
		{"payload true", hsRaw(t, goodHeader, `true`, hmacSecret), ErrMalformed, descMalformed},
		{"payload with trailing data", hsRaw(t, goodHeader, goodPayload+"{}", hmacSecret), ErrMalformed, descMalformed},
		{"payload invalid UTF-8", hsRaw(t, goodHeader, strings.Replace(goodPayload, "alice", "al\xffce", 1), hmacSecret), ErrMalformed, descMalformed},
		{"payload not JSON", hsRaw(t, goodHeader, `{"sub":`, hmacSecret), ErrMalformed, descMalformed},
		{"duplicate claim", hsRaw(t, goodHeader, strings.Replace(goodPayload, "{", `{"sub":"admin",`, 1), hmacSecret), ErrMalformed, descMalformed},
		{"duplicate claim escaped", hsRaw(t, goodHeader, strings.Replace(goodPayload, "{", `{"s\u0075b":"admin",`, 1), hmacSecret), ErrMalformed, descMalformed},
		{"duplicate alg", hsRaw(t, `{"alg":"HS256","alg":"HS256","typ":"JWT"}`, goodPayload, hmacSecret), ErrMalformed, descMalformed},
		{"alg in two cases", hsRaw(t, `{"alg":"HS256","ALG":"RS256"}`, goodPayload, hmacSecret), ErrMalformed, descMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.VerifyToken(context.Background(), tt.token)
			require.Error(t, err)
			assert.Nil(t, p)
			e, ok := errors.AsType[*authresult.Error](err)
			require.True(t, ok, "typed error")
			assert.Equal(t, authresult.KindUnauthenticated, e.Kind)
			assert.Equal(t, 401, e.Status())
			assert.Equal(t, authresult.CodeInvalidToken, e.Code)
			assert.Equal(t, tt.desc, e.Description)
			assert.ErrorIs(t, err, tt.want)
			assert.ErrorIs(t, err, authresult.ErrUnauthenticated)
		})
	}
	assert.Zero(t, counter.hits.Load(), "keys named by a token are never fetched")
}

func TestVerifyReportsEveryFailedClaim(t *testing.T) {
	c := newClock()
	v := attackVerifier(t, c)
	tok := sign(t, jwt.SigningMethodRS256, rsaKey, "rsa1", claims(
		set("exp", t0.Add(-time.Hour).Unix()), set("iss", "https://evil"), set("aud", "x"), del("sub")), nil)
	_, err := v.VerifyToken(context.Background(), tok)
	require.Error(t, err)
	assert.Equal(t, descExpired, authresult.As(err).Description)
	for _, s := range []error{ErrExpired, ErrIssuer, ErrAudience, ErrClaim} {
		assert.ErrorIs(t, err, s)
	}
}

func TestVerifyAccessTokenType(t *testing.T) {
	c := newClock()
	opts := baseOptions(c)
	opts.Algorithms = []string{"HS256"}
	opts.Keys = []Key{{Secret: hmacSecret}}
	opts.RequireAccessTokenType = true
	v := newVerifier(t, opts)
	for typ, ok := range map[string]bool{"at+jwt": true, "application/at+JWT": true, "JWT": false, "": false, "dpop+jwt": false} {
		hdr := map[string]any{"typ": typ}
		if typ == "" {
			hdr = map[string]any{"typ": nil}
		}
		_, err := v.VerifyToken(context.Background(), sign(t, jwt.SigningMethodHS256, hmacSecret, "", claims(), hdr))
		if ok {
			assert.NoError(t, err, typ)
		} else {
			assert.ErrorIs(t, err, ErrHeader, typ)
		}
	}
}

func TestVerifyOptionalChecks(t *testing.T) {
	c := newClock()
	opts := baseOptions(c)
	opts.Algorithms = []string{"HS256"}
	opts.Keys = []Key{{Secret: hmacSecret}}
	opts.Audiences = nil
	opts.AnyAudience = true
	opts.AllowMissingExpiry = true
	opts.ScopeClaims = []string{"permissions"}
	v := newVerifier(t, opts)
	p, err := v.VerifyToken(context.Background(), sign(t, jwt.SigningMethodHS256, hmacSecret, "",
		claims(del("exp"), del("aud"), set("permissions", []string{"a", "b"}), del("client_id"), set("azp", "web")), nil))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, p.Scopes)
	assert.Equal(t, "web", p.ClientID)
	assert.True(t, p.Expiry.IsZero())
}

func TestVerifyScopes(t *testing.T) {
	c := newClock()
	opts := baseOptions(c)
	opts.Algorithms = []string{"HS256"}
	opts.Keys = []Key{{Secret: hmacSecret}}
	v := newVerifier(t, opts)
	tests := []struct {
		name string
		edit func(jwt.MapClaims)
		want []string
	}{
		{"scope string", set("scope", " a  b:c "), []string{"a", "b:c"}},
		{"scp array", func(m jwt.MapClaims) { delete(m, "scope"); m["scp"] = []string{"x", "y"} }, []string{"x", "y"}},
		{"scp string", func(m jwt.MapClaims) { delete(m, "scope"); m["scp"] = "x y" }, []string{"x", "y"}},
		{"none", del("scope"), nil},
		{"scope and scp merged without repeats", func(m jwt.MapClaims) { m["scope"] = "a b a"; m["scp"] = []string{"b", "c"} }, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.VerifyToken(context.Background(), sign(t, jwt.SigningMethodHS256, hmacSecret, "", claims(tt.edit), nil))
			require.NoError(t, err)
			assert.Equal(t, tt.want, p.Scopes)
		})
	}
}

func TestVerifyValidateHook(t *testing.T) {
	c := newClock()
	opts := baseOptions(c)
	opts.Algorithms = []string{"HS256"}
	opts.Keys = []Key{{Secret: hmacSecret}}
	opts.Validate = func(_ context.Context, claims map[string]any, p *authresult.Principal) error {
		switch claims["tenant"] {
		case "acme":
			p.Value = "acme-tenant"
			return nil
		case "down":
			return authresult.Unavailable("tenant directory down", time.Second, nil)
		}
		return errors.New("tenant not allowed")
	}
	v := newVerifier(t, opts)
	p, err := v.VerifyToken(context.Background(), sign(t, jwt.SigningMethodHS256, hmacSecret, "", claims(set("tenant", "acme")), nil))
	require.NoError(t, err)
	assert.Equal(t, "acme-tenant", p.Value)

	_, err = v.VerifyToken(context.Background(), sign(t, jwt.SigningMethodHS256, hmacSecret, "", claims(set("tenant", "evil")), nil))
	assert.ErrorIs(t, err, ErrRejected)
	assert.Equal(t, descRejected, authresult.As(err).Description)

	_, err = v.VerifyToken(context.Background(), sign(t, jwt.SigningMethodHS256, hmacSecret, "", claims(set("tenant", "down")), nil))
	assert.ErrorIs(t, err, authresult.ErrUnavailable)
}

func TestVerifyIssuerBoundKey(t *testing.T) {
	c := newClock()
	opts := baseOptions(c)
	opts.Issuers = []string{testIss, "https://other.example"}
	opts.Algorithms = []string{"RS256", "ES256"}
	opts.Keys = []Key{
		{ID: "a", PublicKey: &rsaKey.PublicKey, Issuer: testIss},
		{ID: "b", PublicKey: &ecKey.PublicKey, Issuer: "https://other.example"},
	}
	v := newVerifier(t, opts)
	_, err := v.VerifyToken(context.Background(), sign(t, jwt.SigningMethodRS256, rsaKey, "a", claims(), nil))
	require.NoError(t, err)
	_, err = v.VerifyToken(context.Background(), sign(t, jwt.SigningMethodES256, ecKey, "b", claims(), nil))
	assert.ErrorIs(t, err, ErrIssuer, "the other issuer's key cannot vouch for testIss")
}

func TestVerifyNeverLogsToken(t *testing.T) {
	c := newClock()
	var buf strings.Builder
	opts := baseOptions(c)
	opts.Algorithms = []string{"HS256"}
	opts.Keys = []Key{{Secret: hmacSecret}}
	opts.Logger = newTestLogger(&buf)
	v := newVerifier(t, opts)
	tok := sign(t, jwt.SigningMethodHS256, hmacSecret, "", claims(set("exp", t0.Add(-time.Hour).Unix())), nil)
	_, err := v.VerifyToken(context.Background(), tok)
	require.Error(t, err)
	bad := tok[:len(tok)-3] + "AAA"
	_, err = v.VerifyToken(context.Background(), bad)
	require.Error(t, err)
	assert.Contains(t, buf.String(), "token expired")
	for _, s := range append(strings.Split(tok, "."), strings.Split(bad, ".")...) {
		assert.NotContains(t, buf.String(), s)
	}
}
