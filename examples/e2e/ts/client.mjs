// A minimal MCP client on the official TypeScript SDK:
//   node client.mjs <endpoint> <token>
// It connects with the token, lists the tools and calls whoami.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [endpoint, token] = process.argv.slice(2);
if (!endpoint) {
  console.error('usage: node client.mjs <endpoint> [token]');
  process.exit(2);
}
const headers = token ? { Authorization: `Bearer ${token}` } : {};
const transport = new StreamableHTTPClientTransport(new URL(endpoint), { requestInit: { headers } });
const client = new Client({ name: 'mcpauth-example-client', version: '1.0.0' });
try {
  await client.connect(transport);
  const { tools } = await client.listTools();
  console.log('tools:', tools.map((t) => t.name).join(', '));
  const res = await client.callTool({ name: 'whoami', arguments: {} });
  console.log('whoami:', JSON.stringify(res.structuredContent ?? res.content));
  await transport.terminateSession();
  await client.close();
} catch (err) {
  console.error(`refused: ${err.code ?? ''} ${err.message}`);
  process.exit(1);
}
