package jwtverify

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/mcpauth/mcpauth/authresult"
)

// The presets return Options for the access tokens of a well-known
// identity provider as it issues them: its issuer, where its keys are,
// which claims carry scopes, and the checks that keep its other tokens
// (ID tokens, refresh tokens) from passing as access tokens. Change any
// field before passing the result to [New]; the audiences must name this
// server as the provider puts it in "aud".

// Keycloak is a Keycloak realm, realmURL such as
// "https://sso.example.com/realms/mcp". Keycloak puts scopes in "scope"
// and, in the payload, "typ":"Bearer" on access tokens ("ID" on ID
// tokens), which the preset requires. Its "aud" names clients: add an
// audience mapper for this server.
func Keycloak(realmURL string, audiences ...string) *Options {
	realmURL = strings.TrimSuffix(realmURL, "/")
	return &Options{
		Algorithms: []string{"RS256"},
		Issuers:    []string{realmURL},
		Audiences:  audiences,
		JWKS:       []JWKSSource{{URL: realmURL + "/protocol/openid-connect/certs", Issuer: realmURL}},
		Validate:   requireClaim("typ", "Bearer"),
	}
}

// EntraID is Microsoft Entra ID (v2.0 tokens) for tenant, a tenant id;
// "" accepts every tenant, each token's issuer bound to its own "tid"
// claim. audiences are the application (client) id or App ID URI the
// tokens are requested for. Delegated scopes are in "scp", application
// roles in "roles"; both are read. Tokens must be "ver":"2.0".
func EntraID(tenant string, audiences ...string) *Options {
	issuer, keys := "https://login.microsoftonline.com/{tid}/v2.0", "https://login.microsoftonline.com/common/discovery/v2.0/keys"
	if tenant != "" {
		issuer = "https://login.microsoftonline.com/" + tenant + "/v2.0"
		keys = "https://login.microsoftonline.com/" + tenant + "/discovery/v2.0/keys"
	}
	return &Options{
		Algorithms:  []string{"RS256"},
		Issuers:     []string{issuer},
		Audiences:   audiences,
		JWKS:        []JWKSSource{{URL: keys, Issuer: issuer}},
		ScopeClaims: []string{"scp", "roles"},
		Validate:    requireClaim("ver", "2.0"),
	}
}

// Auth0 is an Auth0 tenant, domain such as "example.us.auth0.com". Its
// issuer ends in a slash; "aud" holds the API identifier (with the
// userinfo URL when openid was asked for); scopes are in "scope" and,
// with RBAC, the API's permissions in "permissions"; both are read.
func Auth0(domain string, audiences ...string) *Options {
	issuer := "https://" + strings.TrimSuffix(domain, "/") + "/"
	return &Options{
		Algorithms:  []string{"RS256"},
		Issuers:     []string{issuer},
		Audiences:   audiences,
		JWKS:        []JWKSSource{{URL: issuer + ".well-known/jwks.json", Issuer: issuer}},
		ScopeClaims: []string{"scope", "permissions"},
	}
}

// Okta is an Okta authorization server, issuer such as
// "https://example.okta.com/oauth2/default". Okta puts scopes in "scp"
// as an array and the client id in "cid", which becomes the principal's
// ClientID.
func Okta(issuer string, audiences ...string) *Options {
	issuer = strings.TrimSuffix(issuer, "/")
	return &Options{
		Algorithms:  []string{"RS256"},
		Issuers:     []string{issuer},
		Audiences:   audiences,
		JWKS:        []JWKSSource{{URL: issuer + "/v1/keys", Issuer: issuer}},
		ScopeClaims: []string{"scp"},
		Validate: func(_ context.Context, claims map[string]any, p *authresult.Principal) error {
			if cid, ok := claims["cid"].(string); ok && p.ClientID == "" {
				p.ClientID = cid
			}
			return nil
		},
	}
}

// Cognito is an Amazon Cognito user pool. Its access tokens carry no
// "aud": the preset turns the audience check off and instead requires
// "token_use":"access" and a "client_id" among clientIDs (the app clients
// allowed to call this server; at least one).
func Cognito(region, userPoolID string, clientIDs ...string) *Options {
	issuer := "https://cognito-idp." + region + ".amazonaws.com/" + userPoolID
	access := requireClaim("token_use", "access")
	allowed := slices.Clone(clientIDs)
	return &Options{
		Algorithms:  []string{"RS256"},
		Issuers:     []string{issuer},
		AnyAudience: true,
		JWKS:        []JWKSSource{{URL: issuer + "/.well-known/jwks.json", Issuer: issuer}},
		Validate: func(ctx context.Context, claims map[string]any, p *authresult.Principal) error {
			if err := access(ctx, claims, p); err != nil {
				return err
			}
			if !slices.Contains(allowed, p.ClientID) {
				return fmt.Errorf("client_id %q is not an allowed app client", p.ClientID)
			}
			return nil
		},
	}
}

// requireClaim is a Validate hook requiring claim name to be want.
func requireClaim(name, want string) func(context.Context, map[string]any, *authresult.Principal) error {
	return func(_ context.Context, claims map[string]any, _ *authresult.Principal) error {
		if got, _ := claims[name].(string); got != want {
			return fmt.Errorf("claim %q is %q, want %q", name, got, want)
		}
		return nil
	}
}
