// Command gateway is an authentication gateway for any MCP Streamable HTTP
// server, in any language: it verifies JWT access tokens, binds sessions
// to users, applies a per-tool policy, and forwards only authenticated
// requests to the upstream, never with the client's token.
//
//	go run ./examples/gateway -upstream http://127.0.0.1:3000/mcp
//
// Without -jwks-url it generates a demo key and prints ready tokens, like
// examples/server. -upstream-token gives the gateway its own credential for
// the upstream; -policy sets the tool policy as JSON, for example
// '{"tools":{"search":[],"delete":["mcp:admin"]}}' (tools not listed are
// refused). Every flag has an environment fallback; see -help.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/examples/internal/demo"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcpproxy"
)

func main() {
	cfg := demo.Flags(flag.CommandLine)
	upstream := flag.String("upstream", os.Getenv("MCPAUTH_UPSTREAM"), "URL of the upstream MCP endpoint (env MCPAUTH_UPSTREAM); required")
	upstreamToken := flag.String("upstream-token", os.Getenv("MCPAUTH_UPSTREAM_TOKEN"), "bearer token the gateway presents upstream (env MCPAUTH_UPSTREAM_TOKEN)")
	policy := flag.String("policy", os.Getenv("MCPAUTH_POLICY"), "tool policy as JSON, or @file (env MCPAUTH_POLICY); default: any authenticated caller may call any tool")
	flag.Parse()
	if err := run(cfg, *upstream, *upstreamToken, *policy); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func run(cfg *demo.Config, upstream, upstreamToken, policy string) error {
	if upstream == "" {
		return errors.New("-upstream is required")
	}
	up, err := url.Parse(upstream)
	if err != nil {
		return fmt.Errorf("-upstream: %w", err)
	}
	pol, err := parsePolicy(policy)
	if err != nil {
		return err
	}
	extra := []string{"upstream:           " + up.Redacted()}
	return demo.Run(cfg, "mcpauth example gateway", extra, func(stack *demo.Stack) (http.Handler, error) {
		return newHandler(stack, up, upstreamToken, pol)
	})
}

// newHandler assembles the gateway: metadata in the open; /mcp behind
// authentication, the guard, and the proxy.
func newHandler(stack *demo.Stack, upstream *url.URL, upstreamToken string, pol *mcphandler.Policy) (http.Handler, error) {
	var headers func(context.Context, *authresult.Principal) (http.Header, error)
	if upstreamToken != "" {
		headers = func(context.Context, *authresult.Principal) (http.Header, error) {
			return http.Header{"Authorization": {"Bearer " + upstreamToken}}, nil
		}
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	proxy, err := mcpproxy.New(upstream, &mcpproxy.Options{UpstreamHeaders: headers, Logger: log})
	if err != nil {
		return nil, err
	}
	guard, err := mcphandler.New(proxy, &mcphandler.Options{Challenge: stack.Auth.Challenge(), Policy: pol, Logger: log})
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

// parsePolicy reads a policy from JSON or from @file. Empty means none.
func parsePolicy(s string) (*mcphandler.Policy, error) {
	if s == "" {
		return nil, nil
	}
	if file, ok := strings.CutPrefix(s, "@"); ok {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("-policy: %w", err)
		}
		s = string(b)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var p mcphandler.Policy
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("-policy: %w", err)
	}
	return &p, nil
}
