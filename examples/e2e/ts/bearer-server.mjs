// An MCP server on the official TypeScript SDK protected the way its
// documentation shows: requireBearerAuth with a token verifier (JWTs
// checked with jose against the issuer's JWKS: signature, issuer,
// audience, expiry), mcpAuthMetadataRouter for the RFC 9728 metadata, and
// one stateful StreamableHTTPServerTransport per session. admin_stats
// checks the caller's scopes itself, since the SDK has no per-tool policy.
// The end-to-end tests audit it with mcpauthtest.
//
//	PORT=3000 ISSUER=http://127.0.0.1:9000 JWKS=http://127.0.0.1:9000/jwks node bearer-server.mjs
//
// It prints "LISTENING http://127.0.0.1:PORT/mcp" once it accepts
// connections.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { mcpAuthMetadataRouter, getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { mountSessions } from './sessions.mjs';
import { z } from 'zod';

const port = Number(process.env.PORT);
const issuer = process.env.ISSUER;
const endpoint = new URL(`http://127.0.0.1:${port}/mcp`);
const jwks = createRemoteJWKSet(new URL(process.env.JWKS));

const verifier = {
  async verifyAccessToken(token) {
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer, audience: endpoint.href, algorithms: ['ES256'] });
      return {
        token,
        clientId: String(payload.client_id ?? payload.sub),
        scopes: String(payload.scope ?? '').split(' ').filter(Boolean),
        expiresAt: payload.exp,
        extra: { sub: payload.sub },
      };
    } catch (err) {
      throw new InvalidTokenError(err.message);
    }
  },
};

function newServer() {
  const server = new McpServer({ name: 'ts-bearer', version: '1.0.0' });
  server.registerTool('echo', { description: 'echoes its text', inputSchema: { text: z.string().optional() } }, async ({ text }) => ({
    content: [{ type: 'text', text: text ?? '' }],
  }));
  server.registerTool('admin_stats', { description: 'administrators only' }, async (_args, extra) => {
    if (!extra.authInfo?.scopes.includes('mcp:admin')) {
      throw new Error('insufficient scope: mcp:admin');
    }
    return { content: [{ type: 'text', text: 'ADMIN STATS' }] };
  });
  return server;
}

const app = createMcpExpressApp();
app.use(mcpAuthMetadataRouter({
  oauthMetadata: { issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, response_types_supported: ['code'] },
  resourceServerUrl: endpoint,
  scopesSupported: ['mcp:read', 'mcp:admin'],
}));
const auth = requireBearerAuth({ verifier, requiredScopes: ['mcp:read'], resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(endpoint) });

mountSessions(app, newServer, auth);

const listener = app.listen(port, '127.0.0.1', (err) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  process.stdout.write(`LISTENING ${endpoint.href}\n`);
});
const shutdown = () => {
  listener.close(() => process.exit(0));
  listener.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
