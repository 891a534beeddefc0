// credlink test peer: a real OAuth 2.0 authorization server (panva/oidc-provider)
// on 127.0.0.1, for integration tests of the client-credentials grant (RFC 6749 4.4), the
// refresh-token grant with rotation, the device authorization grant (RFC 8628), and the
// authorization-code grant (RFC 6749 4.1, PKCE) whose
// sign-in and consent pages (oidc-provider's devInteractions: any login, "Continue" to allow,
// "[ Cancel ]" to deny) a real browser completes, and the JWT bearer grant (RFC 7523 2.1),
// registered below and verified with jose against the client's registered keys.
//
// Usage: node server.js [--port N] [--delay-ms MS] [--clock-offset-s S] [--watch-stdin]
//   (port 0 = ephemeral, the default; --clock-offset-s sets this server's clock S seconds
//   ahead, for the JWT bearer grant's checks and every answer's Date header)
// stdout protocol (nothing else is ever written to stdout):
//   READY http://127.0.0.1:<port>          once, when listening
//   REQ <METHOD> <path> <status>           once per completed request (path without query)
// Exits on SIGTERM/SIGINT, and with --watch-stdin when stdin reaches EOF / is closed.
import http from 'node:http';

// --- keep stdout for the protocol only -------------------------------------------------
// oidc-provider prints NOTICEs via console.info (stdout) and WARNINGs via console.warn.
// Send everything to stderr and drop the known quick-start/dev-only noise.
const NOISE = /development-only|Unsupported runtime|default .* function called|already parsed request body/;
const toStderr = (...args) => {
  const line = args.map(String).join(' ');
  if (!NOISE.test(line)) process.stderr.write(`${line}\n`);
};
console.log = console.info = console.warn = console.debug = toStderr;
const out = (line) => process.stdout.write(`${line}\n`); // pipes/files are synchronous on Linux

// --- arguments --------------------------------------------------------------------------
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i === -1) return dflt;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 0) { toStderr(`invalid ${name} value`); process.exit(2); }
  return n;
};
const port = opt('--port', 0);
const delayMs = opt('--delay-ms', 0);
const clockOffsetMs = opt('--clock-offset-s', 0) * 1000;
const serverNow = () => new Date(Date.now() + clockOffsetMs);

// Imported after the console redirect (it warns at import time on Node 20).
const { default: Provider } = await import('oidc-provider');
// oidc-provider's own dependency (package-lock.json), not one of ours.
const { jwtVerify, createLocalJWKSet } = await import('jose');

// --- keys of the private_key_jwt client (RFC 7523) ---------------------------------------
// Made at start-up; the test fetches the private halves from GET /test/jwt-keys. `other` is
// registered nowhere: an assertion it signs must be refused.
const { generateKeyPairSync } = await import('node:crypto');
const pair = (type, opts) => {
  const { publicKey, privateKey } = generateKeyPairSync(type, opts);
  return { jwk: publicKey.export({ format: 'jwk' }), pem: privateKey.export({ format: 'pem', type: 'pkcs8' }) };
};
const jwtKeys = {
  // `kid` = the private_key_id of the JSON key file the tests make from it.
  rsa: pair('rsa', { modulusLength: 2048 }),
  ec: pair('ec', { namedCurve: 'P-256' }),
  other: pair('rsa', { modulusLength: 2048 }),
};
jwtKeys.rsa.jwk.kid = 'peer-rsa-1';

// --- the JWT bearer grant (RFC 7523 2.1) -------------------------------------------------
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ASSERT_CLIENT = 'svc@assert.test';
// The only user the service account may act as (`sub`), as domain-wide delegation allows.
const ASSERT_SUBJECT = 'admin@assert.test';

