// An MCP server on the official TypeScript SDK, built the way its
// documentation shows: createMcpExpressApp() (Express, express.json()) and
// one stateful StreamableHTTPServerTransport per session. It trusts
// everyone; the end-to-end tests put examples/gateway in front of it and
// check what reaches its tools.
//
//	PORT=3000 node upstream.mjs
//
// It prints "LISTENING http://127.0.0.1:PORT/mcp" once it accepts
// connections, and "EXEC <tool>" each time a tool handler runs. GET
// /executions answers the counts so far as JSON, {"echo": 1, ...}, and GET
// /sessions the number of open sessions and the resident set size,
// {"sessions": 3, "rss": 81920000}; they are for the test, which talks to
// them directly, never through the gateway.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { mountSessions } from './sessions.mjs';
import { z } from 'zod';

const executions = { echo: 0, whoami: 0, admin_stats: 0, admin_config: 0 };

function executed(name) {
  executions[name]++;
  process.stdout.write(`EXEC ${name}\n`);
}

function newServer() {
  const server = new McpServer({ name: 'ts-upstream', version: '1.0.0' });
  server.registerTool('echo', { description: 'echoes its text', inputSchema: { text: z.string().optional() } }, async ({ text }) => {
    executed('echo');
    return { content: [{ type: 'text', text: text ?? '' }] };
  });
  server.registerTool('whoami', { description: 'says who is calling' }, async () => {
    executed('whoami');
    return { content: [{ type: 'text', text: 'anyone' }] };
  });
  server.registerTool('admin_stats', { description: 'administrators only' }, async () => {
    executed('admin_stats');
    return { content: [{ type: 'text', text: 'ADMIN STATS: sessions=1' }] };
  });
  server.registerResource('admin_config', 'config://admin', { description: 'administrators only' }, async (uri) => {
    executed('admin_config');
    return { contents: [{ uri: uri.href, text: 'ADMIN CONFIG' }] };
  });
  return server;
}

const app = createMcpExpressApp();

app.get('/executions', (_req, res) => {
  res.json(executions);
});

// GET /sessions answers how many sessions the transports map holds, and the
// process's resident set size, for tests that check that the gateway bounds
// what one user makes a server hold.
app.get('/sessions', (_req, res) => {
  res.json({ sessions: Object.keys(transports).length, rss: process.memoryUsage().rss });
});

const transports = mountSessions(app, newServer);

const listener = app.listen(Number(process.env.PORT || 0), '127.0.0.1', (err) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  process.stdout.write(`LISTENING http://127.0.0.1:${listener.address().port}/mcp\n`);
});

async function shutdown() {
  for (const t of Object.values(transports)) {
    try {
      await t.close();
    } catch {
      // closing anyway
    }
  }
  listener.close(() => process.exit(0));
  listener.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
