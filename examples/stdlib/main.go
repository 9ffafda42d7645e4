// Command stdlib is the shortest complete server protected by mcpauth: an
// http.ServeMux whose /mcp endpoint runs only for callers with a valid
// bearer token, and which tells everyone else, with a 401 and a
// WWW-Authenticate challenge, where to get one.
//
// It generates a random API token at start and prints it with curl
// commands to try. Run it with:
//
//	go run ./examples/stdlib
package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/middleware"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()

	token := rand.Text() // 26 random base32 characters
	h, err := newServer("http://"+*addr, token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("mcpauth stdlib example on http://%s/mcp\n\n", *addr)
	fmt.Printf("  curl -i http://%s/mcp\n", *addr)
	fmt.Printf("  curl -i -H 'Authorization: Bearer %s' http://%s/mcp\n", token, *addr)
	fmt.Printf("  curl -i http://%s/.well-known/oauth-protected-resource/mcp\n", *addr)
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// newServer protects a handler on a ServeMux with a verifier that accepts
// one token.
func newServer(baseURL, token string) (http.Handler, error) {
	verify := middleware.TokenVerifierFunc(func(_ context.Context, got string) (*authresult.Principal, error) {
		if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			return nil, authresult.InvalidToken("unknown token", nil)
		}
		return &authresult.Principal{Subject: "demo-user", Scopes: []string{"mcp:read"}}, nil
	})
	auth, err := middleware.New(verify, &middleware.Options{
		Resource: baseURL + "/mcp",
		// With static tokens there is no authorization server to point to;
		// a real deployment names its identity provider here.
		AuthorizationServers: []string{baseURL},
		Scopes:               []string{"mcp:read"},
		// Causes of refusals never reach the client; warnings and errors
		// (a verifier that fails or panics) go to stderr.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	if err := auth.MountMetadata(mux); err != nil {
		return nil, err
	}
	mux.Handle("/mcp", auth.Handler(http.HandlerFunc(whoami)))
	return mux, nil
}

// whoami answers with the authenticated caller. It can rely on a principal:
// the middleware never calls it without one.
func whoami(w http.ResponseWriter, r *http.Request) {
	p, _ := authresult.FromContext(r.Context())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"subject": p.Subject, "scopes": p.Scopes})
}
