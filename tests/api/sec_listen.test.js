// Issue 17 item 1: one server per address.  A second `roomgate serve` on
// an address another process already listens on must refuse to start
// (clear message, non-zero exit) before it touches anything, and the first
// must go on answering alone.  The event loops of one server share a single
// listening socket (docs/security.md "One server per address").
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServer, rawRequest, BIN, STARTUP_MS, sanitizerReport } from './lib/server.js';
import { join, tok } from './lib/signal.js';

const dirs = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

/** A port nobody listens on right now (the kernel's pick, released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Runs `serve` to its end (it is expected to refuse); resolves {status, signal, stdout, stderr}. */
function serveOnce(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, ['serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), STARTUP_MS);
    p.on('error', reject);
    p.on('close', (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr }); });
  });
}

function assertRefused(r, addr) {
  assert.equal(sanitizerReport(r.stderr), '', r.stderr);
  assert.equal(r.signal, null, `killed by ${r.signal}: it served instead of refusing; stdout ${r.stdout}`);
  assert.equal(r.status, 1, `exit status; stderr: ${r.stderr}`);
  assert.doesNotMatch(r.stdout, /listening on/, 'never announced');
  assert.match(r.stderr, new RegExp(`cannot listen on ${addr.replace(/[.[\]]/g, '\\$&')}: another process is already listening there`));
}

async function healthy(srv, n) {
  const all = await Promise.all(Array.from({ length: n }, () => srv.request('GET', '/healthz')));
  for (const r of all) assert.equal(r.status, 200, r.text);
}

describe('one server per address', () => {
  it('a second serve on the same address exits 1 with a clear message; the first keeps serving alone', async () => {
    const port = await freePort();
    const first = await startServer({ threads: 2, args: ['--listen', `127.0.0.1:${port}`, '--access-log', 'off'] });
    assert.equal(first.port, port);
    // a live participant: a second server on the same data dir would reset it at start
    const a = await join(first, tok(first, 'alice', 'still-here'));
    assert.equal(a.joined.type, 'joined', JSON.stringify(a.joined));

    const same = await serveOnce(['--listen', `127.0.0.1:${port}`, '--data', first.dataDir, '--threads', '2']);
    assertRefused(same, `127.0.0.1:${port}`);
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-listen-'));
    dirs.push(other);
    const fresh = await serveOnce(['--listen', `127.0.0.1:${port}`, '--data', other, '--threads', '1']);
    assertRefused(fresh, `127.0.0.1:${port}`);
    // the refused one never opened the data dir it was given
    assert.deepEqual(fs.readdirSync(other), []);

    await healthy(first, 40);
    const list = await first.request('GET', '/v1/Rooms/still-here/Participants?Status=connected', { auth: first.keyAuth });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.participants.map((p) => p.identity), ['alice']);
    await a.c.close();
    await first.stop();

    // the address is free again at once (connections in TIME_WAIT do not hold it)
    const again = await startServer({ threads: 2, args: ['--listen', `127.0.0.1:${port}`, '--access-log', 'off'] });
    assert.equal(again.port, port);
    await healthy(again, 10);
    await again.stop();
  });

  it('a port some other program holds is refused the same way', async () => {
    const holder = net.createServer();
    await new Promise((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address();
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-listen-'));
    dirs.push(d);
    try {
      assertRefused(await serveOnce(['--listen', `127.0.0.1:${port}`, '--data', d]), `127.0.0.1:${port}`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('port 0 and several loops: each loop accepts from the one socket', async () => {
    for (const threads of [1, 2, 4]) {
      const srv = await startServer({ threads, args: ['--access-log', 'off'] });
      assert.ok(srv.port > 0);
      await healthy(srv, 50);
      // 100 fresh connections at once (rawRequest opens one per request):
      // every loop is woken for each, one accepts, the others must find
      // nothing and go on (not block)
      const fresh = await Promise.all(Array.from({ length: 100 }, () => rawRequest(srv.url, 'GET', '/healthz')));
      for (const r of fresh) assert.equal(r.status, 200, r.text);
      await healthy(srv, 10); // and the pooled connections still answer
      // WebSockets too, spread over the loops
      const peers = await Promise.all(['p1', 'p2', 'p3', 'p4'].map((id) => join(srv, tok(srv, id, `loops-${threads}`))));
      for (const p of peers) assert.equal(p.joined.type, 'joined', JSON.stringify(p.joined));
      await Promise.all(peers.map((p) => p.c.close()));
      await srv.stop();
    }
  });
});
