// credlink test stubs beside the OAuth server (node built-ins only, no npm packages):
//
//   node stubs.js exchange [--watch-stdin]
//     plain http on 127.0.0.1, sign-in calls that behave like Kenjo's and Breezy HR's:
//       POST /api/v1/auth/login  {"apiKey": "kenjo-key"}                 -> 200 {"token": "Bearer <token>"}
//       POST /v3/signin          {"email": "hr@example.com", "password": "breezy-pass"} -> 200 {"access_token": "<token>", ...}
//       GET /api/v1/...  with a token issued above as Bearer                -> 200 {"path", "issued": true}
//       anything else with wrong credentials                               -> 401 {"message": "Unauthorized"}
//       POST /broken/...                                                   -> 200, an HTML page (not JSON)
//       POST /empty/...                                                    -> 200 {"ok": true} (no token)
//   node stubs.js mtls DIR [--watch-stdin]
//     https on 127.0.0.1 with DIR/server.pem, DIR/server.key, asking for a client certificate
//     and trusting DIR/ca.pem for it (RFC 8705 tls_client_auth):
//       POST /oauth/token  client_id=<the certificate's CN>, grant_type=client_credentials
//         with a certificate issued by the CA -> 200 {"access_token", "token_type": "Bearer", "expires_in": 3600}
//         without one, or with another        -> 401 {"error": "invalid_client", ...}
//       GET /api/...  with the certificate and a token issued above as Bearer -> 200 {"path", "cn"}
//   node stubs.js device [--watch-stdin]
//     plain http on 127.0.0.1, a device authorization server (RFC 8628) that asks to slow down,
//     which oidc-provider never does:
//       POST /device/auth  -> 200 {device_code, user_code "WDJB-MJHT", verification_uri, interval 1, expires_in 60}
//       POST /token grant_type=urn:ietf:params:oauth:grant-type:device_code, the device code:
//         1st poll authorization_pending, 2nd slow_down, 3rd 500 (a blip), 4th the tokens
//         (with a refresh token)
//       GET /stub/polls    -> 200 [ms between the device authorization and each poll]
//
// stdout protocol as server.js: `READY <url>` once, then `REQ <METHOD> <path> <status>`.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

const out = (line) => process.stdout.write(`${line}\n`);
const args = process.argv.slice(2);
const [mode, tlsDir] = args.filter((a) => !a.startsWith('--'));

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const readBody = (req) => new Promise((resolve) => {
  let data = '';
  req.on('data', (c) => { data += c; if (data.length > 65536) req.destroy(); });
  req.on('end', () => resolve(data));
});
const token = () => randomBytes(24).toString('hex');
// Tokens the sign-in calls and the mTLS token endpoint issued, which their resources (GET
// /api/..., for `credlink api`) accept.
const issued = new Set();
const issue = () => { const t = token(); issued.add(t); return t; };

async function exchange(req, res, p) {
  const text = await readBody(req);
  let body = {};
  try { body = JSON.parse(text); } catch { body = {}; }
  if (p.startsWith('/broken/')) {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end('<!doctype html><html><head><title>Maintenance</title></head><body>Back soon</body></html>');
  }
  if (p.startsWith('/empty/')) return json(res, 200, { ok: true });
  if (p === '/api/v1/auth/login' && body.apiKey === 'kenjo-key') {
    return json(res, 200, { token: `Bearer ${issue()}` });
  }
  if (p === '/v3/signin' && body.email === 'hr@example.com' && body.password === 'breezy-pass') {
    return json(res, 200, { access_token: issue(), user: { email: body.email } });
  }
  if (req.method === 'GET' && p.startsWith('/api/v1/')) {
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (issued.has(bearer)) return json(res, 200, { path: p, issued: true });
  }
  return json(res, 401, { message: 'Unauthorized' });
}

async function mtls(req, res, p) {
  const text = await readBody(req);
  const params = new URLSearchParams(text);
  const cert = req.socket.getPeerCertificate();
  if (req.method === 'GET' && p.startsWith('/api/')) {
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!req.socket.authorized || !issued.has(bearer)) return json(res, 401, { error: 'invalid_token' });
    return json(res, 200, { path: p, cn: cert.subject.CN });
  }
  if (req.method !== 'POST' || p !== '/oauth/token') return json(res, 404, { error: 'not_found' });
  if (!req.socket.authorized || !cert || !cert.subject) {
    return json(res, 401, { error: 'invalid_client', error_description: 'a client certificate issued by the trusted CA is required' });
  }
  if (params.get('client_id') !== cert.subject.CN) {
    return json(res, 401, { error: 'invalid_client', error_description: 'the client certificate is not registered for this client' });
  }
  if (params.get('grant_type') !== 'client_credentials') return json(res, 400, { error: 'unsupported_grant_type' });
  return json(res, 200, { access_token: issue(), token_type: 'Bearer', expires_in: 3600 });
}

const device = { code: `dc-${token()}`, started: 0, polls: [] };
async function deviceFlow(req, res, p) {
  const text = await readBody(req);
  const params = new URLSearchParams(text);
  if (req.method === 'GET' && p === '/stub/polls') return json(res, 200, device.polls);
  if (req.method === 'POST' && p === '/device/auth') {
    device.started = Date.now();
    device.polls = [];
    const host = `http://${req.headers.host}`;
    return json(res, 200, {
      device_code: device.code, user_code: 'WDJB-MJHT', verification_uri: `${host}/device`, interval: 1, expires_in: 60,
    });
  }
  if (req.method === 'POST' && p === '/token') {
    if (params.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:device_code') return json(res, 400, { error: 'unsupported_grant_type' });
    if (params.get('device_code') !== device.code) return json(res, 400, { error: 'invalid_grant' });
    device.polls.push(Date.now() - device.started);
    if (device.polls.length === 1) return json(res, 400, { error: 'authorization_pending' });
    if (device.polls.length === 2) return json(res, 400, { error: 'slow_down' });
    if (device.polls.length === 3) return json(res, 500, { error: 'server_error' });
    return json(res, 200, { access_token: token(), token_type: 'Bearer', expires_in: 3600, refresh_token: `rt-${token()}` });
  }
  return json(res, 404, { error: 'not_found' });
}

let server;
let scheme = 'http';
const handler = (fn) => (req, res) => {
  const p = (req.url ?? '/').split('?')[0];
  res.on('finish', () => out(`REQ ${req.method} ${p} ${res.statusCode}`));
  fn(req, res, p).catch((err) => { process.stderr.write(`${err?.stack ?? err}\n`); json(res, 500, {}); });
};
if (mode === 'exchange') {
  server = http.createServer(handler(exchange));
} else if (mode === 'device') {
  server = http.createServer(handler(deviceFlow));
} else if (mode === 'mtls' && tlsDir) {
  const dir = tlsDir;
  const read = (name) => fs.readFileSync(path.join(dir, name));
  server = https.createServer({
    key: read('server.key'),
    cert: read('server.pem'),
    ca: read('ca.pem'),
    requestCert: true,
    // The handshake completes without a trusted certificate; the token endpoint answers
    // invalid_client, as authorization servers do.
    rejectUnauthorized: false,
  }, handler(mtls));
  scheme = 'https';
} else {
  process.stderr.write('usage: node stubs.js exchange | device | mtls DIR\n');
  process.exit(2);
}
server.listen(0, '127.0.0.1', () => out(`READY ${scheme}://127.0.0.1:${server.address().port}`));

const shutdown = () => { server.close(); server.closeAllConnections?.(); process.exit(0); };
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (args.includes('--watch-stdin')) {
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}
