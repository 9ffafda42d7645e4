package e2e

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// calls counts requests that reached an open upstream.
var upstreamCalls atomic.Int64

// openUpstream is an MCP server with no authentication at all, as the
// servers of the original bug effectively were: it serves whoever reaches
// it. Only a gateway stands between it and the world.
func openUpstream(t *testing.T, stateless bool) http.Handler {
	t.Helper()
	server := mcp.NewServer(&mcp.Implementation{Name: "open-upstream", Version: "1"}, nil)
	type text struct {
		Text string `json:"text"`
	}
	mcp.AddTool(server, &mcp.Tool{Name: "whoami"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, map[string]string, error) {
		return nil, map[string]string{"subject": "anyone"}, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in text) (*mcp.CallToolResult, text, error) {
		return nil, in, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: "admin_stats"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, map[string]int, error) {
		return nil, map[string]int{"sessions": 1}, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: stateless, Logger: slog.New(slog.DiscardHandler)})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamCalls.Add(1)
		h.ServeHTTP(w, r)
	})
}
