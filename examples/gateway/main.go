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
// refused). -store redis://host:port/db shares session bindings between
// replicas. Every flag has an environment fallback; see -help.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
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
	flags := demo.NewFlags(flag.CommandLine)
	cfg := demo.Register(flags, "127.0.0.1:8090")
	var upstream, upstreamToken, policy string
	flags.String(&upstream, "upstream", "MCPAUTH_UPSTREAM", "", "URL of the upstream MCP endpoint; required")
	flags.String(&upstreamToken, "upstream-token", "MCPAUTH_UPSTREAM_TOKEN", "", "bearer token the gateway presents upstream")
	flags.String(&policy, "policy", "MCPAUTH_POLICY", "", "tool policy as JSON, or @file; default: any authenticated caller may call any tool")
	if err := flags.Parse(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(2)
	}
	if err := run(cfg, upstream, upstreamToken, policy); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func run(cfg *demo.Config, upstream, upstreamToken, policy string) error {
	if upstream == "" {
		return errors.New("-upstream (env MCPAUTH_UPSTREAM) is required: the URL of the MCP server to protect")
	}
	up, err := url.Parse(upstream)
	if err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" {
		return fmt.Errorf("%s %q: not an absolute http(s) URL", cfg.Source("upstream"), upstream)
	}
	pol, warning, err := parsePolicy(policy)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.Source("policy"), err)
	}
	if warning != "" {
		fmt.Fprintf(os.Stderr, "gateway: warning: %s: %s\n", cfg.Source("policy"), warning)
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
	var transport http.RoundTripper
	if stack.Telemetry != nil {
		transport = stack.Telemetry.Transport(mcpproxy.NewTransport()) // a span per upstream call, traceparent on it, the pool kept
	}
	proxy, err := mcpproxy.New(upstream, &mcpproxy.Options{UpstreamHeaders: headers, Transport: transport, Logger: stack.Logger, OnDecision: stack.OnDecision})
	if err != nil {
		return nil, err
	}
	guard, err := mcphandler.New(proxy, &mcphandler.Options{
		Challenge: stack.Auth.Challenge(), Policy: pol, Store: stack.Store, RateLimit: stack.RateLimit,
		Logger: stack.Logger, OnDecision: stack.OnDecision,
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

// parsePolicy reads a policy from JSON or from @file. Empty means none.
// The warning is set for a policy that hides every tool.
func parsePolicy(s string) (p *mcphandler.Policy, warning string, err error) {
	if s == "" {
		return nil, "", nil
	}
	if file, ok := strings.CutPrefix(s, "@"); ok {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, "", err
		}
		s = string(b)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	p = &mcphandler.Policy{}
	if err := dec.Decode(p); err != nil {
		return nil, "", fmt.Errorf("not a policy: %w", err)
	}
	if len(p.Tools) == 0 && !p.AllowUndeclaredTools {
		warning = `the policy lists no tools, so every tool is hidden and refused; list them in "tools" or set "allowUndeclaredTools": true`
	}
	return p, warning, nil
}
