// Issue 10 item 9: a removed tail of the audit log is detected.  An
// attacker who can write the database file (not the master key, not the
// head file DATA/audit.head) deletes the newest rows with the sqlite3 CLI
// while the server is stopped; `roomgate audit verify` exits 1 and says
// how many rows are missing, also when the head row is deleted too, forged,
// or rolled back to an older copy together with the tail.  A server
// restarted on such a database never builds over the gap.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, startServer } from './lib/server.js';
import { assertStatus, assertExit0 } from './lib/check.js';
import { startRecServer, upload, tokenFor, secRec, sqlite } from './lib/rec.js';

let base; // a stopped server's data dir with ROWS audit rows
let rows;
let oldHead; // the head row after the first rows, as the sqlite3 CLI printed it
let oldSeq;
const copies = [];

function verify(dataDir) {
  try {
    return { code: 0, out: JSON.parse(runCli(dataDir, ['audit', 'verify'])) };
  } catch (e) {
    return { code: e.status, out: JSON.parse(e.stdout) };
  }
}

/** A copy of the stopped server's data dir to tamper with. */
function copy() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-audit-tail-'));
  fs.cpSync(base, d, { recursive: true });
  copies.push(d);
  return d;
}

const lastSeq = (d) => Number(sqlite(d, 'SELECT MAX(seq) FROM audit_log').trim());

before(async () => {
  const srv = await startRecServer({ importDir: false });
  const up = await upload(srv, Buffer.from('audited'), { query: { AllowedIdentities: 'alice' } });
  assertStatus(up, 201);
  assertStatus(await secRec(srv, up.json.sid, await tokenFor(srv, 'alice')), 200);
  // the head as it is now: what an attacker could have copied earlier
  // (a build without heads has no such table: the tests below then fail on
  // their own assertions, not here)
  try {
    oldHead = sqlite(srv.dataDir, "SELECT seq || ',' || hex(hash) || ',' || hex(mac) FROM audit_head").trim();
    oldSeq = Number(oldHead.split(',')[0]);
  } catch { oldHead = undefined; }
  for (const who of ['alice', 'mallory', 'alice', 'eve', 'alice']) await secRec(srv, up.json.sid, await tokenFor(srv, who));
  assertExit0(srv, await srv.stop({ keepData: true }));
  base = srv.dataDir;
  rows = lastSeq(base);
});

