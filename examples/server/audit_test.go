package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/examples/internal/demo"
	"github.com/mcpauth/mcpauth/mcpauthtest"
)

// The example server passes the public audit kit, with sessions and
// without (where 2026-07-28 is spoken instead).
func TestAudit(t *testing.T) {
	for _, stateless := range []bool{false, true} {
		name := "sessions"
		if stateless {
			name = "stateless"
		}
		t.Run(name, func(t *testing.T) {
			ts, stack := serve(t, &demo.Config{Stateless: stateless})
			iss, aud := stack.Issuers[0], stack.Audience
			mint := func(sub, aud string, scopes []string, ttl time.Duration) string {
				tok, err := stack.Key.Mint(iss, aud, sub, scopes, ttl)
				require.NoError(t, err)
				return tok
			}
			all := []string{demo.ScopeRead, demo.ScopeAdmin}
			stranger, err := demo.NewKey()
			require.NoError(t, err)
			unknownKey, err := stranger.Mint(iss, aud, "admin@example.com", all, time.Hour)
			require.NoError(t, err)
			mcpauthtest.Run(t, mcpauthtest.Target{
				URL:                 ts.URL + "/mcp",
				Token:               mint("admin@example.com", aud, all, time.Hour),
				Tool:                "echo",
				Arguments:           map[string]any{"text": "audit"},
				OtherUserToken:      mint("other@example.com", aud, all, time.Hour),
				ReaderToken:         mint("reader@example.com", aud, []string{demo.ScopeRead}, time.Hour),
				ReaderForbiddenTool: "admin_stats",
				OtherAudienceToken:  mint("admin@example.com", "https://other.example/mcp", all, time.Hour),
				ExpiredToken:        mint("admin@example.com", aud, all, -time.Hour),
				BadTokens:           []mcpauthtest.LabelledToken{{Label: "signed by an unknown key", Token: unknownKey}},
			})
		})
	}
}
