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
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth/examples/internal/demo"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcphandler/gosdk"
)

func main() {
	cfg := demo.Flags(flag.CommandLine)
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run(cfg *demo.Config) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	stack, err := demo.NewStack(cfg, base)
	if err != nil {
		return err
	}
	defer stack.Verifier.Close()
	h, err := newHandler(stack, cfg.Stateless)
	if err != nil {
		return err
	}

	fmt.Printf("mcpauth example MCP server\n\n")
	fmt.Printf("  MCP endpoint:       %s/mcp\n", base)
	fmt.Printf("  resource metadata:  %s\n", stack.Auth.ResourceMetadataURL())
	fmt.Printf("  issuer:             %s\n", stack.Issuer)
	fmt.Printf("  audience:           %s\n", stack.Audience)
	if stack.Key != nil {
		toks, err := stack.DemoTokens()
		if err != nil {
			return err
		}
		fmt.Printf("  JWKS:               %s%s\n", base, demo.JWKSPath)
		fmt.Printf("  reader token:       %s\n", toks.Reader)
		fmt.Printf("  admin token:        %s\n", toks.Admin)
		demo.PrintTry(base+"/mcp", toks)
	}

	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHandler assembles the server: metadata and JWKS in the open, the MCP
// endpoint behind authentication and the guard.
func newHandler(stack *demo.Stack, stateless bool) (http.Handler, error) {
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return newMCPServer() },
		&mcp.StreamableHTTPOptions{Stateless: stateless, Logger: slog.New(slog.DiscardHandler)})
	guard, err := mcphandler.New(gosdk.Handler(sdk), &mcphandler.Options{
		Challenge: stack.Auth.Challenge(),
		Policy: &mcphandler.Policy{
			Methods: map[string][]string{"tools/call": {demo.ScopeRead}, "tools/list": {demo.ScopeRead}},
			Tools:   map[string][]string{"whoami": nil, "echo": nil, "admin_stats": {demo.ScopeAdmin}},
		},
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	if err := stack.Auth.MountMetadata(mux); err != nil {
		return nil, err
	}
	if stack.Key != nil {
		mux.Handle(demo.JWKSPath, stack.Key.JWKS())
	}
	mux.Handle("/mcp", stack.Auth.Handler(guard))
	return mux, nil
}