after(() => {
  for (const d of [base, ...copies]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

describe('audit verify and the chain head', () => {
  it('an intact log verifies, and its head names the last row', () => {
    assert.ok(rows >= 7, `rows ${rows}`);
    assert.ok(oldSeq >= 2 && oldSeq < rows, `old head ${oldSeq}`);
    const v = verify(base);
    assert.equal(v.code, 0, JSON.stringify(v.out));
    assert.deepEqual(v.out, { ok: true, rows });
    assert.equal(Number(sqlite(base, 'SELECT seq FROM audit_head').trim()), rows);
    assert.ok(fs.existsSync(path.join(base, 'audit.head')), 'the head file beside the database');
    assert.equal(fs.statSync(path.join(base, 'audit.head')).mode & 0o777, 0o600);
  });

  it('deleting the newest rows is found: exit 1 and how many are missing', () => {
    for (const n of [1, 3]) {
      const d = copy();
      sqlite(d, `DROP TRIGGER audit_no_delete; DELETE FROM audit_log WHERE seq > ${rows - n}`);
      assert.equal(lastSeq(d), rows - n);
      const v = verify(d);
      assert.equal(v.code, 1, JSON.stringify(v.out));
      assert.equal(v.out.ok, false);
      assert.equal(v.out.missing_rows, n);
      assert.equal(v.out.head_seq, rows);
      assert.equal(v.out.rows_ok, rows - n);
      assert.match(v.out.reason, /missing/);
    }
  });

  it('deleting the head row as well is found, with the count from the head file', () => {
    const d = copy();
    assert.throws(() => sqlite(d, 'DELETE FROM audit_head'), /cannot be deleted/);
    sqlite(d, `DROP TRIGGER audit_no_delete; DROP TRIGGER audit_head_no_delete;
      DELETE FROM audit_log WHERE seq > ${rows - 2}; DELETE FROM audit_head`);
    const v = verify(d);
    assert.equal(v.code, 1, JSON.stringify(v.out));
    assert.equal(v.out.missing_rows, 2);
  });

  it('a head forged to match the shorter log does not verify', () => {
    const d = copy();
    sqlite(d, `DROP TRIGGER audit_no_delete; DELETE FROM audit_log WHERE seq > ${rows - 2};
      UPDATE audit_head SET seq = ${rows - 2}, hash = (SELECT hash FROM audit_log WHERE seq = ${rows - 2})`);
    const v = verify(d);
    assert.equal(v.code, 1, JSON.stringify(v.out));
    assert.equal(v.out.missing_rows, 2);
    fs.rmSync(path.join(d, 'audit.head'));
    const w = verify(d);
    assert.equal(w.code, 1, JSON.stringify(w.out));
    assert.match(w.out.reason, /does not verify/);
  });

  it('an older head replayed with the tail it covered is found by the head file', () => {
    assert.ok(oldHead, 'the head row as it was after the first rows');
    const d = copy();
    const [seq, hash, mac] = oldHead.split(',');
    sqlite(d, `DROP TRIGGER audit_no_delete; DELETE FROM audit_log WHERE seq > ${seq};
      UPDATE audit_head SET seq = ${seq}, hash = X'${hash}', mac = X'${mac}'`);
    const v = verify(d);
    assert.equal(v.code, 1, JSON.stringify(v.out));
    assert.equal(v.out.missing_rows, rows - Number(seq));
    assert.equal(v.out.head_seq, rows);
  });

  it('a server restarted on a truncated log appends after the head: the gap stays', async () => {
    const d = copy();
    sqlite(d, `DROP TRIGGER audit_no_delete; DELETE FROM audit_log WHERE seq > ${rows - 2}`);
    const srv = await startServer({ dataDir: d });
    try {
      // an upload writes its "create" row
      assert.ok(fs.existsSync(path.join(d, 'recording-public.pem')));
      assertStatus(await upload(srv, Buffer.from('after the cut')), 201);
      assert.match(srv.stderr(), /does not end where its head says/);
    } finally {
      assertExit0(srv, await srv.stop({ keepData: true }));
    }
    assert.equal(lastSeq(d), rows + 1, 'the new row follows the head, not the shortened tail');
    const v = verify(d);
    assert.equal(v.code, 1, JSON.stringify(v.out));
    assert.equal(v.out.seq, rows + 1);
    assert.match(v.out.reason, /seq gap/);
  });
});

describe('--audit-head FILE (the head kept apart from the database)', () => {
  it('a whole database put back from an older copy is found by the head file', async () => {
    const headDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-audit-head-'));
    const headFile = path.join(headDir, 'head');
    copies.push(headDir);
    const srv = await startRecServer({ importDir: false, args: ['--audit-head', headFile] });
    const d = srv.dataDir;
    copies.push(d);
    let older;
    try {
      const up = await upload(srv, Buffer.from('x'), { query: { AllowedIdentities: 'alice' } });
      assertStatus(up, 201);
      assertStatus(await secRec(srv, up.json.sid, await tokenFor(srv, 'alice')), 200);
      // an attacker's copy of the database as it is now (a consistent snapshot)
      older = path.join(headDir, 'older.db');
      sqlite(d, `VACUUM INTO '${older}'`);
      for (const who of ['alice', 'bob', 'alice']) await secRec(srv, up.json.sid, await tokenFor(srv, who));
    } finally {
      assertExit0(srv, await srv.stop({ keepData: true }));
    }
    assert.ok(fs.existsSync(headFile), 'the head is written where --audit-head says');
    assert.equal(fs.existsSync(path.join(d, 'audit.head')), false, 'and not in the data dir');
    const total = lastSeq(d);
    const env = { ROOMGATE_AUDIT_HEAD: headFile };
    const ok = JSON.parse(runCli(d, ['audit', 'verify', '--audit-head', headFile]));
    assert.deepEqual(ok, { ok: true, rows: total });
    assert.deepEqual(JSON.parse(runCli(d, ['audit', 'verify'], { env })), { ok: true, rows: total });

    // the whole database rolled back: rows and head row agree with each other
    for (const f of ['roomgate.db-wal', 'roomgate.db-shm']) fs.rmSync(path.join(d, f), { force: true });
    fs.copyFileSync(older, path.join(d, 'roomgate.db'));
    const before = lastSeq(d);
    assert.ok(before < total);
    let v;
    try {
      runCli(d, ['audit', 'verify', '--audit-head', headFile]);
    } catch (e) {
      v = { code: e.status, out: JSON.parse(e.stdout) };
    }
    assert.ok(v, 'verify must fail');
    assert.equal(v.code, 1, JSON.stringify(v.out));
    assert.equal(v.out.missing_rows, total - before);
    assert.equal(v.out.head_seq, total);
  });
});
