// A real OAuth 2.1 / OpenID authorization server for the end-to-end tests:
// oidc-provider (pinned in package.json), configured for MCP clients and
// run on loopback, with a few control endpoints that only tests use.
//
//	IDP_PORT=0 RESOURCES=http://127.0.0.1:8080/mcp node idp.mjs
//
// It prints one line "IDP_LISTENING <issuer>" on stdout once it accepts
// connections; the issuer is http://127.0.0.1:<port>, without a slash.
//
// Environment (all optional):
//
//	IDP_PORT                     port on 127.0.0.1; 0 or unset picks a free one
//	RESOURCES                    comma-separated resource indicators (RFC 8707)
//	                             tokens may be asked for; "*" or unset accepts
//	                             any absolute http(s) URL without a fragment
//	ACCESS_TOKEN_FORMAT          jwt (RFC 9068, the default) or opaque
//	ACCESS_TOKEN_ALG             RS256 (default) or ES256, for JWT access tokens
//	ACCESS_TOKEN_TTL             access token lifetime in seconds (default 300)
//	JWT_NBF                      1 adds "nbf" (= "iat") to JWT access tokens,
//	                             which oidc-provider does not put there itself
//	GRANT_SCOPES                 the resource scopes consent grants (default
//	                             "mcp:read"); requested scopes outside it are
//	                             refused at consent and left out of the token,
//	                             and a request of none of them is refused
//	IDP_SUBJECT                  who logs in (default alice)
//	INTROSPECTION_CLIENT_ID      the confidential client that may introspect and
//	INTROSPECTION_CLIENT_SECRET  revoke every token (defaults mcp-server and
//	                             mcp-server-introspection-secret-0123456789abcdef0123456789abcdef)
//
// OAuth endpoints, as the discovery documents at
// /.well-known/openid-configuration and /.well-known/oauth-authorization-server
// list them: /auth (authorization), /token, /reg (open dynamic client
// registration, RFC 7591), /jwks, /token/introspection (RFC 7662),
// /token/revocation (RFC 7009), /me (userinfo). The scopes are openid,
// offline_access, mcp:read and mcp:admin. PKCE with S256 is required of
// every client. Clients registered with the refresh_token grant type (the
// default for registration here) get a refresh token with every code,
// whether or not they asked for offline_access. Logging in and consenting
// need no browser: the authorization endpoint redirects to /interaction/<uid>,
// which logs in IDP_SUBJECT at once, and on the next round grants the
// requested scopes that are in GRANT_SCOPES (openid and offline_access are
// always granted), so a client that follows the redirects with its cookies
// ends at its redirect_uri with a code.
//
// Control endpoints, for tests only (each answers the state as JSON):
//
//	GET  /__test/state            {"issuer", "signing_kid", "signing_alg",
//	                              "kids" (the JWKS), "id_token_kid",
//	                              "access_token_format", "access_token_ttl",
//	                              "introspection": {"mode", "delay_ms",
//	                              "calls"}, "skew_seconds", "subject",
//	                              "grant_scopes", "resources"}
//	POST /__test/rotate?alg=RS256|ES256[&retire=1]
//	                              a new signing key for access tokens, used
//	                              from now on; retire=1 drops the key it
//	                              replaces from the JWKS (tokens signed with
//	                              that key then fail verification)
//	POST /__test/introspection?mode=ok|down|slow|500[&delay_ms=N]
//	                              down closes the connection without an
//	                              answer, slow waits delay_ms (default 3000)
//	                              before answering, 500 answers status 500
//	                              {"error":"server_error",...}; ok undoes it.
//	                              Calls are counted in every mode
//	POST /__test/clock?skew=S     shifts the provider's clock by S seconds
//	                              (Date.now in this process): tokens issued
//	                              afterwards have iat and exp S seconds off,
//	                              and the provider judges expiry by that clock
//	POST /__test/grant?subject=S&scopes=a%20b
//	                              who logs in and which scopes consent grants
//	                              from now on (either parameter alone works)
//	POST /__test/tokens?format=jwt|opaque&ttl=N
//	                              access token format and lifetime from now on
//	POST /__test/resources?resources=a,b
//	                              the accepted resource indicators ("*": any)
//
// What oidc-provider 9.13.3 does, as found with this file and
// idp_checks_test.go (Node 20.20, and the jose 6.2 and koa 3.3 it pulls in):
//
//   - On Node 20 it warns "Unsupported runtime. Use Node.js v22.x LTS, or a
//     later LTS release." and works all the same; it needs URL.parse and
//     crypto.hash, so Node 20.18 at least.
//   - A JWT access token (RFC 9068) has the header {"alg", "typ": "at+jwt",
//     "kid"} and the claims jti, sub, iat, exp, scope, client_id, iss and
//     aud, and no others: no nbf (JWT_NBF=1 adds one through
//     formats.customizers.jwt), no auth_time, no azp. aud is one string,
//     the resource indicator; scope holds only the resource's scopes
//     granted (never openid or offline_access) and is left out when none
//     was. A token asked for without a resource indicator is opaque and
//     good only at /me.
//   - JWT access tokens can be neither introspected nor revoked: both
//     endpoints refuse a token whose header decodes as a JWS, before
//     looking it up, with 400 {"error":"unsupported_token_type",
//     "error_description":"Structured JWT Tokens cannot be introspected via
//     the introspection_endpoint"} ("... revoked via the
//     revocation_endpoint"). Only opaque access tokens and refresh tokens
//     are introspectable and revocable.
//   - Introspecting an active opaque access token answers 200
//     {"active":true,"sub","client_id","exp","iat","iss","aud","scope",
//     "token_type":"Bearer"}, in that order, aud the resource indicator as a
//     string; no jti (an opaque token's jti is the token itself, and is
//     left out). A refresh token answers {"active":true,"sub","client_id",
//     "exp","iat","iss","scope"}, its scope with openid and offline_access
//     when granted. An unknown, expired or revoked token answers 200
//     {"active":false} and nothing else.
//   - Revocation answers 200 with an empty body, for unknown tokens too.
//     Revoking an access token revokes every token of its grant, refresh
//     token included, and revoking a refresh token its access tokens. Its
//     default policy (read in its source, replaced here) lets only the
//     client a token was issued to revoke it, any other getting 400
//     invalid_request "client is not authorized to revoke the presented
//     token"; here the introspection client may too.
//   - A client registered for client_secret_basic may use
//     client_secret_post and the other way round; a wrong secret is 401
//     {"error":"invalid_client"}.
//   - offline_access is dropped from a request without prompt=consent
//     (OpenID Connect Core 11). The MCP TypeScript client adds
//     prompt=consent when it asks for offline_access, but it asks for the
//     scopes of the challenge or of the resource metadata, so
//     issueRefreshToken here ignores the scope.
//   - A consent that grants fewer scopes than asked must reject the others
//     (grant.rejectResourceScope), or the consent prompt comes back for
//     ever. One that grants none of them ends at the redirect_uri with
//     error=access_denied ("authorization request resolved without
//     requesting interactions but no scope was granted"). Logging in and
//     consenting are two rounds of interaction.
//   - The token response's scope is the access token's: the resource's
//     scopes only, empty when only openid was granted.
//   - It serves both /.well-known/openid-configuration and
//     /.well-known/oauth-authorization-server (RFC 8414), alike.
//   - Keys cannot be added to a running Provider through its API, so a
//     rotation builds a new Provider with the same cookie keys over the
//     same store. Each Provider configured without an adapter makes a
//     MemoryAdapter store of its own (createMemoryAdapter); a subclass of
//     MemoryAdapter (lib/adapters/memory_adapter.js) given as the adapter
//     uses the module-level store instead, so clients, grants, sessions,
//     refresh and opaque tokens survive a rotation.
//   - A client's id_token_signed_response_alg must be one the keystore can
//     sign with, or registration fails; so an RS256 key for ID tokens stays
//     in the JWKS whatever access tokens are signed with (id_token_kid). ID
//     tokens are signed with the first RS256 key of the JWKS.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { promisify } from 'node:util';
import Provider, { errors } from 'oidc-provider';
// oidc-provider's own in-memory adapter (the package has no "exports", and
// is pinned exactly): see SharedMemoryAdapter.
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

