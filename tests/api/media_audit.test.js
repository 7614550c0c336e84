// /media and the audit log (docs/security.md "Media fetches and the audit
// log"): every fetch gets a row; the first fetch of a link from a client
// address waits for its row to be durable before any byte, and that
// address's later fetches of the link (a player's next ranges) are served
// without waiting, their rows committed by the writer behind them.  The
// audit writer is held here by a write lock on the database taken with the
// sqlite3 CLI, so "waits" and "does not wait" are states, not timings.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { runCli, waitFor } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { startRecServer, upload, mediaUrl, patterned, SEG } from './lib/rec.js';

/** GET url from a given local address; resolves { status, body }. */
function get(url, localAddress, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Holds the database's write lock (BEGIN IMMEDIATE) until release(). */
async function holdWriteLock(dataDir) {
  const p = spawn('sqlite3', [path.join(dataDir, 'roomgate.db')], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stdin.write("PRAGMA busy_timeout=10000;\nBEGIN IMMEDIATE;\nSELECT 'held';\n");
  await waitFor(() => out.includes('held'), 'the sqlite3 CLI to hold the write lock');
  return {
    release: () => new Promise((resolve) => {
      p.on('exit', resolve);
      p.stdin.end('COMMIT;\n.quit\n');
    }),
  };
}

const served = async (s, sid) => (await s.request('GET', `/v1/Recordings/${sid}/AccessLog`,
  { auth: s.accountAuth })).json.access_log.filter((r) => r.action === 'media' && r.outcome === 'served');

describe('media fetches and the audit log', () => {
  it('a repeat fetch of a link is served while the audit writer is held; a first fetch from another address waits', async () => {
    const s = await startRecServer({ args: ['--playback-rate', '0'] });
    try {
      const body = patterned(3 * SEG + 100);
      const up = await upload(s, body, { query: { AllowedIdentities: 'alice' } });
      const url = await mediaUrl(s, up.json.sid);
      const first = await get(url, '127.0.0.1');
      assert.equal(first.status, 200);
      assert.ok(first.body.equals(body));
      assert.equal((await served(s, up.json.sid)).length, 1, 'the first fetch had its row before its bytes');

      const lock = await holdWriteLock(s.dataDir);
      let otherDone = false;
      const other = get(url, '127.0.0.2', { Range: `bytes=${SEG}-${SEG + 99}` }).then((r) => { otherDone = true; return r; });
      // a player's next range across a segment boundary: served now
      const again = await get(url, '127.0.0.1', { Range: `bytes=${SEG - 10}-${2 * SEG + 9}` });
      assert.equal(again.status, 206);
      assert.ok(again.body.equals(body.subarray(SEG - 10, 2 * SEG + 10)));
      assert.equal(otherDone, false, 'the first fetch from another address waits for its durable row');
      await lock.release();

      const o = await other;
      assert.equal(o.status, 206);
      assert.ok(o.body.equals(body.subarray(SEG, SEG + 100)));
      // every fetch has its row, the repeat's written behind it
      await waitFor(async () => (await served(s, up.json.sid)).length === 3, 'three media rows');
      const ips = (await served(s, up.json.sid)).map((r) => r.client_ip).sort();
      assert.deepEqual(ips, ['127.0.0.1', '127.0.0.1', '127.0.0.2']);
    } finally {
      assertExit0(s, await s.stop({ keepData: true }));
    }
    assert.equal(JSON.parse(runCli(s.dataDir, ['audit', 'verify'])).ok, true);
  });
});
