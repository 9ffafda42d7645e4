package decision_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
)

func ExampleAuditLog() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "latency" || a.Key == "principal" {
				return slog.Attr{} // for a stable example
			}
			return a
		},
	}))
	hook := decision.AuditLog(logger)

	// What the guard reports of a reader calling an admin tool.
	d := decision.Decision{
		Layer: decision.LayerGuard, Outcome: decision.Refused, Reason: decision.ReasonInsufficientScope,
		Status: http.StatusForbidden, Method: "tools/call", Tool: "admin_reset", Scopes: []string{"mcp:admin"},
	}
	d.WithPrincipal(&authresult.Principal{Subject: "alice", Issuer: "https://idp.example"})
	hook(httptest.NewRequest(http.MethodPost, "/mcp", nil), d)
	// Output:
	// level=INFO msg="mcpauth: decision" layer=guard outcome=refused reason=insufficient_scope status=403 method=tools/call tool=admin_reset scopes=[mcp:admin] sub=alice
}