const env = process.env;
const generateKeyPair = promisify(crypto.generateKeyPair);

const OIDC_SCOPES = ['openid', 'offline_access'];
const RESOURCE_SCOPES = ['mcp:read', 'mcp:admin'];

// bad is a mistake in a setting: a control endpoint answers it with 400.
function bad(message) {
  return Object.assign(new Error(message), { statusCode: 400, error: 'invalid_request', error_description: message });
}

function words(s) {
  return String(s ?? '').split(/[\s,]+/).filter(Boolean);
}

function parseFormat(f) {
  if (f !== 'jwt' && f !== 'opaque') throw bad(`access token format ${JSON.stringify(f)}: want jwt or opaque`);
  return f;
}

function parseSeconds(s, name) {
  const n = Number(s);
  if (!Number.isInteger(n)) throw bad(`${name} ${JSON.stringify(s)}: want an integer`);
  return n;
}

function parsePositive(s, name) {
  const n = parseSeconds(s, name);
  if (n <= 0) throw bad(`${name} ${n}: want more than 0`);
  return n;
}

function parseResources(s) {
  const list = String(s ?? '').split(',').map((r) => r.trim()).filter(Boolean);
  return list.length === 0 || list.includes('*') ? '*' : list;
}

// What the tests can change while the server runs.
const settings = {
  format: parseFormat(env.ACCESS_TOKEN_FORMAT || 'jwt'),
  ttl: parsePositive(env.ACCESS_TOKEN_TTL || '300', 'ACCESS_TOKEN_TTL'),
  nbf: env.JWT_NBF === '1',
  subject: env.IDP_SUBJECT || 'alice',
  grantScopes: new Set(words(env.GRANT_SCOPES ?? 'mcp:read')),
  resources: parseResources(env.RESOURCES),
  introspection: { mode: 'ok', delayMs: 0, calls: 0 },
  skew: 0,
};
const introspectionClient = {
  id: env.INTROSPECTION_CLIENT_ID || 'mcp-server',
  secret: env.INTROSPECTION_CLIENT_SECRET || 'mcp-server-introspection-secret-0123456789abcdef0123456789abcdef',
};

