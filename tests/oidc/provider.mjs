// A real OpenID Provider for Continuum's end-to-end tests: the `oidc-provider`
// package, configured with fixed test accounts and clients, issuing JWT access
// tokens (RFC 9068) for one resource indicator.
//
//   node tests/oidc/provider.mjs --port 0 --audience urn:continuum:test-node [--alg RS256|ES256|PS256]
//
// Listens on 127.0.0.1. Once listening it prints exactly one line to stdout,
//   {"issuer":"http://127.0.0.1:PORT"}
// and logs to stderr only. It exits when stdin reaches end of file (so a test
// that dies leaves no orphan behind) and on SIGTERM.
//
// Besides the provider's own endpoints (discovery at
// /.well-known/openid-configuration, /auth, /token, /jwks, ...) the same port
// serves a test harness under /test/ that is NOT part of the provider: it lets
// a test sign in without a browser, and forge tokens with the provider's key.
//   POST /test/login          {"user":"dr-lee","resource":"…"?}    → {"access_token","id_token"}
//   POST /test/client-token   {"client":"emr-integration","resource":"…"?} → {"access_token"}
//   POST /test/sign           {"header":{…},"claims":{…}}           → {"token"}
//   GET  /test/public-key-pem                                       → SPKI PEM text
//   POST /test/rotate         {"retire_old":false}                  → {"kid"}
// Errors answer 400 (404 for an unknown path) with a plain-text message.

import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { parseArgs } from 'node:util';

// stdout carries the one JSON line: send everything else (oidc-provider
// prints its notices with console.info) to stderr, before it is imported.
for (const level of ['log', 'info', 'debug']) {
  console[level] = (...args) => console.error(...args);
}

const { default: Provider, errors } = await import('oidc-provider');
const { CompactSign } = await import('jose');

// ------------------------------------------------------------------ options

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    audience: { type: 'string' },
    alg: { type: 'string', default: 'RS256' },
  },
  strict: true,
});

function usage(message) {
  console.error(`provider.mjs: ${message}`);
  console.error('usage: node provider.mjs --port PORT --audience RESOURCE [--alg RS256|ES256|PS256]');
  process.exit(2);
}

const SIGNING_ALGS = ['RS256', 'ES256', 'PS256'];
if (!options.audience) usage('--audience is required');
if (!URL.parse(options.audience)) usage(`--audience must be an absolute URI: ${options.audience}`);
if (!SIGNING_ALGS.includes(options.alg)) usage(`--alg must be one of ${SIGNING_ALGS.join(', ')}`);
const port = Number(options.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`--port must be a port number: ${options.port}`);

const AUDIENCE = options.audience;
const ALG = options.alg;
// Besides --audience, any `urn:continuum:` resource is accepted, so that a
// test can get a token for another node (wrong-audience tests).
const OTHER_RESOURCES = 'urn:continuum:';
const RESOURCE_SCOPE = 'continuum';
const ACCESS_TOKEN_TTL = 300;

// ----------------------------------------------------------------- fixtures

// The IdP's own role names: deliberately not Continuum's.
const ACCOUNTS = {
  'dr-lee': { name: 'Dr. Ana Lee', npi: '1234567893', roles: ['physician'] },
  'dr-okafor': { name: 'Dr. Chidi Okafor', npi: '1245319599', roles: ['physician', 'ed-attending'] },
  'front-desk': { name: 'Sam Rivera', roles: ['front-desk'] },
  'no-roles': { name: 'Pat Doe', roles: [] },
};

