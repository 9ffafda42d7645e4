package jwtverify_test

import (
	"context"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/middleware/jwtverify"
)

// A verifier for HS256 tokens with a fixed clock. The first token is
// accepted; the expired one gets 401 with a client-safe description.
func ExampleVerifier_VerifyToken() {
	secret := []byte("an-example-secret-of-32-bytes-ok")
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	v, err := jwtverify.New(&jwtverify.Options{
		Algorithms: []string{"HS256"},
		Keys:       []jwtverify.Key{{Secret: secret}},
		Issuers:    []string{"https://idp.example"},
		Audiences:  []string{"https://mcp.example/mcp"},
		Now:        func() time.Time { return now },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()

	mint := func(exp time.Time) string {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"iss": "https://idp.example", "sub": "alice", "aud": "https://mcp.example/mcp/",
			"exp": exp.Unix(), "scope": "tools:read tools:call", "client_id": "cli",
		}).SignedString(secret)
		return s
	}

	p, err := v.VerifyToken(context.Background(), mint(now.Add(time.Hour)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Subject, p.ClientID, p.Scopes, p.Expiry.Format(time.RFC3339))

	_, err = v.VerifyToken(context.Background(), mint(now.Add(-time.Hour)))
	e := authresult.As(err)
	fmt.Println(e.Status(), e.Code, e.Description)
	// Output:
	// alice cli [tools:read tools:call] 2026-01-01T13:00:00Z
	// 401 invalid_token token expired
}

// New refuses configurations that would accept forged tokens.
func ExampleNew_unsafe() {
	_, err := jwtverify.New(&jwtverify.Options{
		Algorithms: []string{"HS256", "none"},
		Keys:       []jwtverify.Key{{Secret: []byte("short")}},
		Issuers:    []string{"https://idp.example"},
		Audiences:  []string{"https://mcp.example/mcp"},
	})
	fmt.Println(err)
	// Output:
	// jwtverify: algorithm "none" is never accepted
}
