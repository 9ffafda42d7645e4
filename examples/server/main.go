// Command server is an MCP server built with the official Go SDK and
// protected by mcpauth end to end: JWT access tokens (RFC 8707 audience),
// RFC 9728 protected resource metadata, and an mcphandler guard with
// session binding and a per-tool policy.
//
// With no flags it listens on 127.0.0.1:8080, generates a demo signing key,
// serves its JWKS, and prints two ready tokens (a reader and an admin) with
// commands to try them:
//
//	go run ./examples/server
//
// With -jwks-url, -issuer and -audience it trusts a real identity provider
// instead and generates nothing. Every flag has an environment fallback;
// see -help.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth/examples/internal/demo"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcphandler/gosdk"
)

func main() {
	flags := demo.NewFlags(flag.CommandLine)
	cfg := demo.Register(flags, "127.0.0.1:8080")
	if err := flags.Parse(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run(cfg *demo.Config) error {
	return demo.Run(cfg, "mcpauth example MCP server", nil, func(stack *demo.Stack) (http.Handler, error) {
		return newHandler(stack, cfg.Stateless)
	})
}

// newHandler assembles the server: metadata and JWKS in the open, the MCP
// endpoint behind authentication and the guard.
func newHandler(stack *demo.Stack, stateless bool) (http.Handler, error) {
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return newMCPServer() },
		// The SDK keeps a session until it is deleted or times out; the
		// guard deletes those it evicts, the timeout ends the rest.
		&mcp.StreamableHTTPOptions{Stateless: stateless, SessionTimeout: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	guard, err := mcphandler.New(gosdk.Handler(sdk), &mcphandler.Options{
		Challenge:  stack.Auth.Challenge(),
		Store:      stack.Store,
		RateLimit:  stack.RateLimit,
		Logger:     stack.Logger,
		OnDecision: stack.OnDecision,
		Policy: &mcphandler.Policy{
			Methods: map[string][]string{"tools/call": {demo.ScopeRead}, "tools/list": {demo.ScopeRead}},
			Tools:   map[string][]string{"whoami": nil, "echo": nil, "admin_stats": {demo.ScopeAdmin}},
		},
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	if err := stack.Mount(mux); err != nil {
		return nil, err
	}
	mux.Handle("/mcp", stack.Auth.Handler(guard))
	return mux, nil
}