// The console's redirect URI is never contacted: /test/login stops at it.
const CONSOLE_CLIENT = {
  client_id: 'emr-console',
  client_secret: 'console-secret',
  grant_types: ['authorization_code'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1:9/callback'],
  token_endpoint_auth_method: 'client_secret_basic',
};

// Machine clients (client_credentials) and what their tokens say about them.
const MACHINE_CLIENTS = {
  'emr-integration': { secret: 'integration-secret', name: 'EMR integration engine', roles: ['interface-engine'] },
  reporting: { secret: 'reporting-secret', name: 'Quality reporting', roles: [] },
};

const CLIENTS = [
  CONSOLE_CLIENT,
  ...Object.entries(MACHINE_CLIENTS).map(([id, client]) => ({
    client_id: id,
    client_secret: client.secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
];

// ---------------------------------------------------------------- signing keys

function generateSigningKey() {
  const { privateKey } = ALG === 'ES256'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `k-${crypto.randomBytes(8).toString('hex')}`;
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: ALG, use: 'sig' };
}

// Newest first: the first key signs, the others are only published.
let signingKeys = [generateSigningKey()];
const currentKey = () => signingKeys[0];

// ------------------------------------------------------------------ provider

let issuer;
// Fixed for the process, so that rotation does not break cookies in flight.
const COOKIE_KEYS = [crypto.randomBytes(32).toString('base64url')];

function buildProvider() {
  const provider = new Provider(issuer, {
    clients: CLIENTS,
    jwks: { keys: signingKeys },
    clientDefaults: { id_token_signed_response_alg: ALG },
    cookies: { keys: COOKIE_KEYS },
    claims: { openid: ['sub'], profile: ['name'] },
    pkce: { required: () => true },
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL,
      ClientCredentials: ACCESS_TOKEN_TTL,
      AuthorizationCode: 60,
      IdToken: ACCESS_TOKEN_TTL,
      Grant: 600,
      Interaction: 600,
      Session: 600,
    },
    features: {
      // Our own interaction handler below signs in the login_hint account.
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => (oneOf ? oneOf[0] : AUDIENCE),
        // Access tokens from the authorization code are for the granted
        // resource even when the token request names none.
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource) => {
          if (resource !== AUDIENCE && !resource.startsWith(OTHER_RESOURCES)) {
            throw new errors.InvalidTarget(`unknown resource ${resource}`);
          }
          return {
            scope: RESOURCE_SCOPE,
            audience: resource,
            accessTokenTTL: ACCESS_TOKEN_TTL,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: ALG, kid: currentKey().kid } },
          };
        },
      },
    },
    findAccount: async (_ctx, sub) => {
      const account = ACCOUNTS[sub];
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: async () => ({ sub, name: account.name }),
      };
    },
    // Who the token speaks for, in the IdP's terms: Continuum maps these.
    extraTokenClaims: async (_ctx, token) => {
      if (token.kind === 'ClientCredentials') {
        const client = MACHINE_CLIENTS[token.clientId];
        return client ? { name: client.name, roles: client.roles } : undefined;
      }
      const account = ACCOUNTS[token.accountId];
      if (!account) return undefined;
      return {
        name: account.name,
        ...(account.npi ? { npi: account.npi } : {}),
        roles: account.roles,
      };
    },
  });
  for (const event of ['server_error', 'grant.error', 'authorization.error']) {
    provider.on(event, (_ctx, error) => {
      console.error(`provider.mjs: ${event}: ${error.message}${error.error_description ? ` (${error.error_description})` : ''}`);
    });
  }
  return { provider, callback: provider.callback() };
}

let current; // { provider, callback }, replaced on /test/rotate

// -------------------------------------------------------------- interactions

// The provider's login and consent "UI": no form, the login_hint account
// signs in and every requested scope and resource is granted.
async function interaction(req, res) {
  const { provider } = current;
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  let result;
  if (prompt.name === 'login') {
    const accountId = params.login_hint;
    if (!ACCOUNTS[accountId]) {
      result = { error: 'access_denied', error_description: `unknown account ${accountId}` };
    } else {
      result = { login: { accountId } };
    }
  } else if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    result = { consent: { grantId: await grant.save() } };
  } else {
    result = { error: 'access_denied', error_description: `unexpected prompt ${prompt.name}` };
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

// -------------------------------------------------- test harness (not the IdP)

class HarnessError extends Error {}

function basicAuth(clientId, secret) {
  const encode = (s) => encodeURIComponent(s);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

async function tokenRequest(form, clientId, secret) {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: basicAuth(clientId, secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw new HarnessError(`token endpoint answered ${res.status}: ${body.error ?? ''} ${body.error_description ?? ''}`.trim());
  }
  return body;
}

// A cookie jar just good enough for one browser-less sign-in against one host.
class CookieJar {
  #cookies = new Map();

  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [key, val = ''] = a.split('=');
        const k = key.trim().toLowerCase();
        return (k === 'expires' && Date.parse(val) <= Date.now()) || (k === 'max-age' && Number(val) <= 0);
      });
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header() {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

// The real authorization code flow with PKCE, over HTTP, as a browser would
// drive it, then the code exchange at the token endpoint.
async function login({ user, resource = AUDIENCE }) {
  if (typeof user !== 'string') throw new HarnessError('"user" is required');
  if (!ACCOUNTS[user]) throw new HarnessError(`unknown user ${user}; known: ${Object.keys(ACCOUNTS).join(', ')}`);
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const state = crypto.randomBytes(16).toString('base64url');
  const [redirectUri] = CONSOLE_CLIENT.redirect_uris;

  let url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: CONSOLE_CLIENT.client_id,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: `openid profile ${RESOURCE_SCOPE}`,
    resource,
    state,
    nonce: crypto.randomBytes(16).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    login_hint: user,
  });

  const jar = new CookieJar();
  let callback;
  for (let hops = 0; hops < 20 && !callback; hops += 1) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(res);
    const body = await res.text();
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) {
      throw new HarnessError(`sign-in stopped at ${url.pathname} with HTTP ${res.status}: ${body.slice(0, 300)}`);
    }
    url = new URL(location, url);
    if (`${url.origin}${url.pathname}` === redirectUri) callback = url;
  }
  if (!callback) throw new HarnessError('sign-in did not reach the redirect URI in 20 redirects');

  const query = callback.searchParams;
  if (query.get('error')) {
    throw new HarnessError(`authorization failed: ${query.get('error')} ${query.get('error_description') ?? ''}`.trim());
  }
  if (query.get('state') !== state) throw new HarnessError('authorization response state mismatch');
  const code = query.get('code');
  if (!code) throw new HarnessError(`authorization response has no code: ${callback}`);

  const tokens = await tokenRequest({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
    resource,
  }, CONSOLE_CLIENT.client_id, CONSOLE_CLIENT.client_secret);
  return { access_token: tokens.access_token, id_token: tokens.id_token };
}

