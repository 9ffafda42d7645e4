// The official MCP TypeScript client through a whole OAuth flow against a
// protected MCP server and a real authorization server (idp.mjs), with no
// browser: the first request gets 401, the client discovers the
// authorization server from the challenge's resource_metadata (RFC 9728),
// registers itself (RFC 7591), sends the user to the authorization
// endpoint with PKCE and the resource indicator (RFC 8707), and exchanges
// the code; here the "user" is fetch following the redirects, which
// idp.mjs answers without a login page, up to the redirect_uri whose code
// it captures from the Location header.
//
//	MCP_URL=http://127.0.0.1:8080/mcp TOOL=whoami TOOL_ARGS='{}' node idp-flow.mjs
//
// Environment: MCP_URL (required), TOOL (default whoami), TOOL_ARGS (a JSON
// object, default {}), REFRESH_AFTER (seconds; when set, the script waits
// that long after the first call and calls the tool again, by when an
// access token with a shorter lifetime has expired, so that the server
// answers 401 and the client refreshes it), SCOPE (the scope to register
// and ask for when neither the challenge nor the metadata names one).
//
// It prints, one per line:
//
//	ACCESS_TOKEN <token>             the token the first call was made with
//	REFRESH_TOKEN <token>            its refresh token (or "-" without one)
//	RESULT <json>                    the tools/call result, after each call
//	REFRESHED_ACCESS_TOKEN <token>   with REFRESH_AFTER, the refreshed token
//	REAUTHORIZED_ACCESS_TOKEN <t>    with REFRESH_AFTER, if the client went
//	                                 through the authorization again instead
//	NOT_REFRESHED                    with REFRESH_AFTER, if the token stayed
//	ERROR <message>                  on failure, then exits 1
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const env = process.env;
// Never served: the code is read from the redirect that points here.
const REDIRECT_URL = 'http://127.0.0.1:1/callback';

function fail(message) {
  process.stdout.write(`ERROR ${String(message).replace(/\s+/g, ' ')}\n`);
  process.exit(1);
}

// followAuthorization plays the user agent: it follows the authorization
// server's redirects, keeping its cookies (whatever their Expires says, so
// that a skewed server clock does not matter), until one points at the
// redirect URL, and returns that redirect's code.
async function followAuthorization(start, expectedState) {
  const cookies = new Map();
  let url = new URL(start);
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value) cookies.set(name, value);
      else cookies.delete(name);
    }
    const location = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || !location) {
      throw new Error(`authorization stopped at ${url.pathname} with ${res.status}: ${(await res.text()).slice(0, 500)}`);
    }
    await res.body?.cancel();
    const next = new URL(location, url);
    if (next.origin + next.pathname === REDIRECT_URL) {
      const p = next.searchParams;
      if (p.get('error')) throw new Error(`authorization refused: ${p.get('error')} ${p.get('error_description') ?? ''}`);
      if (p.get('state') !== expectedState) throw new Error(`state ${p.get('state')} came back, want ${expectedState}`);
      if (!p.get('code')) throw new Error(`no code in ${next.href}`);
      return p.get('code');
    }
    url = next;
  }
  throw new Error('more than 10 redirects during authorization');
}

// MemoryOAuthProvider is an OAuthClientProvider that keeps everything in
// memory and authorizes with followAuthorization.
class MemoryOAuthProvider {
  constructor() {
    this.saved = [];
  }

  get redirectUrl() {
    return REDIRECT_URL;
  }

  get clientMetadata() {
    return {
      client_name: 'mcpauth idp-flow',
      redirect_uris: [REDIRECT_URL],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...(env.SCOPE ? { scope: env.SCOPE } : {}),
    };
  }

  state() {
    this.lastState = randomBytes(16).toString('base64url');
    return this.lastState;
  }

  clientInformation() {
    return this.client;
  }

  saveClientInformation(info) {
    this.client = info;
  }

  tokens() {
    return this.current;
  }

  saveTokens(tokens) {
    this.current = tokens;
    this.saved.push(tokens);
  }

  async redirectToAuthorization(url) {
    this.authorizations = (this.authorizations ?? 0) + 1;
    this.code = await followAuthorization(url, this.lastState);
  }

  saveCodeVerifier(v) {
    this.verifier = v;
  }

  codeVerifier() {
    if (!this.verifier) throw new Error('no code verifier saved');
    return this.verifier;
  }

  saveDiscoveryState(s) {
    this.discovery = s;
  }

  discoveryState() {
    return this.discovery;
  }

  invalidateCredentials(scope) {
    if (scope === 'all' || scope === 'client') this.client = undefined;
    if (scope === 'all' || scope === 'tokens') this.current = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
  }
}

async function main() {
  if (!env.MCP_URL) fail('MCP_URL is required');
  const mcpURL = new URL(env.MCP_URL);
  const tool = env.TOOL || 'whoami';
  let args;
  try {
    args = JSON.parse(env.TOOL_ARGS || '{}');
  } catch (err) {
    fail(`TOOL_ARGS: ${err.message}`);
  }
  const refreshAfter = env.REFRESH_AFTER ? Number(env.REFRESH_AFTER) : undefined;
  if (refreshAfter !== undefined && !(refreshAfter >= 0)) fail(`REFRESH_AFTER ${env.REFRESH_AFTER}: want seconds`);

  const provider = new MemoryOAuthProvider();
  const newClient = () => ({
    transport: new StreamableHTTPClientTransport(mcpURL, { authProvider: provider }),
    client: new Client({ name: 'mcpauth-idp-flow', version: '1.0.0' }),
  });

  let { transport, client } = newClient();
  try {
    await client.connect(transport);
  } catch (err) {
    if (!(err instanceof UnauthorizedError) || !provider.code) throw err;
    // The authorization ran inside connect; exchange its code, then
    // connect again with the token, as an application does after the
    // user comes back to its redirect URL.
    await transport.finishAuth(provider.code);
    provider.code = undefined;
    ({ transport, client } = newClient());
    await client.connect(transport);
  }
  const first = provider.tokens();
  if (!first?.access_token) throw new Error('connected without an access token');

  const call = async () => {
    const result = await client.callTool({ name: tool, arguments: args });
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  };
  process.stdout.write(`ACCESS_TOKEN ${first.access_token}\n`);
  process.stdout.write(`REFRESH_TOKEN ${first.refresh_token || '-'}\n`);
  await call();

  if (refreshAfter !== undefined) {
    await sleep(refreshAfter * 1000);
    await call();
    const now = provider.tokens();
    if (provider.authorizations > 1) {
      process.stdout.write(`REAUTHORIZED_ACCESS_TOKEN ${now.access_token}\n`);
    } else if (now.access_token !== first.access_token) {
      process.stdout.write(`REFRESHED_ACCESS_TOKEN ${now.access_token}\n`);
    } else {
      process.stdout.write('NOT_REFRESHED\n');
    }
  }

  try {
    await transport.terminateSession();
  } catch {
    // a server without sessions, or one that refuses DELETE
  }
  await client.close();
}

// describe names an error and its causes, which fetch keeps the reason in.
function describe(err) {
  const parts = [];
  for (let e = err; e && parts.length < 4; e = e.cause) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }
  return parts.join(': ');
}

main().then(() => process.exit(0), (err) => fail(describe(err)));