// --- provider configuration -------------------------------------------------------------
const cc = { grant_types: ['client_credentials'], redirect_uris: [], response_types: [] };
const config = {
  // adapter: omitted -> built-in in-memory adapter (state is lost on exit; fine for tests)
  clients: [
    { ...cc, client_id: 'basic-client', client_secret: 'basic-secret', token_endpoint_auth_method: 'client_secret_basic', scope: 'api:read api:write' },
    { ...cc, client_id: 'post-client', client_secret: 'post-secret', token_endpoint_auth_method: 'client_secret_post', scope: 'api:read' },
    { ...cc, client_id: 'special-client', client_secret: 's3cr+t%20:/x', token_endpoint_auth_method: 'client_secret_basic', scope: 'api:read' },
    // Refresh-token grant (RFC 6749 6) with rotation; its refresh tokens come from
    // POST /test/refresh-token (no browser in tests).
    { client_id: 'refresh-client', client_secret: 'refresh-secret', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['https://client.example/cb'], response_types: ['code'], scope: 'api:read' },
    // Authorization code + PKCE (RFC 7636) + refresh tokens with rotation, for the browser
    // sign-in of `credlink link`. A native client: any loopback port of the registered
    // redirect URI is accepted (RFC 8252 7.3), so tests pick a free port.
    { client_id: 'code-client', client_secret: 'code-secret', token_endpoint_auth_method: 'client_secret_basic', application_type: 'native', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['http://127.0.0.1/callback'], response_types: ['code'], scope: 'api:read' },
    // The same as a public client (no secret): PKCE is required for it.
    { client_id: 'public-code-client', token_endpoint_auth_method: 'none', application_type: 'native', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['http://127.0.0.1/callback'], response_types: ['code'], scope: 'api:read' },
    // JobAdder's entry, copied with only its host rewritten (tests/cli/oauth_code/code.rs): a
    // confidential client sending its secret in the body, without PKCE.
    { client_id: 'jobadder-client', client_secret: 'code-secret', token_endpoint_auth_method: 'client_secret_post', application_type: 'native', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['http://127.0.0.1/callback'], response_types: ['code'], scope: 'read write' },
    // Authorization code without the refresh_token grant: no refresh token is issued.
    { client_id: 'norefresh-client', client_secret: 'norefresh-secret', token_endpoint_auth_method: 'client_secret_basic', application_type: 'native', grant_types: ['authorization_code'], redirect_uris: ['http://127.0.0.1/callback'], response_types: ['code'], scope: 'api:read' },
    // Codes that expire 2 s after they are issued (ttl.AuthorizationCode below).
    { client_id: 'expiring-code-client', client_secret: 'code-secret', token_endpoint_auth_method: 'client_secret_basic', application_type: 'native', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['http://127.0.0.1/callback'], response_types: ['code'], scope: 'api:read' },
    // Device authorization grant (RFC 8628) with refresh tokens; the expiring one's device
    // codes live 3 s (ttl.DeviceCode below).
    { client_id: 'device-client', client_secret: 'code-secret', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], redirect_uris: [], response_types: [], scope: 'api:read' },
    { client_id: 'expiring-device-client', client_secret: 'code-secret', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], redirect_uris: [], response_types: [], scope: 'api:read' },
    // Traffit's entry (tests/cli/live_decides.rs): the client `credlink` of the instance `acme`,
    // registered under its full name; the token request comes as JSON (see jsonToForm).
    { ...cc, client_id: 'acme_credlink', client_secret: 'traffit-secret', token_endpoint_auth_method: 'client_secret_post' },
    // private_key_jwt (RFC 7523 2.2) with an RSA and an EC key.
    { ...cc, client_id: 'jwt-client', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwtKeys.rsa.jwk, jwtKeys.ec.jwk] }, scope: 'api:read' },
    // JWT bearer grant (RFC 7523 2.1): no client authentication, the assertion is the grant;
    // its issuer names the client (see the /token pre-read below).
    { client_id: ASSERT_CLIENT, token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER], redirect_uris: [], response_types: [], jwks: { keys: [jwtKeys.rsa.jwk, jwtKeys.ec.jwk] }, scope: 'api:read api:write' },
  ],
  // Every refresh grant issues a new refresh token and consumes the old one; reusing a
  // consumed one is `invalid_grant` (and revokes the grant).
  rotateRefreshToken: true,
  // The code flow issues a refresh token to every client allowed the refresh_token grant (the
  // default wants `offline_access` and an OpenID session); refresh-client's come from
  // POST /test/refresh-token.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  // Refresh tokens outlive the browser's session at the provider.
  expiresWithSession: async () => false,
  // Scopes known to the server; a known scope outside a client's `scope` -> 400 invalid_scope.
  // (Unknown scopes are silently dropped by oidc-provider.)
  scopes: ['api:read', 'api:write', 'read', 'write'],
  ttl: {
    ClientCredentials: 600, AccessToken: 600, RefreshToken: 86400, // expires_in: 600
    AuthorizationCode: (ctx, token, client) => (client?.clientId === 'expiring-code-client' ? 2 : 60),
    DeviceCode: (ctx, token, client) => (client?.clientId === 'expiring-device-client' ? 3 : 600),
  },
  features: {
    // The built-in sign-in and consent pages, driven by a headless browser in the tests.
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    // RFC 8628: POST /device/auth, the user code entered at GET /device.
    deviceFlow: { enabled: true },
    // Default policies: a client may revoke only its own tokens (another client's -> 400
    // invalid_request); any authenticated client may introspect any token.
    revocation: { enabled: true },
    introspection: { enabled: true },
  },
};

