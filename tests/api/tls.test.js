// serve --tls-cert/--tls-key: announces https, serves HTTPS (HTTP/1.1 and HTTP/2).
// fixtures/tls-*.pem is a throwaway self-signed P-256 certificate for 127.0.0.1.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import http2 from 'node:http2';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { decode } from './lib/jwt.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const CERT = path.join(FIX, 'tls-cert.pem');
const KEY = path.join(FIX, 'tls-key.pem');
const ca = fs.readFileSync(CERT);

let srv;
before(async () => { srv = await startServer({ args: ['--tls-cert', CERT, '--tls-key', KEY] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

function httpsRequest(method, p, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: srv.port, path: p, method, headers, ca, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('TLS', () => {
  it('announces an https URL', () => {
    assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(srv.stdout(), /^roomgate: listening on https:\/\/127\.0\.0\.1:\d+\/\n/);
  });

  it('HTTPS/1.1: /healthz and token minting', async () => {
    const h = await httpsRequest('GET', '/healthz');
    assert.equal(h.status, 200);
    assert.deepEqual(h.json, { status: 'ok' });
    const body = JSON.stringify({ identity: 'tls-user', room: 'secure' });
    const t = await httpsRequest('POST', '/v1/AccessTokens', {
      headers: { Authorization: srv.keyAuth, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      body,
    });
    assert.equal(t.status, 200, t.text);
    assert.deepEqual(decode(t.json.token).payload.grants, { identity: 'tls-user', video: { room: 'secure' } });
  });

  it('HTTP/2 (ALPN h2): GET /healthz and POST validate', async () => {
    const session = http2.connect(`https://127.0.0.1:${srv.port}`, { ca });
    try {
      const call = (headers, body) => new Promise((resolve, reject) => {
        const req = session.request(headers);
        let text = '';
        let status;
        req.setEncoding('utf8');
        req.on('response', (h) => { status = h[':status']; });
        req.on('data', (d) => { text += d; });
        req.on('end', () => resolve({ status, text }));
        req.on('error', reject);
        req.end(body);
      });
      const h = await call({ ':method': 'GET', ':path': '/healthz' });
      assert.equal(h.status, 200);
      assert.deepEqual(JSON.parse(h.text), { status: 'ok' });
      assert.equal(session.alpnProtocol, 'h2');
      const g = await call({ ':method': 'GET', ':path': '/token?identity=h2-user&room=r2', authorization: srv.keyAuth });
      assert.equal(g.status, 200, g.text);
      const token = JSON.parse(g.text).token;
      const v = await call(
        { ':method': 'POST', ':path': `/v1/Accounts/${srv.account.sid}/Tokens/validate`, authorization: srv.accountAuth, 'content-type': 'application/json' },
        JSON.stringify({ token }),
      );
      assert.equal(v.status, 200, v.text);
      const b = JSON.parse(v.text);
      assert.equal(b.valid, true);
      assert.equal(b.identity, 'h2-user');
    } finally {
      session.close();
    }
  });
});
