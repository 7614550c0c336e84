// Red-team pass (December 2026): attacks tried against the server after
// issue 10's fixes that still worked, each replayed here (docs/security.md
// "Red-team pass (December 2026)").
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { basic, BIN, REPO_ROOT, UNDER_VALGRIND, sanitizerReport, startServer } from './lib/server.js';
import { startRecServer, upload, mediaUrl, fetchMedia } from './lib/rec.js';
import { assertError, assertExit0, assertStatus } from './lib/check.js';

const OPEN_MAX = 100; // RG_TUS_OPEN_MAX in src/playback/tus_store.h
const T = { 'Tus-Resumable': '1.0.0' };
const META = 'content_type ' + Buffer.from('audio/ogg').toString('base64');

const create = (s, length, auth = s.accountAuth) =>
  s.request('POST', '/v1/Recordings/Uploads', { auth, headers: { ...T, 'Upload-Length': String(length), 'Upload-Metadata': META } });
const patch = (s, loc, offset, body, auth = s.accountAuth) => s.request('PATCH', loc, {
  auth, body, headers: { ...T, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset) },
});
const uploadDirs = (s) => fs.readdirSync(path.join(s.dataDir, 'uploads'));

describe('tus: unfinished uploads per account are capped', () => {
  let srv;
  let other;
  before(async () => {
    srv = await startRecServer();
    const acct = JSON.parse(srv.cli(['account', 'create']).trim().split('\n').pop());
    other = basic(acct.sid, acct.auth_token);
  });
  after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

  it(`an account holds at most ${OPEN_MAX} unfinished uploads; the next is 403 and creates nothing; other accounts are not affected`, async () => {
    const locs = [];
    for (let i = 0; i < OPEN_MAX; i++) {
      const r = await create(srv, 1 << 30); // each may grow to 1 GiB of disk
      assertStatus(r, 201);
      locs.push(r.headers.get('location'));
    }
    const dirs = uploadDirs(srv).length;
    const r = await create(srv, 10);
    assertError(r, 403, 20403);
    assert.match(r.json.message, /unfinished uploads/);
    assert.equal(uploadDirs(srv).length, dirs, 'the refused creation left no directory');
    // a key of the same account is the same account
    assertError(await create(srv, 10, srv.keyAuth), 403, 20403);
    // another tenant is not locked out by this one
    assertStatus(await create(srv, 10, other), 201);

    // a deleted upload frees its place
    assertStatus(await srv.request('DELETE', locs.pop(), { auth: srv.accountAuth, headers: T }), 204);
    let c = await create(srv, 5);
    assertStatus(c, 201);
    assertError(await create(srv, 5), 403, 20403);
    // so does a completed one (and a completed upload is not counted again)
    const p = await patch(srv, c.headers.get('location'), 0, Buffer.from('12345'));
    assertStatus(p, 204);
    assert.match(p.headers.get('roomgate-recording-sid'), /^RE[0-9a-f]{32}$/);
    c = await create(srv, 0); // complete at creation: takes no place
    assertStatus(c, 201);
    assertStatus(await create(srv, 5), 201);
    assertError(await create(srv, 5), 403, 20403);
  });

  it('the count survives a restart (counted from the upload directories at start)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-redteam-'));
    let s2;
    try {
      srv.proc.kill('SIGTERM');
      assert.equal(await srv.exited, 0);
      fs.cpSync(srv.dataDir, dir, { recursive: true });
      const { account, key } = srv;
      assertExit0(srv, await srv.stop());
      srv = null;
      // the copy, served as it is (startServer's deadline allows for memcheck)
      s2 = await startServer({ dataDir: dir, account, key });
      assertError(await create(s2, 10), 403, 20403);
      assertStatus(await create(s2, 10, other), 201);
    } finally {
      if (s2) assertExit0(s2, await s2.stop());
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('signaling: the per-address connection cap counts IPv6 by /64', () => {
  // Needs a network namespace of its own (root or user namespaces) to put
  // several addresses of one /64 on its loopback; the host is not touched.
  const canUnshare = (() => {
    try {
      execFileSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
      return true;
    } catch { return false; }
  })();
  it('three addresses of one /64 share one budget of --signal-max-conns-per-ip 2: the third gets 429', { skip: canUnshare ? false : 'no network namespaces here (unshare -n)' }, () => {
    const child = path.join(REPO_ROOT, 'tests/api/lib/ipv6_ws_child.js');
    const script = 'ip link set lo up && for a in 1 2 3 4; do ip -6 addr add fd00::$a/64 dev lo nodad || exit 1; done && exec "$0" "$@"';
    const out = execFileSync('unshare', ['-n', 'sh', '-c', script, process.execPath, child, BIN],
      { encoding: 'utf8', env: process.env, timeout: UNDER_VALGRIND ? 180000 : 60000 });
    const r = JSON.parse(out.trim().split('\n').pop());
    assert.equal(r.exit, 0, `server exit: ${r.stderr}`);
    assert.equal(sanitizerReport(r.stderr), '');
    assert.deepEqual(r.statuses, [101, 101, 429]);
  });
});

describe('accept: out of descriptors, the loop does not spin', () => {
  // A flood that holds every descriptor the process may open makes accept
  // fail with EMFILE while the connection stays queued: the listener stays
  // readable and the loop used to poll it at full speed (hundreds of
  // thousands of failed accepts a second).  Now each failure pauses the
  // listener for 100 ms, counted by roomgate_accept_paused_total: the count
  // is bounded by the time the table was held full, whatever the speed of
  // the machine (or valgrind), so the test counts attempts, not CPU time.
  const fdCount = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;
  const pausedTotal = async (srv) => {
    const text = await (await fetch(srv.metricsUrl)).text();
    const m = text.match(/^roomgate_accept_paused_total (\d+)$/m);
    assert.ok(m, 'roomgate_accept_paused_total is exposed');
    return Number(m[1]);
  };

  it('with RLIMIT_NOFILE 64 and 100 idle connections held, accept pauses instead of spinning, then serves again', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-nofile-'));
    const wrapper = path.join(dir, 'roomgate-nofile.sh');
    fs.writeFileSync(wrapper, `#!/bin/sh\nulimit -n 64\nexec "${BIN}" "$@"\n`, { mode: 0o755 });
    const srv = await startServer({ bin: wrapper, threads: 1, args: ['--metrics-listen', '127.0.0.1:0'] });
    const socks = [];
    let stopped = false;
    try {
      assert.equal(await pausedTotal(srv), 0);
      const port = Number(new URL(srv.url).port);
      const base = fdCount(srv.proc.pid);
      const held = Date.now();
      for (let i = 0; i < 100; i++) {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => {});
        socks.push(s);
        await new Promise((resolve) => s.once('connect', resolve));
      }
      // the server holds as many as it can: its table is full.  How many
      // that is depends on what the process holds besides (valgrind keeps
      // its own descriptors inside the same limit, and fewer or more on
      // another machine), so wait until the count has grown and then held
      // still for a second, rather than for a fixed number.
      let deadline = Date.now() + 30000;
      let last = -1;
      let stableSince = Date.now();
      for (;;) {
        const n = fdCount(srv.proc.pid);
        if (n !== last) { last = n; stableSince = Date.now(); }
        if (n >= base + 10 && Date.now() - stableSince >= 1000) break;
        assert.ok(Date.now() < deadline, `descriptors in use: ${n} (${base} before the flood), still moving or too few`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 2000));
      for (const s of socks) s.destroy();
      const heldMs = Date.now() - held;
      // the queued and new clients are served once descriptors are free
      let r;
      deadline = Date.now() + 30000;
      do {
        try { r = await srv.request('GET', '/healthz'); } catch { r = null; }
      } while (!(r && r.status === 200) && Date.now() < deadline);
      assert.equal(r && r.status, 200);
      // at least one failed accept paused the listener (the table was full),
      // and at most one per 100 ms pause while it was (+ slack for the
      // moments before the count was read)
      const paused = await pausedTotal(srv);
      assert.ok(paused >= 1, 'accept failed for want of descriptors at least once');
      const bound = Math.ceil((Date.now() - held) / 100) + 2;
      assert.ok(paused <= bound, `${paused} accept pauses in ${heldMs} ms held (at most ${bound}): the loop spins`);
      stopped = true;
      assertExit0(srv, await srv.stop());
    } finally {
      for (const s of socks) s.destroy();
      if (!stopped) await srv.stop().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('media links: one spelling per link', () => {
  it('exp with a leading zero (same value, other spelling) is refused; the link as signed plays', async () => {
    const srv = await startRecServer();
    try {
      const up = await upload(srv, Buffer.from('red-team media link'), { query: { allowed_identities: 'alice' } });
      assertStatus(up, 201);
      const url = new URL(await mediaUrl(srv, up.json.sid));
      const alias = new URL(url);
      alias.searchParams.set('exp', '0' + url.searchParams.get('exp'));
      const r = await fetchMedia(alias.href);
      assert.equal(r.status, 403);
      const ok = await fetchMedia(url.href);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.toString(), 'red-team media link');
    } finally {
      assertExit0(srv, await srv.stop());
    }
  });
});
