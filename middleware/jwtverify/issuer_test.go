package jwtverify

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hsVerifier is an HS256 verifier on clock c, changed by edit.
func hsVerifier(t *testing.T, c *clock, edit func(*Options)) *Verifier {
	t.Helper()
	opts := baseOptions(c)
	opts.Algorithms = []string{"HS256"}
	opts.Keys = []Key{{Secret: hmacSecret}}
	if edit != nil {
		edit(&opts)
	}
	return newVerifier(t, opts)
}

// TestLeeway: by default a minute of clock skew is tolerated on every
// time claim, in both directions; NoLeeway tolerates none.
func TestLeeway(t *testing.T) {
	c := newClock()
	now := t0.Unix()
	tests := []struct {
		name   string
		edit   func(jwt.MapClaims)
		strict error // with NoLeeway; nil means accepted
		dflt   error // with the default leeway
	}{
		{"iat 2 s ahead", set("iat", now+2), ErrIssuedInFuture, nil},
		{"nbf 2 s ahead", set("nbf", now+2), ErrNotYetValid, nil},
		{"exp 2 s ago", set("exp", now-2), ErrExpired, nil},
		{"iat 61 s ahead", set("iat", now+61), ErrIssuedInFuture, ErrIssuedInFuture},
		{"nbf 61 s ahead", set("nbf", now+61), ErrNotYetValid, ErrNotYetValid},
		{"exp 60 s ago", set("exp", now-60), ErrExpired, ErrExpired},
		{"exp 59 s ago", set("exp", now-59), ErrExpired, nil},
		{"iat now", set("iat", now), nil, nil},
	}
	strict := hsVerifier(t, c, func(o *Options) { o.Leeway = NoLeeway })
	dflt := hsVerifier(t, c, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := hsTok(t, tt.edit)
			for _, v := range []struct {
				v    *Verifier
				want error
			}{{strict, tt.strict}, {dflt, tt.dflt}} {
				_, err := v.v.VerifyToken(context.Background(), tok)
				if v.want == nil {
					assert.NoError(t, err)
				} else {
					assert.ErrorIs(t, err, v.want)
				}
			}
		})
	}
	for _, bad := range []time.Duration{-2, -time.Second} {
		opts := baseOptions(c)
		opts.Algorithms, opts.Keys, opts.Leeway = []string{"HS256"}, []Key{{Secret: hmacSecret}}, bad
		_, err := New(&opts)
		assert.ErrorContains(t, err, "negative Leeway", "%v", bad)
	}
}

