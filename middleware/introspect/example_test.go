package introspect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/middleware/introspect"
	"github.com/mcpauth/mcpauth/middleware/jwtverify"
)

// A verifier asking an introspection endpoint (here a test server that
// knows one active token) about each token. The active token gives a
// principal; any other is refused with 401 and a client-safe
// description; once the endpoint is gone, tokens get 503 with a
// Retry-After hint instead of a 401 that would send clients to log in.
func ExampleVerifier_VerifyToken() {
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		if id != "mcp-server" || secret != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		resp := map[string]any{"active": false}
		if r.PostFormValue("token") == "opaque-token-1" {
			resp = map[string]any{
				"active": true, "sub": "alice", "client_id": "cli",
				"iss": "https://idp.example", "aud": "https://mcp.example/mcp",
				"scope": "tools:read tools:call", "token_type": "Bearer",
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	}))

	v, err := introspect.New(&introspect.Options{
		Endpoint:     as.URL + "/introspect", // http is allowed on loopback only
		ClientID:     "mcp-server",
		ClientSecret: "s3cret",
		Issuers:      []string{"https://idp.example"},
		Audiences:    []string{"https://mcp.example/mcp"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	p, err := v.VerifyToken(ctx, "opaque-token-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Subject, p.ClientID, p.Scopes)

	_, err = v.VerifyToken(ctx, "revoked-token")
	e := authresult.As(err)
	fmt.Println(e.Status(), e.Code, e.Description)

	as.Close()
	_, err = v.VerifyToken(ctx, "another-token")
	e = authresult.As(err)
	fmt.Println(e.Status(), e.Description, e.RetryAfter)
	// Output:
	// alice cli [tools:read tools:call]
	// 401 invalid_token token inactive
	// 503 token introspection unavailable 5s
}

// New refuses configurations that would send credentials in the clear or
// accept tokens issued for other servers.
func ExampleNew() {
	_, err := introspect.New(&introspect.Options{
		Endpoint:     "http://idp.example/introspect",
		ClientID:     "mcp-server",
		ClientSecret: "s3cret",
		Issuers:      []string{"https://idp.example"},
		Audiences:    []string{"https://mcp.example/mcp"},
	})
	fmt.Println(err)
	_, err = introspect.New(&introspect.Options{
		Endpoint:     "https://idp.example/introspect",
		ClientID:     "mcp-server",
		ClientSecret: "s3cret",
		Issuers:      []string{"https://idp.example"},
	})
	fmt.Println(err)
	// Output:
	// introspect: option Endpoint "http://idp.example/introspect" must use https (http only on loopback)
	// introspect: option Audiences is required (set AnyAudience to opt out)
}

// A JWT verified locally and then confirmed by introspection, so that a
// token revoked at the authorization server stops working within the
// introspection cache's TTL instead of at its exp.
func ExampleNewRevocation() {
	secret := []byte("an-example-secret-of-32-bytes-ok")
	var revoked atomic.Bool // at the authorization server
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp := map[string]any{"active": false}
		if !revoked.Load() {
			resp = map[string]any{"active": true, "sub": "alice", "iss": "https://idp.example", "aud": "https://mcp.example/mcp"}
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	defer as.Close()

	local, _ := jwtverify.New(&jwtverify.Options{
		Algorithms: []string{"HS256"},
		Keys:       []jwtverify.Key{{Secret: secret}},
		Issuers:    []string{"https://idp.example"},
		Audiences:  []string{"https://mcp.example/mcp"},
	})
	defer local.Close()
	remote, _ := introspect.New(&introspect.Options{
		Endpoint: as.URL, ClientID: "mcp-server", ClientSecret: "s3cret",
		Issuers:   []string{"https://idp.example"},
		Audiences: []string{"https://mcp.example/mcp"},
		Cache:     introspect.CacheOptions{Disabled: true}, // revocation takes effect at once
	})
	v, _ := introspect.NewRevocation(local, remote)

	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://idp.example", "sub": "alice", "aud": "https://mcp.example/mcp",
		"exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)

	p, err := v.VerifyToken(context.Background(), tok)
	fmt.Println(p.Subject, err)
	revoked.Store(true)
	_, err = v.VerifyToken(context.Background(), tok)
	fmt.Println(authresult.As(err).Description)
	// Output:
	// alice <nil>
	// token inactive
}
