// docs/security.md, second round's known limitation: /readyz read the
// store on every anonymous request (one read under the store's mutex), so
// a flood of it slowed authenticated traffic.  Now a timer pings the store
// every 500 ms and /readyz answers from its outcome.  Counted, not timed:
// the store reads of a /readyz flood stay far below the number of
// requests, and the pings stay within the interval's bound.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startServer, waitFor } from './lib/server.js';

async function scrape(srv) {
  const res = await fetch(srv.metricsUrl);
  assert.equal(res.status, 200);
  const text = await res.text();
  const get = (key) => {
    const line = text.split('\n').find((l) => l.startsWith(key + ' '));
    return line === undefined ? undefined : Number(line.slice(key.length + 1));
  };
  return {
    checks: get('roomgate_readiness_checks_total'),
    reads: get('roomgate_store_operation_duration_seconds_count{operation="read"}'),
  };
}

describe('/readyz flood', () => {
  it('many /readyz cost a bounded number of store reads; a broken store is still reported', async () => {
    const srv = await startServer({ args: ['--access-log', 'off', '--metrics-listen', '127.0.0.1:0'] });
    try {
      const N = 1000;
      const before = await scrape(srv);
      assert.equal(typeof before.checks, 'number', 'roomgate_readiness_checks_total is exposed');
      const t0 = Date.now();
      for (let i = 0; i < N; i += 50) {
        const rs = await Promise.all(Array.from({ length: 50 }, () => srv.request('GET', '/readyz')));
        for (const r of rs) assert.equal(r.status, 200, r.text);
      }
      const elapsed = Date.now() - t0;
      const after = await scrape(srv);
      const checks = after.checks - before.checks;
      const reads = after.reads - before.reads;
      // at most one ping per 500 ms (the tick may run one late), whatever N
      assert.ok(checks <= Math.ceil(elapsed / 500) + 2, `${checks} pings in ${elapsed} ms`);
      // every store read of the server in that time (pings, the change
      // watcher's tick) is far fewer than the requests: /readyz reads none
      assert.ok(reads < N / 2, `${reads} store reads for ${N} /readyz`);

      const db = path.join(srv.dataDir, 'roomgate.db');
      execFileSync('sqlite3', [db, 'ALTER TABLE api_keys RENAME TO api_keys_away']);
      try {
        const bad = await waitFor(async () => {
          const r = await srv.request('GET', '/readyz');
          return r.status === 503 && r;
        }, '/readyz to report the broken store');
        assert.deepEqual(bad.json, { status: 'store unavailable' });
      } finally {
        execFileSync('sqlite3', [db, 'ALTER TABLE api_keys_away RENAME TO api_keys']);
      }
      await waitFor(async () => (await srv.request('GET', '/readyz')).status === 200, '/readyz ready again');
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });
});