// TestIssuerTemplate: a multi-tenant issuer accepts a tenant only through
// the token's own tid claim.
func TestIssuerTemplate(t *testing.T) {
	c := newClock()
	const tmpl = "https://login.microsoftonline.com/{tid}/v2.0"
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	v := hsVerifier(t, c, func(o *Options) { o.Issuers = []string{tmpl} })
	iss := "https://login.microsoftonline.com/" + tenant + "/v2.0"
	tests := []struct {
		name string
		edit []func(jwt.MapClaims)
		ok   bool
	}{
		{"tenant from tid", []func(jwt.MapClaims){set("iss", iss), set("tid", tenant)}, true},
		{"tid of another tenant", []func(jwt.MapClaims){set("iss", iss), set("tid", "00000000-0000-0000-0000-000000000000")}, false},
		{"no tid", []func(jwt.MapClaims){set("iss", iss)}, false},
		{"tid not a string", []func(jwt.MapClaims){set("iss", iss), set("tid", 7)}, false},
		{"tid with a path", []func(jwt.MapClaims){set("iss", "https://login.microsoftonline.com/a/b/v2.0"), set("tid", "a/b")}, false},
		{"tid with a host", []func(jwt.MapClaims){set("iss", "https://login.microsoftonline.com/x@evil/v2.0"), set("tid", "x@evil")}, false},
		{"tid dot-dot", []func(jwt.MapClaims){set("iss", "https://login.microsoftonline.com/../v2.0"), set("tid", "..")}, false},
		{"empty tenant", []func(jwt.MapClaims){set("iss", "https://login.microsoftonline.com//v2.0"), set("tid", "")}, false},
		{"template itself", []func(jwt.MapClaims){set("iss", tmpl), set("tid", "{tid}")}, false},
		{"other suffix", []func(jwt.MapClaims){set("iss", "https://login.microsoftonline.com/"+tenant+"/v2.0/x"), set("tid", tenant)}, false},
		{"other host", []func(jwt.MapClaims){set("iss", "https://login.evil.com/"+tenant+"/v2.0"), set("tid", tenant)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.VerifyToken(context.Background(), hsTok(t, tt.edit...))
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, iss, p.Issuer, "the principal names the tenant's issuer")
			} else {
				assert.ErrorIs(t, err, ErrIssuer)
			}
		})
	}
	for _, bad := range []string{"https://a/{tid", "https://a/{}/x", "https://a/{a}/{b}", "{tid}/v2.0", "https://a/}{tid}", "https://a/{t/d}"} {
		opts := baseOptions(c)
		opts.Algorithms, opts.Keys, opts.Issuers = []string{"HS256"}, []Key{{Secret: hmacSecret}}, []string{bad}
		_, err := New(&opts)
		assert.Error(t, err, bad)
	}
}

// TestIssuerOptions: each issuer has its own audiences and scope claims,
// and one issuer's settings never apply to another's tokens.
func TestIssuerOptions(t *testing.T) {
	c := newClock()
	const other = "https://other.example"
	v := hsVerifier(t, c, func(o *Options) {
		o.Issuers = []string{testIss, other}
		o.IssuerOptions = map[string]IssuerOptions{
			other: {Audiences: []string{"api://mcp"}, ScopeClaims: []string{"permissions", "scope"}},
		}
	})
	tests := []struct {
		name   string
		edit   []func(jwt.MapClaims)
		want   error
		scopes []string
	}{
		{"default issuer, default audience", nil, nil, []string{"read", "write"}},
		{"default issuer, other's audience", []func(jwt.MapClaims){set("aud", "api://mcp")}, ErrAudience, nil},
		{"other issuer, its audience, its claims", []func(jwt.MapClaims){set("iss", other), set("aud", "api://mcp"), set("permissions", []string{"admin"})}, nil, []string{"admin", "read", "write"}},
		{"other issuer, default audience", []func(jwt.MapClaims){set("iss", other)}, ErrAudience, nil},
		{"default issuer ignores permissions", []func(jwt.MapClaims){set("permissions", []string{"admin"})}, nil, []string{"read", "write"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.VerifyToken(context.Background(), hsTok(t, tt.edit...))
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.scopes, p.Scopes)
		})
	}

	for name, edit := range map[string]func(*Options){
		"options for an unlisted issuer": func(o *Options) { o.IssuerOptions = map[string]IssuerOptions{"https://x": {AnyAudience: true}} },
		"issuer listed twice":            func(o *Options) { o.Issuers = []string{testIss, testIss} },
		"an issuer without audiences": func(o *Options) {
			o.Audiences = nil
			o.Issuers = []string{testIss, other}
			o.IssuerOptions = map[string]IssuerOptions{other: {AnyAudience: true}}
		},
		"both audiences and any": func(o *Options) {
			o.IssuerOptions = map[string]IssuerOptions{testIss: {AnyAudience: true, Audiences: []string{"a"}}}
		},
		"empty scope claim": func(o *Options) { o.ScopeClaims = []string{""} },
	} {
		opts := baseOptions(c)
		opts.Algorithms, opts.Keys = []string{"HS256"}, []Key{{Secret: hmacSecret}}
		edit(&opts)
		_, err := New(&opts)
		assert.Error(t, err, name)
	}
}
