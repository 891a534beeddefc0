// credlink test peer: a real OAuth 2.0 authorization server (panva/oidc-provider)
// on 127.0.0.1, for integration tests of the client-credentials grant (RFC 6749 4.4).
//
// Usage: node server.js [--port N] [--delay-ms MS] [--watch-stdin]     (port 0 = ephemeral, the default)
// stdout protocol (nothing else is ever written to stdout):
//   READY http://127.0.0.1:<port>          once, when listening
//   REQ <METHOD> <path> <status>           once per completed request (path without query)
// Exits on SIGTERM/SIGINT, and with --watch-stdin when stdin reaches EOF / is closed.
import http from 'node:http';

// --- keep stdout for the protocol only -------------------------------------------------
// oidc-provider prints NOTICEs via console.info (stdout) and WARNINGs via console.warn.
// Send everything to stderr and drop the known quick-start/dev-only noise.
const NOISE = /development-only|Unsupported runtime|default .* function called/;
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

// Imported after the console redirect (it warns at import time on Node 20).
const { default: Provider } = await import('oidc-provider');

// --- provider configuration -------------------------------------------------------------
const cc = { grant_types: ['client_credentials'], redirect_uris: [], response_types: [] };
const config = {
  // adapter: omitted -> built-in in-memory adapter (state is lost on exit; fine for tests)
  clients: [
    { ...cc, client_id: 'basic-client', client_secret: 'basic-secret', token_endpoint_auth_method: 'client_secret_basic', scope: 'api:read api:write' },
    { ...cc, client_id: 'post-client', client_secret: 'post-secret', token_endpoint_auth_method: 'client_secret_post', scope: 'api:read' },
    { ...cc, client_id: 'special-client', client_secret: 's3cr+t%20:/x', token_endpoint_auth_method: 'client_secret_basic', scope: 'api:read' },
  ],
  // Scopes known to the server; a known scope outside a client's `scope` -> 400 invalid_scope.
  // (Unknown scopes are silently dropped by oidc-provider.)
  scopes: ['api:read', 'api:write'],
  ttl: { ClientCredentials: 600 }, // expires_in: 600
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
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
  const handle = provider.callback();

  server.on('request', (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    res.on('finish', () => out(`REQ ${req.method} ${path} ${res.statusCode}`));
    if (delayMs > 0) setTimeout(() => handle(req, res), delayMs);
    else handle(req, res);
  });
  out(`READY ${issuer}`);
});
server.on('error', (err) => { toStderr(`listen failed: ${err.message}`); process.exit(1); });

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
