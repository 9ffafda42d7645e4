package main

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth/mcphandler/gosdk"
)

var started = time.Now()

// newMCPServer returns the example's MCP server: three tools, one of which
// the policy reserves for admins.
func newMCPServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "mcpauth-example", Version: "1.0.0"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "whoami", Description: "Returns the caller's subject and scopes."}, whoami)
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "Returns its text argument."}, echo)
	mcp.AddTool(s, &mcp.Tool{Name: "admin_stats", Description: "Server statistics; needs the mcp:admin scope."}, adminStats)
	return s
}

type whoamiOut struct {
	Subject  string   `json:"subject"`
	Issuer   string   `json:"issuer"`
	Scopes   []string `json:"scopes"`
	ClientID string   `json:"client_id,omitempty"`
}

func whoami(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, whoamiOut, error) {
	p, ok := gosdk.Principal(req.Extra)
	if !ok {
		return nil, whoamiOut{}, errors.New("no authenticated principal")
	}
	return nil, whoamiOut{Subject: p.Subject, Issuer: p.Issuer, Scopes: p.Scopes, ClientID: p.ClientID}, nil
}

type echoIn struct {
	Text string `json:"text" jsonschema:"the text to return"`
}

type echoOut struct {
	Text string `json:"text"`
}

func echo(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, echoOut, error) {
	return nil, echoOut(in), nil
}

type statsOut struct {
	Uptime     string `json:"uptime"`
	Goroutines int    `json:"goroutines"`
}

func adminStats(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, statsOut, error) {
	return nil, statsOut{Uptime: time.Since(started).Round(time.Second).String(), Goroutines: runtime.NumGoroutine()}, nil
}
