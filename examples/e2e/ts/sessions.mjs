// The session routing of the official TypeScript SDK's documentation, for
// the test servers: one stateful StreamableHTTPServerTransport per
// session, created by an initialize request without a session id, found
// by Mcp-Session-Id afterwards, forgotten when it closes.
//
//	const transports = mountSessions(app, newServer, ...middleware);
//
// middleware (such as requireBearerAuth) runs before each route. It
// returns the session id -> transport map.
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

export function mountSessions(app, newServer, ...middleware) {
  const transports = {};
  app.post('/mcp', ...middleware, async (req, res) => {
    const sid = req.headers['mcp-session-id'];
    let transport;
    if (sid && transports[sid]) {
      transport = transports[sid];
    } else if (!sid && isInitializeRequest(req.body)) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          transports[id] = transport;
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) delete transports[transport.sessionId];
      };
      await newServer().connect(transport);
    } else {
      res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: No valid session ID provided' }, id: null });
      return;
    }
    await transport.handleRequest(req, res, req.body);
  });
  const sessionRequest = async (req, res) => {
    const sid = req.headers['mcp-session-id'];
    if (!sid || !transports[sid]) {
      res.status(400).send('Invalid or missing session ID');
      return;
    }
    await transports[sid].handleRequest(req, res);
  };
  app.get('/mcp', ...middleware, sessionRequest);
  app.delete('/mcp', ...middleware, sessionRequest);
  return transports;
}