// --- HTTP server: bind first, then build the issuer from the real port ----------------
const server = http.createServer();
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, config);
  provider.on('server_error', (ctx, err) => toStderr('server_error:', err?.stack ?? err));
  registerJwtBearer(provider, `${issuer}/token`);
  const handle = provider.callback();

  // Test-only routes, beside the provider's own.
  const json = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const testRoute = async (req, res, path) => {
    if (req.method === 'POST' && path === '/test/refresh-token') {
      // A refresh token for refresh-client, minted through the provider's own models, as an
      // admin's "generate refresh token" button would (Workday).
      const clientId = 'refresh-client';
      const client = await provider.Client.find(clientId);
      const grant = new provider.Grant({ accountId: 'test-user', clientId });
      grant.addOIDCScope('api:read');
      const grantId = await grant.save();
      const token = new provider.RefreshToken({ accountId: 'test-user', client, grantId, gty: 'authorization_code', scope: 'api:read' });
      json(res, 200, { refresh_token: await token.save() });
      return true;
    }
    if (req.method === 'GET' && path === '/test/whoami') {
      // The check call of the JWT bearer connector: 200 for a live token the grant issued.
      const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const token = bearer && await provider.ClientCredentials.find(bearer);
      if (!token || token.isExpired) {
        json(res, 401, { error: 'invalid_token' });
      } else {
        json(res, 200, { client_id: token.clientId, scope: token.scope });
      }
      return true;
    }
    if (path.startsWith('/test/api/')) {
      // A resource the provider protects, for `credlink api`: 200 with what it was sent for a
      // live access token of any grant; /test/api/status/NNN answers NNN instead.
      const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const token = bearer && (await provider.AccessToken.find(bearer) ?? await provider.ClientCredentials.find(bearer));
      if (!token || token.isExpired) {
        json(res, 401, { error: 'invalid_token' });
        return true;
      }
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const status = Number(path.match(/^\/test\/api\/status\/(\d{3})$/)?.[1] ?? 200);
      json(res, status, {
        client_id: token.clientId, method: req.method, path, query: (req.url ?? '').split('?')[1] ?? '',
        content_type: req.headers['content-type'] ?? null, custom: req.headers['x-custom'] ?? null,
        body: Buffer.concat(chunks).toString(),
      });
      return true;
    }
    if (req.method === 'GET' && path === '/test/jwt-keys') {
      json(res, 200, { rsa: jwtKeys.rsa.pem, ec: jwtKeys.ec.pem, other: jwtKeys.other.pem });
      return true;
    }
    return false;
  };

  // Traffit's token endpoint takes a JSON body (client_auth json) at /oauth2/token;
  // oidc-provider reads only forms, so such a request is passed on to /token as that form.
  const jsonToForm = async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body;
    try { body = JSON.parse(raw); } catch { return json(res, 400, { error: 'invalid_request' }); }
    const form = new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)])).toString();
    const inner = http.request({
      host: '127.0.0.1', port: server.address().port, path: '/token', method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form) },
    }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    inner.on('error', () => json(res, 502, { error: 'server_error' }));
    inner.end(form);
  };

  // Real providers' paths, so that a copy of a catalog entry runs with only its host
  // rewritten (JobAdder: /connect/authorize, /connect/token).
  const ALIASES = { '/connect/authorize': '/auth', '/connect/token': '/token' };

  server.on('request', async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (ALIASES[path]) req.url = ALIASES[path] + (req.url ?? '').slice(path.length);
    res.on('finish', () => out(`REQ ${req.method} ${path} ${res.statusCode}`));
    if (path === '/oauth2/token' && (req.headers['content-type'] ?? '').startsWith('application/json')) {
      return jsonToForm(req, res);
    }
    if (clockOffsetMs) res.setHeader('date', serverNow().toUTCString());
    if (req.method === 'POST' && path === '/token') await nameAssertionClient(req);
    if (path.startsWith('/test/')) {
      try {
        if (await testRoute(req, res, path)) return;
      } catch (err) {
        toStderr('test route failed:', err?.stack ?? err);
        return json(res, 500, { error: 'server_error' });
      }
    }
    if (delayMs > 0) setTimeout(() => handle(req, res), delayMs);
    else handle(req, res);
  });
  out(`READY ${issuer}`);
});
server.on('error', (err) => { toStderr(`listen failed: ${err.message}`); process.exit(1); });

