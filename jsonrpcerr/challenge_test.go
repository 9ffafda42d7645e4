package jsonrpcerr

import (
	"testing"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
)

func TestChallengeHeader(t *testing.T) {
	c := &Challenge{
		Realm:            "mcp",
		ResourceMetadata: "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
		Scopes:           []string{"mcp:read", "mcp:write"},
	}
	const rm = `resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"`
	tests := []struct {
		name string
		c    *Challenge
		err  *authresult.Error
		want string
	}{
		{"no credentials omits error", c, authresult.NoCredentials(),
			`Bearer realm="mcp", scope="mcp:read mcp:write", ` + rm},
		{"invalid token", c, authresult.InvalidToken("token expired", nil),
			`Bearer realm="mcp", error="invalid_token", error_description="token expired", scope="mcp:read mcp:write", ` + rm},
		{"insufficient scope names the needed scopes", c, authresult.InsufficientScope("needs admin", "mcp:admin", "mcp:write"),
			`Bearer realm="mcp", error="insufficient_scope", error_description="needs admin", scope="mcp:admin mcp:write", ` + rm},
		{"invalid request", c, authresult.InvalidRequest("token in query", nil),
			`Bearer realm="mcp", error="invalid_request", error_description="token in query", ` + rm},
		{"nil challenge", nil, authresult.InvalidToken("bad", nil), `Bearer error="invalid_token", error_description="bad"`},
		{"empty challenge no credentials", &Challenge{}, authresult.NoCredentials(), `Bearer`},
		{"plain forbidden has none", c, authresult.Forbidden("no", nil), ``},
		{"unavailable has none", c, authresult.Unavailable("down", 0, nil), ``},
		{"internal has none", c, authresult.Internal(nil), ``},
		{"nil error", c, nil, ``},
		{"hostile description sanitised", nil, authresult.InvalidToken("a\"b\\c\r\nSet-Cookie: x=1é", nil),
			`Bearer error="invalid_token", error_description="a?b?c??Set-Cookie: x=1?"`},
		{"hostile realm escaped", &Challenge{Realm: "a\"b\\c\n"}, authresult.NoCredentials(), `Bearer realm="a\"b\\c?"`},
		{"invalid scopes dropped", nil, authresult.InsufficientScope("x", "ok", "bad scope", "bad\"q", ""),
			`Bearer error="insufficient_scope", error_description="x", scope="ok"`},
		{"invalid code dropped", nil, &authresult.Error{Kind: authresult.KindUnauthenticated, Code: "x\" y"}, `Bearer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.c.Header(tt.err))
		})
	}
}