// The provider's clock: everything in oidc-provider reads Date.now.
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + settings.skew * 1000;

// SharedMemoryAdapter is oidc-provider's MemoryAdapter on its module-level
// store. Given the MemoryAdapter class itself, a Provider makes a store of
// its own; a rotation's new Provider must find what the old one stored.
const CLOCK_TOLERANCE = 15; // oidc-provider's default clockTolerance
class SharedMemoryAdapter extends MemoryAdapter {
  constructor(model) {
    super(model, undefined, CLOCK_TOLERANCE);
  }
}

let keyCount = 0;
async function newKey(alg, name = 'at') {
  let pair;
  switch (alg) {
    case 'RS256':
      pair = await generateKeyPair('rsa', { modulusLength: 2048 });
      break;
    case 'ES256':
      pair = await generateKeyPair('ec', { namedCurve: 'P-256' });
      break;
    default:
      throw bad(`signing algorithm ${JSON.stringify(alg)}: want RS256 or ES256`);
  }
  keyCount++;
  const kid = `${name}-${keyCount}-${alg.toLowerCase()}-${crypto.randomBytes(4).toString('hex')}`;
  return { ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

// accessKeys[0] signs access tokens; the others are still published.
const accessKeys = [await newKey(env.ACCESS_TOKEN_ALG || 'RS256')];
const idTokenKey = await newKey('RS256', 'id');
const cookieKeys = [crypto.randomBytes(32).toString('base64url')];

function resourceAllowed(indicator) {
  if (settings.resources === '*') {
    const u = URL.parse(indicator);
    return !!u && (u.protocol === 'http:' || u.protocol === 'https:') && !u.hash && !indicator.includes('#');
  }
  return settings.resources.includes(indicator);
}

// mayActOn: the introspection client acts on every token, any other client
// only on its own.
function mayActOn(client, token) {
  return client.clientId === introspectionClient.id || client.clientId === token.clientId;
}

function configuration() {
  return {
    adapter: SharedMemoryAdapter,
    clockTolerance: CLOCK_TOLERANCE,
    clients: [{
      client_id: introspectionClient.id,
      client_secret: introspectionClient.secret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    }],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    jwks: { keys: [...accessKeys, idTokenKey] },
    cookies: { keys: cookieKeys },
    scopes: [...OIDC_SCOPES, ...RESOURCE_SCOPES],
    responseTypes: ['code'],
    claims: { openid: ['sub'] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => mayActOn(client, token) },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => mayActOn(client, token) },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (!resourceAllowed(indicator)) throw new errors.InvalidTarget();
          const [key] = accessKeys;
          return {
            scope: RESOURCE_SCOPES.join(' '),
            audience: indicator,
            accessTokenTTL: settings.ttl,
            accessTokenFormat: settings.format,
            ...(settings.format === 'jwt' ? { jwt: { sign: { alg: key.alg, kid: key.kid } } } : {}),
          };
        },
      },
    },
    formats: {
      customizers: {
        jwt: async (_ctx, _token, jwt) => {
          if (settings.nbf) jwt.payload.nbf = jwt.payload.iat;
        },
      },
    },
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: async () => false,
    ttl: {
      AccessToken: () => settings.ttl,
      ClientCredentials: () => settings.ttl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 24 * 3600,
      Grant: 24 * 3600,
      Session: 24 * 3600,
      Interaction: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
}

const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(env.IDP_PORT || 0), '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

let provider;
let handle;
function build() {
  provider = new Provider(issuer, configuration());
  handle = provider.callback();
}
build();

