package mcphandler

import "slices"

// protocolVersions are the MCP revisions the guard knows, oldest first.
var protocolVersions = []string{"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"}

// protocolVersionList returns the MCP revisions the guard accepts in
// MCP-Protocol-Version, oldest first. Revisions from 2026-07-28 on have no
// protocol sessions.
func protocolVersionList() []string { return slices.Clone(protocolVersions) }

// Sessionless reports whether an MCP revision has no protocol sessions:
// 2026-07-28 and later. For such revisions the guard checks the
// Mcp-Method and Mcp-Name headers against the body.
func Sessionless(version string) bool { return version >= "2026-07-28" }