// RFC 7523 2.1 needs no client authentication, but oidc-provider's token endpoint finds the
// client by `client_id`: for a JWT bearer grant without one, the assertion's (not yet
// verified) issuer names the client whose registered keys then verify it. The body is read
// here and handed on already read (oidc-provider's selective_body takes `req.body`).
async function nameAssertionClient(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const form = new URLSearchParams(Buffer.concat(chunks).toString());
  if (form.get('grant_type') === JWT_BEARER && !form.has('client_id')) {
    try {
      const claims = JSON.parse(Buffer.from(form.get('assertion').split('.')[1], 'base64url'));
      if (typeof claims.iss === 'string') form.set('client_id', claims.iss);
    } catch { /* not a JWT: the grant refuses it */ }
  }
  req.body = form.toString();
}

// The grant, answering in Google's error shapes (invalid_grant with its descriptions,
// unauthorized_client for a subject the account may not act as).
function registerJwtBearer(provider, audience) {
  provider.registerGrantType(JWT_BEARER, async (ctx) => {
    const fail = (error, error_description) => {
      ctx.status = 400;
      ctx.body = { error, error_description };
    };
    const { client } = ctx.oidc;
    let payload;
    try {
      ({ payload } = await jwtVerify(String(ctx.oidc.params.assertion), createLocalJWKSet(client.metadata().jwks ?? { keys: [] }), {
        issuer: client.clientId,
        audience,
        currentDate: serverNow(),
        clockTolerance: 5,
        maxTokenAge: '60m',
        requiredClaims: ['iat', 'exp'],
      }));
    } catch (err) {
      const claim = err.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' ? err.claim : undefined;
      if (err.code === 'ERR_JWT_EXPIRED' || ['iat', 'nbf', 'exp'].includes(claim)) {
        return fail('invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
      }
      if (claim === 'aud') return fail('invalid_grant', 'Invalid JWT: Failed audience check.');
      if (claim) return fail('invalid_grant', `Invalid JWT: the ${claim} claim is wrong.`);
      return fail('invalid_grant', 'Invalid JWT Signature.');
    }
    if (payload.sub !== undefined && payload.sub !== ASSERT_SUBJECT) {
      return fail('unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.');
    }
    const scope = String(payload.scope ?? ctx.oidc.params.scope ?? 'api:read');
    const allowed = new Set(client.scope.split(' '));
    if (!scope.split(' ').every((s) => allowed.has(s))) return fail('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    const token = new provider.ClientCredentials({ client, scope });
    ctx.body = { access_token: await token.save(), token_type: 'Bearer', expires_in: token.expiration, scope };
  }, ['assertion', 'scope']);
}

// --- shutdown: signals, or the parent closing our stdin ---------------------------------
const shutdown = () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// --watch-stdin (used by the test harness): exit when the parent closes our stdin, so the
// server never outlives a crashed test. Off by default so `node server.js &` keeps running.
if (args.includes('--watch-stdin')) {
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}
