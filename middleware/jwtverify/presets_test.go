package jwtverify

import (
	"context"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// presetVerifier is o with its JWKS replaced by the test RSA key, bound
// to the same issuer, on clock c.
func presetVerifier(t *testing.T, c *clock, o *Options) *Verifier {
	t.Helper()
	require.Len(t, o.JWKS, 1)
	o.Keys = []Key{{ID: "k1", PublicKey: &rsaKey.PublicKey, Issuer: o.JWKS[0].Issuer}}
	o.JWKS = nil
	o.Now, o.after = c.Now, c.After
	return newVerifier(t, *o)
}

// presetCase is a token of a provider's shape and what must come of it.
type presetCase struct {
	name   string
	claims jwt.MapClaims
	ok     bool
	scopes []string
	client string
	why    error // for a refusal: the cause it must have
}

func runPreset(t *testing.T, o *Options, cases []presetCase) {
	c := newClock()
	v := presetVerifier(t, c, o)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.claims["iat"], tc.claims["exp"] = t0.Unix(), t0.Unix()+3600
			p, err := v.VerifyToken(context.Background(), sign(t, jwt.SigningMethodRS256, rsaKey, "k1", tc.claims, map[string]any{"typ": "JWT"}))
			if !tc.ok {
				require.NotNil(t, tc.why, "a refusal names its cause")
				assert.ErrorIs(t, err, tc.why)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.scopes, p.Scopes)
			assert.Equal(t, tc.client, p.ClientID)
		})
	}
}

func TestPresetKeycloak(t *testing.T) {
	const iss = "https://sso.example.com/realms/mcp"
	o := Keycloak(iss+"/", "mcp-server")
	assert.Equal(t, iss+"/protocol/openid-connect/certs", o.JWKS[0].URL)
	access := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": iss, "sub": "f:3c0e:alice", "aud": []any{"mcp-server", "account"}, "typ": "Bearer",
			"azp": "mcp-client", "scope": "openid profile mcp:read", "realm_access": map[string]any{"roles": []any{"user"}}}
	}
	id := access()
	id["typ"], id["aud"] = "ID", "mcp-server"
	other := access()
	other["aud"] = "account"
	runPreset(t, o, []presetCase{
		{"access token", access(), true, []string{"openid", "profile", "mcp:read"}, "mcp-client", nil},
		{"ID token", id, false, nil, "", ErrRejected},
		{"for another client", other, false, nil, "", ErrAudience},
	})
}

func TestPresetEntraID(t *testing.T) {
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	const app = "api://5b1a2c3d-mcp"
	access := func(tid string) jwt.MapClaims {
		return jwt.MapClaims{"iss": "https://login.microsoftonline.com/" + tid + "/v2.0", "tid": tid, "ver": "2.0",
			"sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "oid": "00000000-0000-0000-66f3-3332eca7ea81",
			"aud": app, "azp": "a7e2b9c4-client", "scp": "MCP.Read MCP.Call", "roles": []any{"Reports.Admin"}}
	}
	v1 := access(tenant)
	v1["ver"] = "1.0"
	t.Run("one tenant", func(t *testing.T) {
		o := EntraID(tenant, app)
		assert.Equal(t, "https://login.microsoftonline.com/"+tenant+"/discovery/v2.0/keys", o.JWKS[0].URL)
		runPreset(t, o, []presetCase{
			{"v2 access token", access(tenant), true, []string{"MCP.Read", "MCP.Call", "Reports.Admin"}, "a7e2b9c4-client", nil},
			{"v1 token", v1, false, nil, "", ErrRejected},
			{"another tenant", access("11111111-2222-3333-4444-555555555555"), false, nil, "", ErrIssuer},
		})
	})
	t.Run("any tenant", func(t *testing.T) {
		spoofed := access("11111111-2222-3333-4444-555555555555")
		spoofed["tid"] = tenant
		runPreset(t, EntraID("", app), []presetCase{
			{"tenant A", access(tenant), true, []string{"MCP.Read", "MCP.Call", "Reports.Admin"}, "a7e2b9c4-client", nil},
			{"tenant B", access("11111111-2222-3333-4444-555555555555"), true, []string{"MCP.Read", "MCP.Call", "Reports.Admin"}, "a7e2b9c4-client", nil},
			{"iss of one tenant, tid of another", spoofed, false, nil, "", ErrIssuer},
		})
	})
}

func TestPresetAuth0(t *testing.T) {
	const iss = "https://example.us.auth0.com/"
	const api = "https://mcp.example.com/mcp"
	o := Auth0("example.us.auth0.com", api)
	assert.Equal(t, iss+".well-known/jwks.json", o.JWKS[0].URL)
	access := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": iss, "sub": "auth0|64b7f0c2e1", "aud": []any{api, iss + "userinfo"},
			"azp": "Xy7client", "scope": "openid mcp:read", "permissions": []any{"mcp:read", "mcp:admin"}}
	}
	noSlash := access()
	noSlash["iss"] = "https://example.us.auth0.com"
	runPreset(t, o, []presetCase{
		{"access token with permissions", access(), true, []string{"openid", "mcp:read", "mcp:admin"}, "Xy7client", nil},
		{"issuer without the slash", noSlash, false, nil, "", ErrIssuer},
	})
}

func TestPresetOkta(t *testing.T) {
	const iss = "https://example.okta.com/oauth2/default"
	o := Okta(iss, "api://default")
	assert.Equal(t, iss+"/v1/keys", o.JWKS[0].URL)
	access := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": iss, "sub": "alice@example.com", "aud": "api://default", "ver": 1,
			"jti": "AT.x", "cid": "0oa1client", "uid": "00u1", "scp": []any{"openid", "mcp:read"}}
	}
	other := access()
	other["aud"] = "api://other"
	runPreset(t, o, []presetCase{
		{"access token", access(), true, []string{"openid", "mcp:read"}, "0oa1client", nil},
		{"another authorization server's audience", other, false, nil, "", ErrAudience},
	})
}

func TestPresetCognito(t *testing.T) {
	const iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
	o := Cognito("eu-west-1", "eu-west-1_AbCdEf123", "3n4client")
	assert.Equal(t, iss+"/.well-known/jwks.json", o.JWKS[0].URL)
	access := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": iss, "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "token_use": "access",
			"client_id": "3n4client", "scope": "mcp/read mcp/call", "username": "alice", "auth_time": t0.Unix()}
	}
	id := access()
	id["token_use"], id["aud"] = "id", "3n4client"
	delete(id, "client_id")
	stranger := access()
	stranger["client_id"] = "other"
	runPreset(t, o, []presetCase{
		{"access token", access(), true, []string{"mcp/read", "mcp/call"}, "3n4client", nil},
		{"ID token", id, false, nil, "", ErrRejected},
		{"another app client", stranger, false, nil, "", ErrRejected},
	})
	assert.Error(t, func() error {
		c := newClock()
		v := presetVerifier(t, c, Cognito("eu-west-1", "eu-west-1_AbCdEf123"))
		tok := access()
		tok["iat"], tok["exp"] = t0.Unix(), t0.Unix()+3600
		_, err := v.VerifyToken(context.Background(), sign(t, jwt.SigningMethodRS256, rsaKey, "k1", tok, nil))
		return err
	}(), "no app client allowed: every token is refused")
}
