package middleware_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/middleware"
)

func Example() {
	verify := middleware.TokenVerifierFunc(func(ctx context.Context, token string) (*authresult.Principal, error) {
		if token != "demo-token" {
			return nil, authresult.InvalidToken("unknown token", nil)
		}
		return &authresult.Principal{Subject: "alice", Scopes: []string{"mcp:read"}}, nil
	})
	auth, err := middleware.New(verify, &middleware.Options{
		Resource:             "https://mcp.example.com/mcp",
		AuthorizationServers: []string{"https://auth.example.com"},
		Scopes:               []string{"mcp:read"},
	})
	if err != nil {
		panic(err) // bad configuration fails here, never per request
	}

	mux := http.NewServeMux()
	_ = auth.MountMetadata(mux) // /.well-known/oauth-protected-resource/mcp
	mux.Handle("/mcp", auth.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := authresult.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s", p.Subject)
	})))

	for _, token := range []string{"", "forged", "demo-token"} {
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(strings.TrimSpace(fmt.Sprint(rec.Code, " ", rec.Header().Get("WWW-Authenticate"))))
		fmt.Println(strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 401 Bearer scope="mcp:read", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
	// {"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"authentication required","data":{"scope":"mcp:read","resource_metadata":"https://mcp.example.com/.well-known/oauth-protected-resource/mcp"}}}
	// 401 Bearer error="invalid_token", error_description="unknown token", scope="mcp:read", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
	// {"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"unknown token","data":{"error":"invalid_token","error_description":"unknown token","scope":"mcp:read","resource_metadata":"https://mcp.example.com/.well-known/oauth-protected-resource/mcp"}}}
	// 200
	// hello alice
}

// NewFunc accepts the soft-failure shapes of existing authenticate
// callbacks; {authenticated: false} can no longer open a session.
func ExampleNewFunc() {
	auth, _ := middleware.NewFunc(func(r *http.Request) (any, error) {
		if r.Header.Get("X-Api-Key") != "k-123" {
			return map[string]any{"authenticated": false, "error": "Invalid API key"}, nil
		}
		return map[string]any{"authenticated": true, "sub": "service-a"}, nil
	}, nil)
	h := auth.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "tool ran")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mcp", nil))
	fmt.Println(rec.Code, rec.Body.Len() > 0, strings.Contains(rec.Body.String(), "tool ran"))
	// Output:
	// 401 true false
}

func ExampleByFormat() {
	local := middleware.TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) {
		return &authresult.Principal{Subject: "from a JWT"}, nil
	})
	introspection := middleware.TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) {
		return &authresult.Principal{Subject: "from introspection"}, nil
	})
	v := middleware.ByFormat(local, introspection)
	for _, tok := range []string{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "2YotnFZFEjr1zCsicMWpAA"} {
		p, _ := v.VerifyToken(context.Background(), tok)
		fmt.Println(p.Subject)
	}
	// Output:
	// from a JWT
	// from introspection
}
