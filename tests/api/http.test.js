// HTTP-level behaviour: routing errors, body limits, parameter errors,
// keep-alive, graceful shutdown (docs/api.md "Conventions" and "CLI").
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startServer, rawRequest, waitFor, UNDER_VALGRIND } from './lib/server.js';
import { assertError, assertStatus, assertJsonContentType, assertValid, validate, assertExit0 } from './lib/check.js';
import { decode } from './lib/jwt.js';

let srv;
const keysPath = () => `/2010-04-01/Accounts/${srv.account.sid}/Keys.json`;

before(async () => { srv = await startServer(); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/**
 * Send a POST with `total` bytes of body over a raw socket, in 64 KiB pieces
 * (chunked transfer coding when `chunked`), stopping as soon as the server
 * starts answering (a server may reply 413 before reading everything).
 * Resolves {status, headers, text, json} parsed from the raw response.
 */
function sendLargeBody(port, p, { total, auth, contentType = 'application/json', chunked = false }) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let raw = Buffer.alloc(0);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const text = raw.toString('latin1');
      // skip interim 1xx responses
      const responses = text.split(/(?=HTTP\/1\.[01] \d{3} )/).filter((r) => !/^HTTP\/1\.[01] 1\d\d /.test(r));
      const r = responses[0] || '';
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(r);
      if (!m) return reject(new Error(`no HTTP response; got ${JSON.stringify(text.slice(0, 200))}`));
      const [head, ...rest] = r.split('\r\n\r\n');
      const headers = {};
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let body = rest.join('\r\n\r\n');
      if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
      body = Buffer.from(body, 'latin1').toString('utf8');
      let json;
      try { json = JSON.parse(body); } catch { /* not JSON */ }
      resolve({ status: Number(m[1]), headers, text: body, json });
    };
    const timer = setTimeout(finish, UNDER_VALGRIND ? 120000 : 20000); // a deadline, not a measure: memcheck is slow
    sock.on('data', (d) => {
      raw = Buffer.concat([raw, d]);
      const t = raw.toString('latin1');
      // a complete final (non-1xx) response: headers plus Content-Length bytes
      const i = t.search(/HTTP\/1\.[01] [2-5]\d\d /);
      if (i >= 0) {
        const end = t.indexOf('\r\n\r\n', i);
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(t.slice(i, end + 2));
        if (end >= 0 && cl && raw.length >= Buffer.byteLength(t.slice(0, end + 4), 'latin1') + Number(cl[1])) finish();
      }
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', () => { /* EPIPE/ECONNRESET after the answer: finish() on close */ });
    sock.on('connect', () => {
      const head = [`POST ${p} HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: ${auth}`, `Content-Type: ${contentType}`,
        chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${total}`, '', ''].join('\r\n');
      sock.write(head);
      const piece = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      // one piece per turn, so an early answer is read before we write on
      const pump = () => {
        if (done || raw.length > 0 || sock.destroyed) return;
        if (sent >= total) {
          if (chunked) sock.write('0\r\n\r\n');
          return;
        }
        const n = Math.min(piece.length, total - sent);
        sent += n;
        const data = n === piece.length ? piece : piece.subarray(0, n);
        const ok = chunked ? sock.write(Buffer.concat([Buffer.from(n.toString(16) + '\r\n'), data, Buffer.from('\r\n')])) : sock.write(data);
        if (ok) setTimeout(pump, 1);
        else sock.once('drain', () => setTimeout(pump, 1));
      };
      // give the server a moment to answer from the headers alone
      setTimeout(pump, 100);
    });
  });
}

describe('routing errors', () => {
  it('unknown route -> 404 JSON 20404', async () => {
    assertError(await srv.request('GET', '/no/such/route'), 404, 20404);
    assertError(await srv.request('POST', '/nope', { auth: srv.accountAuth, form: { a: 'b' } }), 404, 20404);
    assertError(await srv.request('GET', `/2010-04-01/Accounts/${srv.account.sid}/Unknown.json`, { auth: srv.accountAuth }), 404, 20404);
  });

  it('wrong method on a known path -> 405 20004 with Allow', async () => {
    const cases = [
      ['PUT', keysPath(), ['GET', 'POST']],
      ['DELETE', keysPath(), ['GET', 'POST']],
      ['DELETE', '/healthz', ['GET']],
      ['POST', '/healthz', ['GET']],
      ['GET', '/v1/AccessTokens', ['POST']],
      ['POST', '/token', ['GET']],
      ['DELETE', '/get-token', ['GET']],
      ['GET', `/v1/Accounts/${srv.account.sid}/Tokens/validate`, ['POST']],
      ['PUT', `/2010-04-01/Accounts/${srv.account.sid}/Keys/${srv.key.sid}.json`, ['GET', 'POST', 'DELETE']],
    ];
    for (const [method, p, allowed] of cases) {
      const res = await srv.request(method, p, { auth: srv.accountAuth });
      assertError(res, 405, 20004);
      const allow = (res.headers.get('allow') || '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
      for (const m of allowed) assert.ok(allow.includes(m), `${method} ${p}: Allow "${res.headers.get('allow')}" should include ${m}`);
      assert.ok(!allow.includes(method), `${method} ${p}: Allow must not include ${method}`);
    }
  });

  it('/healthz -> 200 {"status":"ok"} as JSON', async () => {
    const res = await srv.request('GET', '/healthz');
    assertStatus(res, 200);
    assertJsonContentType(res);
    assert.match(res.headers.get('content-type'), /charset=utf-8/i);
    assert.deepEqual(res.json, { status: 'ok' });
  });
});

describe('body limits', () => {
  // The 413 comes from libh2o before any handler runs, as plain text
  // (docs/api.md, "Conventions"); the status is the contract.
  it('3 MB body (Content-Length) -> 413', async () => {
    const res = await sendLargeBody(srv.port, keysPath(), { total: 3 * 1024 * 1024, auth: srv.accountAuth });
    assert.equal(res.status, 413, `got ${res.status} ${res.text.slice(0, 200)}`);
    assert.match(res.text, /too large/i);
  });

  it('just under 2 MiB is not rejected as too large', async () => {
    const res = await sendLargeBody(srv.port, '/v1/AccessTokens', { total: 2 * 1024 * 1024 - 64, auth: srv.keyAuth });
    assert.notEqual(res.status, 413, `got ${res.status} ${res.text.slice(0, 200)}`);
    assertError({ ...res, headers: new Headers(res.headers) }, 400, 21601);
  });

  it('3 MB chunked body -> 413', async () => {
    const res = await sendLargeBody(srv.port, '/v1/AccessTokens', { total: 3 * 1024 * 1024, auth: srv.accountAuth, chunked: true });
    assert.equal(res.status, 413, `got ${res.status} ${res.text.slice(0, 200)}`);
    assert.match(res.text, /too large/i);
  });

  it('server still healthy after oversize bodies', async () => {
    assertStatus(await srv.request('GET', '/healthz'), 200);
  });

  it('--max-body is honoured', async () => {
    const small = await startServer({ args: ['--max-body', '1024'] });
    try {
      const pad = 'p'.repeat(600);
      const ok = await small.request('POST', '/v1/AccessTokens', { auth: small.keyAuth, json: { identity: 'ok', room: pad.slice(0, 200) } });
      assertStatus(ok, 200);
      const big = await small.request('POST', '/v1/AccessTokens', { auth: small.keyAuth, json: { identity: 'x', room: pad, pad: pad + pad } });
      assertStatus(big, 413);
    } finally {
      assertExit0(small, await small.stop());
    }
  });
});

describe('parameter errors', () => {
  it('malformed JSON body -> 400 21601', async () => {
    const bodies = ['{"identity": ', '{identity: "x"}', 'not json', '{"identity":"a"} trailing', '[1,2'];
    for (const body of bodies) {
      const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, headers: { 'Content-Type': 'application/json' }, body });
      assertError(res, 400, 21601);
    }
    const k = await srv.request('POST', keysPath(), { auth: srv.accountAuth, headers: { 'Content-Type': 'application/json' }, body: '{"FriendlyName":' });
    assertError(k, 400, 21601);
    const v = await srv.request('POST', `/v1/Accounts/${srv.account.sid}/Tokens/validate`, { auth: srv.accountAuth, headers: { 'Content-Type': 'application/json' }, body: '{"token":' });
    assertError(v, 400, 21601);
  });

  it('JSON body that is not an object -> 400', async () => {
    for (const body of ['[]', '"identity"', '42', 'null']) {
      const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, headers: { 'Content-Type': 'application/json' }, body });
      assert.equal(res.status, 400, `${body}: ${res.status} ${res.text}`);
      assert.ok([21601, 21602].includes(res.json?.code), `${body}: code ${res.json?.code}`);
    }
  });

  it('missing required param -> 400 21602 naming it (JSON, form, query)', async () => {
    assertError(await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: {} }), 400, 21602, { param: 'identity' });
    assertError(await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { room: 'r' } }), 400, 21602, { param: 'identity' });
    assertError(await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, form: { room: 'r' } }), 400, 21602, { param: 'identity' });
    assertError(await srv.request('GET', '/token', { auth: srv.keyAuth, query: { room: 'r' } }), 400, 21602, { param: 'identity' });
  });

  it('bad ttl (0, 86401, "abc", -5, 1.5) -> 400 21603 naming ttl', async () => {
    for (const ttl of [0, 86401, 'abc', -5, '1.5']) {
      const j = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'a', ttl } });
      assertError(j, 400, 21603, { param: 'ttl' });
      const f = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, form: { identity: 'a', ttl: String(ttl) } });
      assertError(f, 400, 21603, { param: 'ttl' });
    }
    for (const ttl of ['0', '86401', 'abc']) {
      assertError(await srv.request('GET', '/token', { auth: srv.keyAuth, query: { identity: 'a', room: 'r', ttl } }), 400, 21603, { param: 'ttl' });
      assertError(await srv.request('GET', '/get-token', { auth: srv.keyAuth, query: { ttl } }), 400, 21603, { param: 'ttl' });
    }
  });

  it('identity limits: 256 bytes ok, 257 bytes / control chars -> 400 21603', async () => {
    const ok = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'i'.repeat(256) } });
    assertStatus(ok, 200);
    assert.equal(ok.json.identity, 'i'.repeat(256));
    assertError(await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'i'.repeat(257) } }), 400, 21603, { param: 'identity' });
    // 129 two-byte characters = 258 bytes
    assertError(await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'é'.repeat(129) } }), 400, 21603, { param: 'identity' });
    assertError(await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'a\nb' } }), 400, 21603, { param: 'identity' });
    assertError(await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'ok', room: 'r'.repeat(257) } }), 400, 21603, { param: 'room' });
  });

  it('identity with an escaped NUL (valid JSON) -> 400 21603, not 21601', async () => {
    const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, headers: { 'Content-Type': 'application/json' }, body: '{"identity":"a\\u0000b"}' });
    assertError(res, 400, 21603, { param: 'identity' });
  });

  it('empty identity -> 400 (missing or bad value)', async () => {
    const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: '' } });
    assert.equal(res.status, 400, res.text);
    assert.ok([21602, 21603].includes(res.json?.code), `code ${res.json?.code}`);
    assert.ok(res.json.message.includes('identity'));
  });

  it('identity as a JSON array or object -> 400 21603', async () => {
    for (const identity of [['a'], { a: 1 }]) {
      const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity } });
      assertError(res, 400, 21603, { param: 'identity' });
    }
  });

  it('invalid UTF-8 in a form identity -> 400', async () => {
    const res = await srv.request('POST', '/v1/AccessTokens', {
      auth: srv.keyAuth,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'identity=%FF%FEbad',
    });
    assert.equal(res.status, 400, res.text);
    assert.ok([21601, 21603].includes(res.json?.code), `code ${res.json?.code}`);
  });
});

describe('connections', () => {
  it('HTTP keep-alive: several requests on one connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ports = new Set();
      const results = [];
      for (let i = 0; i < 6; i++) {
        const p = i % 2 === 0 ? '/healthz' : keysPath();
        const res = await rawRequest(srv.url, 'GET', p, { agent, headers: { Authorization: srv.accountAuth } });
        assertStatus(res, 200);
        ports.add(res.socket.localPort);
        results.push(res.reused);
      }
      assert.equal(ports.size, 1, `all requests should share one socket, saw local ports ${[...ports]}`);
      assert.deepEqual(results, [false, true, true, true, true, true]);
      // a POST with a body on the same connection, then a GET again
      const body = JSON.stringify({ identity: 'ka' });
      const post = await rawRequest(srv.url, 'POST', '/v1/AccessTokens', {
        agent,
        body,
        headers: { Authorization: srv.keyAuth, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      });
      assertStatus(post, 200);
      assert.equal(post.reused, true);
      const after = await rawRequest(srv.url, 'GET', '/healthz', { agent });
      assertStatus(after, 200);
      assert.equal(after.reused, true);
    } finally {
      agent.destroy();
    }
  });

  it('pipelined requests on one socket are answered in order', async () => {
    const sock = net.connect(srv.port, '127.0.0.1');
    await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
    let data = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => { data += d; });
    const reqs = ['/healthz', '/nope', '/healthz'].map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    sock.write(reqs);
    const deadline = Date.now() + 5000;
    while ((data.match(/HTTP\/1\.1 \d{3}/g) || []).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    sock.destroy();
    const statuses = (data.match(/HTTP\/1\.1 (\d{3})/g) || []).map((s) => s.slice(9));
    assert.deepEqual(statuses, ['200', '404', '200']);
  });
});

describe('graceful shutdown', () => {
  it('idle server with an idle keep-alive connection: SIGTERM -> the server closes it, exit code 0, then connections are refused', async () => {
    const s = await startServer();
    const agent = new http.Agent({ keepAlive: true });
    const res = await rawRequest(s.url, 'GET', '/healthz', { agent });
    assertStatus(res, 200);
    const serverClosed = new Promise((r) => res.socket.once('close', r));
    const code = await s.stop();
    await serverClosed; // closed by the server: the client never closed it
    agent.destroy();
    assertExit0(s, code);
    // closed as idle, not left to the end of --drain-grace
    assert.doesNotMatch(s.stderr(), /still open after --drain-grace/);
    // how long the exit takes is measured by bench/timing.mjs, not asserted here
    await assert.rejects(fetch(s.url + '/healthz'), 'port closed after exit');
  });

  it('a request sent just before SIGTERM is answered, then exit code 0', async () => {
    const s = await startServer();
    const sock = net.connect(s.port, '127.0.0.1');
    await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
    let data = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => { data += d; });
    sock.on('error', () => {});
    const closed = new Promise((r) => sock.on('close', r));
    // One full exchange first, so the connection is surely accepted by a
    // loop (a connection still in the listen backlog is not "in flight").
    sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let i = 0; i < 100 && !data.includes('{"status":"ok"}'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(data.includes('{"status":"ok"}'), `first response: ${JSON.stringify(data)}`);
    data = '';
    const body = JSON.stringify({ identity: 'last-one' });
    sock.write(`POST /v1/AccessTokens HTTP/1.1\r\nHost: x\r\nAuthorization: ${s.keyAuth}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const code = await s.stop();
    await closed; // the process has exited: its end of the connection is gone
    sock.destroy();
    assert.match(data, /^HTTP\/1\.1 200 /, `response: ${JSON.stringify(data.slice(0, 200))}`);
    assert.ok(data.includes('"identity":"last-one"'));
    assertExit0(s, code);
  });

  it('a request in flight at SIGTERM (body still arriving) completes, then exit code 0', async () => {
    const s = await startServer();
    const sock = net.connect(s.port, '127.0.0.1');
    await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
    let data = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => { data += d; });
    sock.on('error', () => {});
    const closed = new Promise((r) => sock.on('close', r));
    const body = JSON.stringify({ identity: 'inflight', room: 'drain' });
    const half = Math.floor(body.length / 2);
    // Expect: 100-continue: the server's "100 Continue" says it has parsed the
    // headers and the request is in progress (not an idle connection)
    sock.write(`POST /v1/AccessTokens HTTP/1.1\r\nHost: x\r\nAuthorization: ${s.keyAuth}\r\nContent-Type: application/json\r\n`
      + `Expect: 100-continue\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
    await waitFor(() => data.startsWith('HTTP/1.1 100 Continue\r\n\r\n'), 'the 100 Continue');
    sock.write(body.slice(0, half));
    // a request that began well before the drain (h2o times a request from
    // when its connection began to wait for it): closing idle connections
    // must not cut it off
    await new Promise((r) => setTimeout(r, 1500));
    const stopP = s.stop();
    // every loop has acted on SIGTERM once none accepts a new connection
    // (each closes its own listener): only then does the rest of the body go
    await waitFor(() => new Promise((resolve) => {
      const probe = net.connect(s.port, '127.0.0.1');
      probe.once('connect', () => { probe.destroy(); resolve(false); });
      probe.once('error', (e) => resolve(e.code === 'ECONNREFUSED'));
    }), 'the listeners to close');
    sock.write(body.slice(half));
    try {
      await closed;
    } finally {
      sock.destroy();
      await stopP.catch(() => {}); // asserted below; the data dir is removed either way
    }
    const res = data.slice('HTTP/1.1 100 Continue\r\n\r\n'.length);
    assert.match(res, /^HTTP\/1\.1 200 /, `in-flight request: ${JSON.stringify(res.slice(0, 300))}`);
    const tok = JSON.parse(res.slice(res.indexOf('{'), res.lastIndexOf('}') + 1));
    assert.equal(tok.identity, 'inflight');
    assert.equal(decode(tok.token).payload.grants.video.room, 'drain');
    assertExit0(s, await stopP);
  });

  it('SIGINT also exits 0', async () => {
    const s = await startServer();
    assertStatus(await s.request('GET', '/healthz'), 200);
    s.proc.kill('SIGINT');
    const code = await s.exited;
    await s.stop();
    assertExit0(s, code);
  });
});

describe('sanity', () => {
  it('tokens minted here validate here', async () => {
    const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'sane' } });
    assertStatus(res, 200);
    assertValid(await validate(srv, res.json.token), { identity: 'sane' });
  });
});
