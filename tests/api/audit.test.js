// The audit log: hash chain, `roomgate audit verify|export`, the AccessLog
// route, and durability (kill -9 during a burst of /sec_rec).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { cliJson, runCli, startServer, waitCredentials } from './lib/server.js';
import { assertError, assertStatus, assertExit0 } from './lib/check.js';
import { startRecServer, upload, tokenFor, tokenAuth, secRec, fetchMedia, sqlite } from './lib/rec.js';

let srv, rec;

function cliLines(out) {
  return out.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function verify(dataDir) {
  try {
    return { code: 0, out: JSON.parse(runCli(dataDir, ['audit', 'verify'])) };
  } catch (e) {
    return { code: e.status, out: JSON.parse(e.stdout) };
  }
}

before(async () => {
  srv = await startRecServer();
  const up = await upload(srv, Buffer.from('audited'), { query: { AllowedIdentities: 'alice' } });
  assertStatus(up, 201);
  rec = up.json;
  const ok = await secRec(srv, rec.sid, await tokenFor(srv, 'alice'));
  await fetchMedia(ok.json.media_url);
  await secRec(srv, rec.sid, await tokenFor(srv, 'mallory'));
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

describe('chain', () => {
  it('rows link to each other; verify is ok', async () => {
    const log = (await srv.request('GET', `/v1/Recordings/${rec.sid}/AccessLog`, { auth: srv.accountAuth })).json.access_log;
    assert.deepEqual(log.map((r) => `${r.action}:${r.outcome}`), ['create:created', 'sec_rec:granted', 'media:served', 'sec_rec:refused']);
    for (let i = 1; i < log.length; i++) assert.equal(log[i].prev_hash, log[i - 1].hash);
    assert.equal(log[0].prev_hash, '0'.repeat(64));
    const v = verify(srv.dataDir);
    assert.equal(v.code, 0);
    assert.deepEqual(v.out, { ok: true, rows: log.length });
  });

  it('export prints JSON lines; --since filters; a bad --since is a usage error', () => {
    const all = cliLines(srv.cli(['audit', 'export']));
    assert.ok(all.length >= 4);
    assert.deepEqual(Object.keys(all[0]).sort(), ['account_sid', 'action', 'client_ip', 'date', 'hash', 'identity', 'outcome',
      'prev_hash', 'realm_user_id', 'reason', 'recording_sid', 'roles', 'seq', 'user_agent'].sort());
    assert.deepEqual(cliLines(srv.cli(['audit', 'export', '--since', '2999-01-01T00:00:00Z'])), []);
    assert.equal(cliLines(srv.cli(['audit', 'export', '--since', '2000-01-01T00:00:00Z'])).length, all.length);
    assert.throws(() => srv.cli(['audit', 'export', '--since', 'yesterday']), (e) => e.status === 2);
  });

  it('the table is append-only for SQL clients, and an edit made anyway is found', async () => {
    assert.throws(() => sqlite(srv.dataDir, "UPDATE audit_log SET identity = 'eve' WHERE seq = 2"), /append-only/);
    const log = (await srv.request('GET', `/v1/Recordings/${rec.sid}/AccessLog`, { auth: srv.accountAuth })).json.access_log;
    const target = log.find((r) => r.outcome === 'refused');
    sqlite(srv.dataDir, `DROP TRIGGER audit_no_update; UPDATE audit_log SET outcome = 'granted' WHERE seq = ${target.seq}`);
    const v = verify(srv.dataDir);
    assert.equal(v.code, 1);
    assert.equal(v.out.ok, false);
    assert.equal(v.out.seq, target.seq);
    assert.match(v.out.reason, /edited/);
  });

  it('a deleted row breaks the link at the next one', async () => {
    const s = await startRecServer();
    try {
      const up = await upload(s, Buffer.from('x'), { query: { AllowedIdentities: 'alice' } });
      for (let i = 0; i < 3; i++) await secRec(s, up.json.sid, await tokenFor(s, 'alice'));
      sqlite(s.dataDir, 'DROP TRIGGER audit_no_delete; DELETE FROM audit_log WHERE seq = 2');
      const v = verify(s.dataDir);
      assert.equal(v.code, 1);
      assert.equal(v.out.seq, 3);
    } finally {
      assertExit0(s, await s.stop());
    }
  });
});

describe('AccessLog route', () => {
  it('is paged, needs auth, and is another account\'s 404', async () => {
    const p = await srv.request('GET', `/v1/Recordings/${rec.sid}/AccessLog`, { auth: srv.keyAuth, query: { PageSize: 2 } });
    assertStatus(p, 200);
    assert.equal(p.json.access_log.length, 2);
    assert.ok(p.json.meta.next_page_url.includes('Page=1'));
    assertError(await srv.request('GET', `/v1/Recordings/${rec.sid}/AccessLog`), 401, 20003);
    const other = cliJson(srv.cli(['account', 'create']));
    await waitCredentials(srv, other.sid, other.auth_token); // the server polls the store every 100 ms
    const o = await srv.request('GET', `/v1/Recordings/${rec.sid}/AccessLog`, { auth: 'Basic ' + Buffer.from(`${other.sid}:${other.auth_token}`).toString('base64') });
    assertError(o, 404, 20404);
  });
});

/** One GET /sec_rec over a fresh connection; resolves {status, ua} or {error, ua}. */
function rawSecRec(port, sid, jwt, ua) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/sec_rec?recording_sid=${sid}`, agent: false,
      headers: { Authorization: tokenAuth(jwt), 'User-Agent': ua } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, ua }));
      res.on('error', (e) => resolve({ error: e, ua }));
    });
    req.on('error', (e) => resolve({ error: e, ua }));
    req.end();
  });
}

describe('durability', () => {
  it('kill -9 during a burst: every 200 has its audit row after a restart', async () => {
    // a burst far over the per-address playback limit (sec_ratelimit.test.js tests that)
    const s = await startRecServer({ args: ['--playback-rate', '0'] });
    const up = await upload(s, Buffer.from('burst'), { query: { AllowedIdentities: 'alice' } });
    const jwt = await tokenFor(s, 'alice');
    const results = [];
    let killed = false;
    const N = 600, CONC = 24;
    let next = 0;
    const worker = async () => {
      while (next < N && !killed) {
        const i = next++;
        const r = await rawSecRec(s.port, up.json.sid, jwt, `burst-${i}`);
        results.push(r);
        if (!killed && results.filter((x) => x.status === 200).length >= 150) {
          killed = true;
          s.proc.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: CONC }, worker));
    // the kill is the point: stop() checks that it was what ended the process
    // (and that stderr holds no sanitizer report), and keeps the data dir
    await s.stop({ expect: 'SIGKILL', keepData: true });
    const ok = results.filter((r) => r.status === 200).map((r) => r.ua);
    assert.ok(ok.length >= 150, `only ${ok.length} answers before the kill`);
    // restart on the same data directory, read the log through the API
    const r2 = await startServer({ dataDir: s.dataDir, account: s.account, key: s.key, args: ['--access-log', 'off'] });
    try {
      const rows = [];
      for (let page = 0; ; page++) {
        const res = await r2.request('GET', `/v1/Recordings/${up.json.sid}/AccessLog`, { auth: s.accountAuth, query: { PageSize: 1000, Page: page } });
        assertStatus(res, 200);
        rows.push(...res.json.access_log);
        if (!res.json.meta.next_page_url) break;
      }
      const logged = new Set(rows.filter((r) => r.action === 'sec_rec' && r.outcome === 'granted').map((r) => r.user_agent));
      const missing = ok.filter((ua) => !logged.has(ua));
      assert.deepEqual(missing, [], `${missing.length} answered requests have no audit row`);
      const v = verify(s.dataDir);
      assert.equal(v.out.ok, true, JSON.stringify(v.out));
    } finally {
      assertExit0(r2, await r2.stop());
    }
  });
});