async function clientToken({ client, resource = AUDIENCE }) {
  if (typeof client !== 'string') throw new HarnessError('"client" is required');
  const known = MACHINE_CLIENTS[client];
  if (!known) throw new HarnessError(`unknown client ${client}; known: ${Object.keys(MACHINE_CLIENTS).join(', ')}`);
  const tokens = await tokenRequest({
    grant_type: 'client_credentials',
    scope: RESOURCE_SCOPE,
    resource,
  }, client, known.secret);
  return { access_token: tokens.access_token };
}

// Signs anything with the current private key. Header defaults: the signing
// alg, the current kid, typ at+jwt; a header value of null removes the field.
async function sign({ header = {}, claims }) {
  if (!claims || typeof claims !== 'object') throw new HarnessError('"claims" must be an object');
  const protectedHeader = { alg: ALG, typ: 'at+jwt', kid: currentKey().kid, ...header };
  for (const [key, value] of Object.entries(protectedHeader)) {
    if (value === null) delete protectedHeader[key];
  }
  const key = crypto.createPrivateKey({ key: currentKey(), format: 'jwk' });
  try {
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader(protectedHeader)
      .sign(key);
    return { token };
  } catch (error) {
    throw new HarnessError(`cannot sign with header ${JSON.stringify(protectedHeader)}: ${error.message}`);
  }
}

function publicKeyPem() {
  return crypto.createPublicKey({ key: currentKey(), format: 'jwk' }).export({ type: 'spki', format: 'pem' });
}

// A new signing key signs from now on. oidc-provider takes its keys at
// construction, so the provider is rebuilt; what it stored (grants, sessions)
// lives in the memory adapter's module-level store and survives.
function rotate({ retire_old: retireOld = false } = {}) {
  const key = generateSigningKey();
  signingKeys = retireOld ? [key] : [key, ...signingKeys];
  current = buildProvider();
  console.error(`provider.mjs: rotated signing key, now ${key.kid} (published: ${signingKeys.map((k) => k.kid).join(', ')})`);
  return { kid: key.kid };
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HarnessError('request body is not JSON');
  }
}

const HARNESS = {
  'POST /test/login': async (req) => login(await readJson(req)),
  'POST /test/client-token': async (req) => clientToken(await readJson(req)),
  'POST /test/sign': async (req) => sign(await readJson(req)),
  'GET /test/public-key-pem': async () => publicKeyPem(),
  'POST /test/rotate': async (req) => rotate(await readJson(req)),
};

async function harness(req, res, pathname) {
  const route = HARNESS[`${req.method} ${pathname}`];
  if (!route) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`no test route ${req.method} ${pathname}\n`);
    return;
  }
  try {
    const result = await route(req);
    if (typeof result === 'string') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(result);
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    }
  } catch (error) {
    if (!(error instanceof HarnessError)) console.error(error);
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`${error.message}\n`);
  }
}

// -------------------------------------------------------------------- server

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://localhost');
  if (pathname.startsWith('/test/')) {
    harness(req, res, pathname);
  } else if (req.method === 'GET' && pathname.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      console.error('provider.mjs: interaction failed:', error);
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${error.message}\n`);
    });
  } else {
    current.callback(req, res);
  }
});

server.listen(port, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  current = buildProvider();
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
  console.error(`provider.mjs: listening as ${issuer} for ${AUDIENCE}, ${ALG} key ${currentKey().kid}`);
});

function shutdown(why) {
  console.error(`provider.mjs: ${why}, exiting`);
  process.exit(0);
}
process.stdin.on('end', () => shutdown('stdin closed'));
process.stdin.on('error', () => shutdown('stdin failed'));
process.stdin.resume();
// SIGTERM and SIGINT keep their default action, ending the process at once:
// a JavaScript handler would not run while the event loop is blocked.