// interaction logs in settings.subject, then consents to the requested
// scopes that settings.grantScopes holds; each answer is a 303 back to the
// authorization endpoint.
async function interaction(req, res) {
  const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
  if (prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: settings.subject } }, { mergeWithLastSubmission: false });
    return;
  }
  if (prompt.name !== 'consent') {
    json(res, 501, { error: `prompt ${prompt.name} not handled` });
    return;
  }
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const { details } = prompt;
  for (const scope of details.missingOIDCScope ?? []) {
    if (OIDC_SCOPES.includes(scope) || settings.grantScopes.has(scope)) grant.addOIDCScope(scope);
    else grant.rejectOIDCScope(scope);
  }
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    const granted = scopes.filter((s) => settings.grantScopes.has(s));
    const refused = scopes.filter((s) => !settings.grantScopes.has(s));
    if (granted.length) grant.addResourceScope(indicator, granted.join(' '));
    if (refused.length) grant.rejectResourceScope(indicator, refused.join(' '));
  }
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

function json(res, status, body) {
  const b = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(b) });
  res.end(b);
}

function state() {
  return {
    issuer,
    signing_kid: accessKeys[0].kid,
    signing_alg: accessKeys[0].alg,
    kids: [...accessKeys, idTokenKey].map((k) => k.kid),
    id_token_kid: idTokenKey.kid,
    access_token_format: settings.format,
    access_token_ttl: settings.ttl,
    introspection: { mode: settings.introspection.mode, delay_ms: settings.introspection.delayMs, calls: settings.introspection.calls },
    skew_seconds: settings.skew,
    subject: settings.subject,
    grant_scopes: [...settings.grantScopes].join(' '),
    resources: settings.resources,
  };
}

// control answers the /__test/ endpoints.
async function control(req, res, url) {
  const q = url.searchParams;
  const route = url.pathname.slice('/__test/'.length);
  if (route === 'state') {
    if (req.method !== 'GET') return json(res, 405, { error: 'method_not_allowed', error_description: 'GET only' });
    return json(res, 200, state());
  }
  if (req.method !== 'POST') return json(res, 405, { error: 'method_not_allowed', error_description: 'POST only' });
  switch (route) {
    case 'rotate': {
      const key = await newKey(q.get('alg') || accessKeys[0].alg);
      if (q.get('retire') === '1') accessKeys.shift();
      accessKeys.unshift(key);
      build();
      break;
    }
    case 'introspection': {
      const mode = q.get('mode') || 'ok';
      if (!['ok', 'down', 'slow', '500'].includes(mode)) throw bad(`mode ${mode}: want ok, down, slow or 500`);
      const delayMs = q.has('delay_ms') ? parseSeconds(q.get('delay_ms'), 'delay_ms') : (mode === 'slow' ? 3000 : 0);
      if (delayMs < 0) throw bad(`delay_ms ${delayMs}: want 0 or more`);
      settings.introspection.mode = mode;
      settings.introspection.delayMs = delayMs;
      break;
    }
    case 'clock':
      settings.skew = parseSeconds(q.get('skew') ?? '0', 'skew');
      break;
    case 'grant':
      if (q.has('subject')) {
        if (!q.get('subject')) throw bad('empty subject');
        settings.subject = q.get('subject');
      }
      if (q.has('scopes')) settings.grantScopes = new Set(words(q.get('scopes')));
      break;
    case 'tokens':
      if (q.has('format')) settings.format = parseFormat(q.get('format'));
      if (q.has('ttl')) settings.ttl = parsePositive(q.get('ttl'), 'ttl');
      break;
    case 'resources':
      settings.resources = parseResources(q.get('resources'));
      break;
    default:
      return json(res, 404, { error: 'not_found', error_description: `no control endpoint ${route}` });
  }
  return json(res, 200, state());
}

// introspection applies the failure mode the test chose, then lets the
// provider answer.
async function introspection(req, res) {
  settings.introspection.calls++;
  const { mode, delayMs } = settings.introspection;
  switch (mode) {
    case 'down':
      req.socket.destroy();
      return;
    case '500':
      json(res, 500, { error: 'server_error', error_description: 'introspection made to fail by the test' });
      return;
    case 'slow':
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      break;
    default:
  }
  handle(req, res);
}

server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname.startsWith('/__test/')) {
      await control(req, res, url);
    } else if (url.pathname.startsWith('/interaction/')) {
      await interaction(req, res);
    } else if (url.pathname === provider.pathFor('introspection')) {
      await introspection(req, res);
    } else {
      handle(req, res);
    }
  } catch (err) {
    if (err.statusCode !== 400) process.stderr.write(`idp: ${req.method} ${req.url}: ${err.stack ?? err}\n`);
    if (!res.headersSent) json(res, err.statusCode ?? 500, { error: err.error ?? 'server_error', error_description: err.error_description ?? String(err.message ?? err) });
    else res.destroy();
  }
});

process.stdout.write(`IDP_LISTENING ${issuer}\n`);

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
