// The official TypeScript MCP client, bundled for a browser page by the
// browser test (esbuild, pinned in package-lock.json).
export { Client } from "@modelcontextprotocol/sdk/client/index.js";
export { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
