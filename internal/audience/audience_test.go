package audience

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAudienceMatch(t *testing.T) {
	s, err := New([]string{"https://mcp.example/mcp", "urn:example:api", "https://Root.example"})
	require.NoError(t, err)
	tests := []struct {
		aud  string
		want bool
	}{
		{"https://mcp.example/mcp", true},
		{"https://mcp.example/mcp/", true},
		{"HTTPS://MCP.EXAMPLE/mcp", true},
		{"https://mcp.example:443/mcp", true},
		{"https://mcp.example/MCP", false},
		{"https://mcp.example/mcp#frag", false},
		{"https://mcp.example/mcp?x=1", false},
		{"https://mcp.example:8443/mcp", false},
		{"http://mcp.example/mcp", false},
		{"https://mcp.example/mcp//", false},
		{"https://mcp.example", false},
		{"https://user@mcp.example/mcp", false},
		{"urn:example:api", true},
		{"URN:example:api", false},
		{"https://root.example", true},
		{"https://root.example/", true},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.aud, func(t *testing.T) {
			assert.Equal(t, tt.want, s.Match([]string{tt.aud}))
		})
	}
}
