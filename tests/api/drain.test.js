// Issue 13 Operations item 3: /readyz, and SIGTERM's drain (docs/api.md
// "Health and readiness", docs/signaling.md "reconnect").  Order and
// outcome are asserted, never durations: the grace periods below only
// bound how long a step may take.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServer, waitFor, BIN, STARTUP_MS } from './lib/server.js';
import { assertError } from './lib/check.js';
import { connect, join, tok } from './lib/signal.js';

const ready = (srv) => srv.request('GET', '/readyz');

describe('/readyz', () => {
  it('200 ready beside /healthz; 503 "store unavailable" while the store cannot answer, 200 again after', async () => {
    const srv = await startServer({ args: ['--access-log', 'off'] });
    try {
      const r = await ready(srv);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { status: 'ready' });
      assert.equal((await srv.request('GET', '/healthz')).status, 200);
      // The store's tables gone from under the server (another process
      // rewrote the file): a real read notices; a constant would not.
      const db = path.join(srv.dataDir, 'roomgate.db');
      execFileSync('sqlite3', [db, 'ALTER TABLE api_keys RENAME TO api_keys_away']);
      try {
        // a timer pings the store every 500 ms; /readyz answers from it
        const bad = await waitFor(async () => {
          const r = await ready(srv);
          return r.status === 503 && r;
        }, '/readyz to see the broken store');
        assert.deepEqual(bad.json, { status: 'store unavailable' });
        assert.equal((await srv.request('GET', '/healthz')).status, 200, 'the process itself is up');
      } finally {
        execFileSync('sqlite3', [db, 'ALTER TABLE api_keys_away RENAME TO api_keys']);
      }
      const again = await waitFor(async () => {
        const r = await ready(srv);
        return r.status === 200 && r;
      }, '/readyz ready again');
      assert.deepEqual(again.json, { status: 'ready' });
      assert.equal((await srv.request('POST', '/readyz')).status, 405);
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });
});

describe('SIGTERM drain', () => {
  it('WebSockets get a reconnect hint; meanwhile /readyz is 503 draining and upgrades 503; exit 0 once they leave', async () => {
    const srv = await startServer({ threads: 1, args: ['--access-log', 'off', '--drain-grace', '120'] });
    const a = await join(srv, tok(srv, 'alice', 'drain-1'));
    const b = await join(srv, tok(srv, 'bob', 'drain-1'));
    assert.equal(a.joined.type, 'joined');
    assert.equal(b.joined.type, 'joined');
    assert.equal((await ready(srv)).status, 200);
    srv.proc.kill('SIGTERM');
    const hint = await a.c.next('reconnect', 10000);
    assert.deepEqual(hint, { type: 'reconnect', reason: 'draining', close_in_ms: 60000 });
    assert.equal((await b.c.next('reconnect', 10000)).type, 'reconnect');
    // still serving while the clients move: a load balancer sees it leave
    const r = await ready(srv);
    assert.equal(r.status, 503, r.text);
    assert.deepEqual(r.json, { status: 'draining' });
    await assert.rejects(connect(srv), (e) => e.status === 503 && JSON.parse(e.body).code === 53000);
    assertError(await srv.request('GET', '/v1/signal'), 400, 53004, { twilio: false }); // not an upgrade: as before
    assert.equal((await srv.request('GET', '/healthz')).status, 200, 'plain requests are still served');
    // alice leaves as told; bob hears it (the room works during the drain)
    await a.c.close();
    const left = await b.c.next('participant_left', 10000);
    assert.equal(left.participant.identity, 'alice');
    assert.equal(srv.proc.exitCode, null, 'still running while bob is connected');
    await b.c.close();
    // the last one gone, the drain goes on without waiting out the grace period
    assert.equal(await srv.exited, 0);
    assert.equal(await srv.stop(), 0);
  });

  it('a client that stays is told 53000 and closed (1001) after the hint; exit 0 (ROOMGATE_DRAIN_GRACE)', async () => {
    const srv = await startServer({ threads: 2, env: { ROOMGATE_DRAIN_GRACE: '2' }, args: ['--access-log', 'off'] });
    const a = await join(srv, tok(srv, 'alice', 'drain-2'));
    assert.equal(a.joined.type, 'joined');
    srv.proc.kill('SIGTERM');
    const seen = await a.c.until((m) => m.type === 'error', 10000);
    assert.deepEqual(seen.map((m) => m.type), ['reconnect', 'error']);
    assert.equal(seen[0].close_in_ms, 1000);
    assert.equal(seen[1].code, 53000);
    assert.equal((await a.c.closed).code, 1001);
    assert.equal(await srv.stop(), 0);
  });

  it('without WebSockets SIGTERM exits 0 as before', async () => {
    const srv = await startServer({ args: ['--access-log', 'off', '--drain-grace', '3600'] });
    assert.equal((await ready(srv)).status, 200);
    assert.equal(await srv.stop(), 0);
  });

  it('--drain-grace and ROOMGATE_DRAIN_GRACE are range-checked (1..3600)', () => {
    for (const [args, env] of [[['--drain-grace', '0']], [['--drain-grace', '3601']], [['--drain-grace', '5s']],
      [['--drain-grace', '-1']], [[], { ROOMGATE_DRAIN_GRACE: 'x' }]]) {
      const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: STARTUP_MS });
      assert.equal(r.status, 2, `${args} ${JSON.stringify(env)}: ${r.stderr}`);
      assert.match(r.stderr, /(--drain-grace|ROOMGATE_DRAIN_GRACE) must be a whole number 1\.\.3600/);
    }
  });
});
