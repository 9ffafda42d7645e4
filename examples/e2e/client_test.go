package e2e

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTypeScriptClientServer drives examples/server with the official
// TypeScript MCP client: see ts/e2e.test.mjs for the scenarios.
func TestTypeScriptClientServer(t *testing.T) {
	node := needNode(t)
	s := start(t, binary(t, "server"))
	out := runNode(t, node, map[string]string{
		"MCP_URL": s.endpoint, "PRM_URL": s.metadata,
		"READER_TOKEN": s.reader, "ADMIN_TOKEN": s.admin, "WHOAMI_SUBJECT": "reader@example.com",
	}, "--test", "--test-reporter=spec", "e2e.test.mjs")
	t.Log(out)

	// The README's client command works too.
	out = runNode(t, node, nil, "client.mjs", s.endpoint, s.reader)
	assert.Contains(t, out, "tools: echo, whoami")
	assert.Contains(t, out, `"subject":"reader@example.com"`)
}

// TestTypeScriptClientGateway drives examples/gateway, in front of an
// upstream MCP server that trusts everyone, with the same scenarios.
func TestTypeScriptClientGateway(t *testing.T) {
	node := needNode(t)
	up := httptest.NewServer(openUpstream(t, false))
	t.Cleanup(up.Close)
	policy, _ := json.Marshal(map[string]any{
		"methods": map[string][]string{"tools/call": {"mcp:read"}, "tools/list": {"mcp:read"}},
		"tools":   map[string][]string{"whoami": {}, "echo": {}, "admin_stats": {"mcp:admin"}},
	})
	s := start(t, binary(t, "gateway"), "-upstream", up.URL+"/mcp", "-policy", string(policy))
	out := runNode(t, node, map[string]string{
		"MCP_URL": s.endpoint, "PRM_URL": s.metadata,
		"READER_TOKEN": s.reader, "ADMIN_TOKEN": s.admin, "WHOAMI_SUBJECT": "",
	}, "--test", "--test-reporter=spec", "e2e.test.mjs")
	t.Log(out)
}
