// Command chi protects a chi router with mcpauth: the metadata route is
// public, every route in the authenticated group runs only with a
// principal, and one route also needs the mcp:admin scope.
//
//	go run ./examples/chi
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

	"github.com/go-chi/chi/v5"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/middleware"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()

	readToken, adminToken := rand.Text(), rand.Text()
	h, err := newRouter("http://"+*addr, map[string]*authresult.Principal{
		readToken:  {Subject: "reader", Scopes: []string{"mcp:read"}},
		adminToken: {Subject: "admin", Scopes: []string{"mcp:read", "mcp:admin"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("mcpauth chi example on http://%s/mcp\n", *addr)
	fmt.Printf("  reader token: %s\n  admin token:  %s\n", readToken, adminToken)
	fmt.Printf("  curl -i -H 'Authorization: Bearer %s' http://%s/mcp/admin\n", readToken, *addr)
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	log.Fatal(srv.ListenAndServe())
}

func newRouter(baseURL string, tokens map[string]*authresult.Principal) (http.Handler, error) {
	verify := middleware.TokenVerifierFunc(func(_ context.Context, got string) (*authresult.Principal, error) {
		for tok, p := range tokens { // constant time per entry: no early exit on a prefix
			if subtle.ConstantTimeCompare([]byte(got), []byte(tok)) == 1 {
				return p, nil
			}
		}
		return nil, authresult.InvalidToken("unknown token", nil)
	})
	auth, err := middleware.New(verify, &middleware.Options{
		Resource: baseURL + "/mcp",
		// With static tokens there is no authorization server to point to;
		// a real deployment names its identity provider here.
		AuthorizationServers: []string{baseURL},
		Scopes:               []string{"mcp:read", "mcp:admin"},
		// Causes of refusals never reach the client; warnings and errors
		// (a verifier that fails or panics) go to stderr.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, err
	}
	admin, err := auth.RequireScopes("mcp:admin")
	if err != nil {
		return nil, err
	}

	r := chi.NewRouter()
	if err := auth.MountMetadata(r); err != nil {
		return nil, err
	}
	r.Group(func(r chi.Router) {
		r.Use(auth.Handler)
		r.Handle("/mcp", http.HandlerFunc(whoami))
		r.With(admin).Handle("/mcp/admin", http.HandlerFunc(whoami))
	})
	return r, nil
}

func whoami(w http.ResponseWriter, r *http.Request) {
	p, _ := authresult.FromContext(r.Context())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"subject": p.Subject, "scopes": p.Scopes})
}
