// Package mcpgo connects mcpauth to github.com/mark3labs/mcp-go: its
// streamable HTTP server passes the authenticated principal to tool
// handlers through their context.
//
//	mcpServer := server.NewMCPServer("name", "v1")
//	streamable := server.NewStreamableHTTPServer(mcpServer,
//		server.WithHTTPContextFunc(mcpgo.ContextFunc))
//	guard, _ := mcphandler.New(streamable, opts)
//	mux.Handle("/mcp", auth.Handler(guard))
//
// In a tool handler, authresult.FromContext(ctx) returns the principal.
package mcpgo

import (
	"context"
	"net/http"

	"github.com/mcpauth/mcpauth/authresult"
)

// ContextFunc is an HTTP context function for mcp-go's
// server.WithHTTPContextFunc. It carries the principal of the HTTP request
// (set by middleware.Authenticator.Handler) into the context mcp-go gives
// tool handlers, and hides any principal ctx may already hold when the
// request has none, so a handler never sees a principal that did not
// authenticate this request.
func ContextFunc(ctx context.Context, r *http.Request) context.Context {
	p, _ := authresult.FromContext(r.Context())
	return authresult.NewContext(ctx, p)
}
