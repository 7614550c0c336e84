// Issue 10 item 10: the Host header.  Without --public-url, /sec_rec
// builds media_url from the Host, so a foreign Host is refused (400) and
// nothing is written; loopback, the --listen address and --allowed-hosts
// are used; --public-url always wins.  With --demo, the anonymous demo
// routes answer loopback Host names only (DNS rebinding), parsed exactly:
// localhost.attacker.example or 127.0.0.1.nip.io are not loopback.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, rawRequest, cliJson, BIN } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { startRecServer, upload, tokenFor, tokenAuth } from './lib/rec.js';

const FOREIGN = ['attacker.example', 'localhost.attacker.example', '127.0.0.1.nip.io', 'localhost.', '127.1', '10.0.0.1'];

/** A request with this exact Host header (node:http keeps what we set). */
function withHost(srv, method, p, host, headers = {}) {
  return rawRequest(srv.url, method, p, { headers: { ...headers, Host: host } });
}

function assertRefused(res, status, code, what) {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.json?.code, code, `${what}: ${res.text}`);
  assert.equal(res.json?.status, status, `${what}: ${res.text}`);
  assert.equal(typeof res.json?.message, 'string');
}

/** An HTTP/1.0 request without any Host header, on a raw socket. */
function noHost(srv, p, headers = {}) {
  const u = new URL(srv.url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname, () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      s.write(`GET ${p} HTTP/1.0\r\n${extra}\r\n`);
    });
    let buf = '';
    s.on('data', (d) => { buf += d; });
    s.on('end', () => resolve(Number(/^HTTP\/1\.\d (\d{3})/.exec(buf)?.[1])));
    s.on('error', reject);
  });
}

describe('/sec_rec without --public-url', () => {
  let srv, rec, jwt;
  before(async () => {
    srv = await startRecServer({ args: ['--allowed-hosts', 'media.example.com, app.example.org:8443'] });
    const up = await upload(srv, Buffer.from('bytes'), { query: { AllowedIdentities: 'alice' } });
    assert.equal(up.status, 201, up.text);
    rec = up.json;
    jwt = await tokenFor(srv, 'alice');
  });
  after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

  const secRec = (host) => withHost(srv, 'GET', `/sec_rec?recording_sid=${rec.sid}`, host, { Authorization: tokenAuth(jwt) });
  async function auditRows() {
    const r = await srv.request('GET', `/v1/Recordings/${rec.sid}/AccessLog`, { auth: srv.accountAuth, query: { PageSize: 1000 } });
    assert.equal(r.status, 200, r.text);
    return r.json.access_log.length;
  }

  it('refuses a Host that is not loopback, the listen address or allowed (400), writing nothing', async () => {
    const before = await auditRows();
    const hosts = [...FOREIGN, `attacker.example:${srv.port}`, 'app.example.org:9000', 'app.example.org',
      'media.example.com.attacker.example', 'media.example.com@attacker.example'];
    for (const host of hosts) {
      const res = await secRec(host);
      assertRefused(res, 400, 21603, `Host ${JSON.stringify(host)}`);
      assert.match(res.json.message, /Host/);
      assert.equal(res.text.includes('/media/'), false, 'no link');
    }
    assert.equal(await noHost(srv, `/sec_rec?recording_sid=${rec.sid}`, { Authorization: tokenAuth(jwt) }), 400);
    assert.equal(await auditRows(), before, 'no audit row for a refused Host');
  });

  it('builds the link from a loopback Host, the listen address, or an allowed host', async () => {
    const ok = [
      [`127.0.0.1:${srv.port}`, `http://127.0.0.1:${srv.port}`],
      [`localhost:${srv.port}`, `http://localhost:${srv.port}`],
      [`LocalHost:${srv.port}`, `http://LocalHost:${srv.port}`],
      [`[::1]:${srv.port}`, `http://[::1]:${srv.port}`],
      ['media.example.com', 'http://media.example.com'],
      ['media.example.com:4443', 'http://media.example.com:4443'],
      ['app.example.org:8443', 'http://app.example.org:8443'],
    ];
    for (const [host, origin] of ok) {
      const res = await secRec(host);
      assert.equal(res.status, 200, `Host ${host}: ${res.text}`);
      assert.equal(new URL(res.json.media_url).origin, new URL(origin).origin, `Host ${host}`);
    }
  });
});

describe('/sec_rec with --public-url', () => {
  let srv, rec, jwt;
  before(async () => {
    srv = await startRecServer({ args: ['--public-url', 'https://media.example.net/base/'] });
    const up = await upload(srv, Buffer.from('bytes'), { query: { AllowedIdentities: 'alice' } });
    rec = up.json;
    jwt = await tokenFor(srv, 'alice');
  });
  after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

  it('always uses --public-url, whatever the Host', async () => {
    for (const host of ['attacker.example', `127.0.0.1:${srv.port}`]) {
      const res = await withHost(srv, 'GET', `/sec_rec?recording_sid=${rec.sid}`, host, { Authorization: tokenAuth(jwt) });
      assert.equal(res.status, 200, res.text);
      assert.ok(res.json.media_url.startsWith(`https://media.example.net/base/media/${rec.sid}?`), res.json.media_url);
    }
  });
});

describe('--allowed-hosts', () => {
  it('refuses a list entry that is not a host or host:port', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-hosts-'));
    try {
      for (const bad of ['https://a.example', 'a.example:99999', 'a.example,,b.example', '']) {
        let err;
        try {
          execFileSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--allowed-hosts', bad, '--data', dir], { stdio: 'pipe', timeout: 20000 });
        } catch (e) { err = e; }
        assert.ok(err, `--allowed-hosts ${JSON.stringify(bad)} must be refused`);
        assert.equal(err.status, 2, `${bad}: exit ${err.status}`);
        assert.match(String(err.stderr), /recording option|allowed-hosts/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('serve --demo', () => {
  let srv;
  before(async () => {
    srv = await startServer({ args: ['--demo'], beforeServe: (cli) => cliJson(cli(['demo', 'init'])) });
  });
  after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

  const routes = ['/token?identity=visitor&room=demo-room', '/get-token?permissions=allow_join&participantId=guest',
    '/demo-api/recordings', '/demo/', '/demo/index.html'];

  it('refuses every anonymous demo route to a foreign Host (403)', async () => {
    for (const p of routes) {
      for (const host of [...FOREIGN, `attacker.example:${srv.port}`, `127.0.0.1.nip.io:${srv.port}`, `localhost.attacker.example:${srv.port}`]) {
        const res = await withHost(srv, 'GET', p, host);
        assertRefused(res, 403, 20403, `${p} with Host ${host}`);
        assert.equal(/eyJ/.test(res.text), false, 'no token');
      }
      assert.equal(await noHost(srv, p), 403, `${p} without a Host`);
    }
  });

  it('answers them for a loopback Host', async () => {
    for (const p of routes) {
      for (const host of [`localhost:${srv.port}`, `127.0.0.1:${srv.port}`, `[::1]:${srv.port}`, 'localhost']) {
        const res = await withHost(srv, 'GET', p, host);
        assert.equal(res.status, 200, `${p} with Host ${host}: ${res.status} ${res.text.slice(0, 200)}`);
      }
    }
    const t = await withHost(srv, 'GET', routes[0], `localhost:${srv.port}`);
    assert.match(t.json.token, /^eyJ/);
  });

  it('still serves callers with credentials under any Host (not a demo route then)', async () => {
    const res = await withHost(srv, 'GET', '/token?identity=alice&room=r', 'api.example.com', { Authorization: srv.keyAuth });
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.token, /^eyJ/);
  });
});
