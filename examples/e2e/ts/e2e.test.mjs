// End-to-end tests of an mcpauth-protected MCP endpoint with the official
// TypeScript MCP client. The Go test in the parent folder starts the
// server (or gateway) and sets:
//   MCP_URL        the MCP endpoint
//   PRM_URL        the protected resource metadata URL it must advertise
//   READER_TOKEN   a token with mcp:read
//   ADMIN_TOKEN    a token with mcp:read and mcp:admin
//   WHOAMI_SUBJECT the subject whoami must report for the reader ("" to skip)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const { MCP_URL, PRM_URL, READER_TOKEN, ADMIN_TOKEN, WHOAMI_SUBJECT } = process.env;
assert.ok(MCP_URL && PRM_URL && READER_TOKEN && ADMIN_TOKEN, 'environment not set');

function transportFor(token, extra = {}) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  return new StreamableHTTPClientTransport(new URL(MCP_URL), { requestInit: { headers }, ...extra });
}

async function connect(token, extra) {
  const transport = transportFor(token, extra);
  const client = new Client({ name: 'mcpauth-e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

// withSession connects with token, runs fn, and always ends the session
// and closes the client, so that a failing assertion cannot leave a
// stream open that keeps the test runner waiting.
async function withSession(token, fn) {
  const s = await connect(token);
  try {
    return await fn(s);
  } finally {
    await s.transport.terminateSession().catch(() => {});
    await s.client.close().catch(() => {});
  }
}

// post sends one raw JSON-RPC request, as a hand-written client would.
async function post(token, body, sessionId) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (sessionId) {
    headers['Mcp-Session-Id'] = sessionId;
    headers['Mcp-Protocol-Version'] = '2025-11-25';
  }
  return fetch(MCP_URL, { method: 'POST', headers, body: JSON.stringify(body) });
}

const initialize = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

test('a valid token connects, lists tools and calls whoami', () => withSession(READER_TOKEN, async ({ client }) => {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name).sort();
  assert.deepEqual(names, ['echo', 'whoami'], 'the admin tool is hidden from a reader');
  const who = await client.callTool({ name: 'whoami', arguments: {} });
  assert.ok(!who.isError, JSON.stringify(who));
  if (WHOAMI_SUBJECT) assert.equal(who.structuredContent.subject, WHOAMI_SUBJECT);
  const echo = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
  assert.equal(echo.structuredContent.text, 'hi');
}));

for (const [name, token, error] of [['no token', '', null], ['a bad token', 'not-a-token.x.y', 'invalid_token']]) {
  test(`${name}: the client sees 401 and where to get a token`, async () => {
    await assert.rejects(connect(token), (err) => {
      assert.ok(err instanceof StreamableHTTPError, `${err}`);
      assert.equal(err.code, 401);
      return true;
    });
    const res = await post(token, initialize);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('mcp-session-id'), null);
    const challenge = res.headers.get('www-authenticate');
    assert.match(challenge, /^Bearer /);
    assert.ok(challenge.includes(`resource_metadata="${PRM_URL}"`), challenge);
    if (error) assert.ok(challenge.includes(`error="${error}"`), challenge);
    else assert.ok(!challenge.includes('error='), challenge);
    const body = await res.json();
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.id, 1);
    assert.equal(body.error.code, -32000);
  });
}

test('an OAuth client follows resource_metadata to the protected resource metadata', async () => {
  const fetched = [];
  const recordingFetch = (url, init) => {
    fetched.push(String(url));
    return fetch(url, init);
  };
  const provider = {
    get redirectUrl() { return 'http://127.0.0.1:1/callback'; },
    get clientMetadata() { return { redirect_uris: ['http://127.0.0.1:1/callback'], client_name: 'mcpauth-e2e' }; },
    clientInformation() { return undefined; },
    saveClientInformation() {},
    tokens() { return undefined; },
    saveTokens() {},
    redirectToAuthorization() {},
    saveCodeVerifier() {},
    codeVerifier() { return 'verifier'; },
  };
  // The demo issuer is no full authorization server, so the flow stops
  // after discovery; what matters is that discovery starts from the
  // challenge and finds this server's metadata.
  await assert.rejects(connect('', { authProvider: provider, fetch: recordingFetch }));
  assert.ok(fetched.includes(PRM_URL), `fetched: ${fetched.join(' ')}`);
  const prm = await (await fetch(PRM_URL)).json();
  assert.equal(prm.resource, MCP_URL);
  assert.ok(prm.authorization_servers.length > 0);
});

test('a reader calling the admin tool gets 403 insufficient_scope', () => withSession(READER_TOKEN, async ({ client, transport }) => {
  await assert.rejects(client.callTool({ name: 'admin_stats', arguments: {} }), (err) => {
    assert.equal(err.code, 403, `${err}`);
    return true;
  });
  const res = await post(READER_TOKEN, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'admin_stats', arguments: {} } }, transport.sessionId);
  assert.equal(res.status, 403);
  const challenge = res.headers.get('www-authenticate');
  assert.ok(challenge.includes('error="insufficient_scope"'), challenge);
  assert.ok(challenge.includes('scope="mcp:admin mcp:read"'), challenge);
  assert.equal((await res.json()).id, 7);
}));

test('an admin may call the admin tool', () => withSession(ADMIN_TOKEN, async ({ client }) => {
  const names = (await client.listTools()).tools.map((t) => t.name).sort();
  assert.deepEqual(names, ['admin_stats', 'echo', 'whoami']);
  const res = await client.callTool({ name: 'admin_stats', arguments: {} });
  assert.ok(!res.isError, JSON.stringify(res));
}));

test("another user's session id is refused, and so is a session id alone", () => withSession(READER_TOKEN, async (reader) => {
  const sid = reader.transport.sessionId;
  assert.ok(sid, 'a stateful server gives a session');
  const call = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {} } };

  const hijack = await post(ADMIN_TOKEN, call, sid);
  assert.equal(hijack.status, 404);
  const alone = await post('', call, sid);
  assert.equal(alone.status, 401);

  // Through the SDK too: a client resuming the reader's session with the
  // admin's token cannot use it.
  const admin = new Client({ name: 'mcpauth-e2e', version: '1.0.0' });
  try {
    await admin.connect(transportFor(ADMIN_TOKEN, { sessionId: sid })); // resumes: sends nothing yet
    await assert.rejects(admin.callTool({ name: 'whoami', arguments: {} }), (err) => {
      assert.equal(err.code, 404, `${err}`);
      return true;
    });
  } finally {
    await admin.close();
  }

  // The owner still can, and after ending it nobody can.
  const ok = await reader.client.callTool({ name: 'whoami', arguments: {} });
  assert.ok(!ok.isError);
  await reader.transport.terminateSession();
  const gone = await post(READER_TOKEN, call, sid);
  assert.equal(gone.status, 404);
}));
