// Issue 10 item 7: {"path"} imports.  A FIFO in the import directory stalled
// every tenant (the open waited for a writer on the one job thread), the
// directory was shared by all accounts, and a hard link imported a file from
// outside it.  Now: each account imports from <import-dir>/<AccountSid>/
// only, regular files with one link only (a FIFO or socket is 400 at once),
// and imports run on their own threads, one per account at a time, so a
// slow import holds no other tenant's upload, delete or import.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cliJson, basic } from './lib/server.js';
import { assertError, assertStatus, assertExit0 } from './lib/check.js';
import { startRecServer, upload, recFile, decryptWithOpenssl } from './lib/rec.js';

let srv, b, aDir, bDir;

/** Rejects when p has not settled within ms: a hung server fails the test instead of hanging it. */
function settlesWithin(p, ms, what) {
  let t;
  const guard = new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms); });
  return Promise.race([p, guard]).finally(() => clearTimeout(t));
}

const importAs = (auth, p, extra = {}) => srv.request('POST', '/v1/Recordings', { auth, json: { path: p, ...extra } });

function recordingFiles() {
  return fs.readdirSync(path.join(srv.dataDir, 'recordings'));
}

async function until(cond, what, ms = 30000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  srv = await startRecServer();
  aDir = srv.accountImportDir;
  const acct = cliJson(srv.cli(['account', 'create', '--name', 'B']));
  b = { sid: acct.sid, auth: basic(acct.sid, acct.auth_token) };
  bDir = path.join(srv.importDir, b.sid);
  fs.mkdirSync(bDir);
  fs.writeFileSync(path.join(aDir, 'a-only.ogg'), 'A private');
  fs.writeFileSync(path.join(bDir, 'b-own.ogg'), 'B own');
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

describe('only regular files, opened without blocking', () => {
  it("a FIFO -> 400 at once, while another tenant's upload and delete complete", async () => {
    const fifo = path.join(aDir, 'pipe.ogg');
    execFileSync('mkfifo', [fifo]);
    try {
      const stalled = importAs(srv.accountAuth, 'pipe.ogg');
      const up = await settlesWithin(upload(srv, Buffer.from('B upload'), { auth: b.auth }), 20000, "B's upload");
      assertStatus(up, 201);
      const del = await settlesWithin(srv.request('DELETE', `/v1/Recordings/${up.json.sid}`, { auth: b.auth }), 20000, "B's delete");
      assertStatus(del, 204);
      const r = await settlesWithin(stalled, 20000, 'the FIFO import');
      assertError(r, 400, 21603);
      assert.match(r.json.message, /not a regular file/);
    } finally {
      // on a server that did block in open(), a writer lets it go
      try { fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)); } catch { /* no reader: fine */ }
    }
  });

  it('a unix socket file -> 400', async () => {
    const sock = path.join(aDir, 'sock.ogg');
    const server = net.createServer();
    await new Promise((r) => server.listen(sock, r));
    try {
      const r = await settlesWithin(importAs(srv.accountAuth, 'sock.ogg'), 20000, 'the socket import');
      assertError(r, 400, 21603);
      assert.match(r.json.message, /not a regular file/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('a directory -> 400', async () => {
    fs.mkdirSync(path.join(aDir, 'adir'));
    assertError(await importAs(srv.accountAuth, 'adir'), 400, 21603);
  });

  it('a file with more than one hard link -> 400 (a link from outside the directory, or a second name inside)', async () => {
    const before = recordingFiles().length;
    const outside = path.join(os.tmpdir(), `roomgate-secret-${process.pid}.bin`);
    fs.writeFileSync(outside, 'a file from elsewhere');
    try {
      fs.linkSync(outside, path.join(aDir, 'linked.ogg'));
      const r = await importAs(srv.accountAuth, 'linked.ogg');
      assertError(r, 400, 21603);
      assert.match(r.json.message, /hard link/);
    } finally {
      fs.rmSync(outside, { force: true });
    }
    fs.writeFileSync(path.join(aDir, 'twice-1.ogg'), 'x');
    fs.linkSync(path.join(aDir, 'twice-1.ogg'), path.join(aDir, 'twice-2.ogg'));
    assertError(await importAs(srv.accountAuth, 'twice-1.ogg'), 400, 21603);
    assert.equal(recordingFiles().length, before, 'nothing stored');
    // once the other name is gone the file imports
    fs.rmSync(path.join(aDir, 'twice-2.ogg'));
    assertStatus(await importAs(srv.accountAuth, 'twice-1.ogg'), 201);
  });
});

describe('each account imports from its own subdirectory', () => {
  it("B cannot import A's file, by any spelling", async () => {
    const before = recordingFiles().length;
    fs.symlinkSync(`../${srv.account.sid}/a-only.ogg`, path.join(bDir, 'to-a.ogg'));
    for (const p of ['a-only.ogg', `${srv.account.sid}/a-only.ogg`, `../${srv.account.sid}/a-only.ogg`,
      path.join(aDir, 'a-only.ogg'), 'to-a.ogg']) {
      const r = await importAs(b.auth, p);
      assertError(r, 400, 21603);
    }
    assert.equal(recordingFiles().length, before, 'nothing stored');
    // A imports it, by a relative or an absolute path inside its own directory
    assertStatus(await importAs(srv.accountAuth, 'a-only.ogg'), 201);
    const abs = await importAs(srv.accountAuth, path.join(aDir, 'a-only.ogg'));
    assertStatus(abs, 201);
    assert.equal(decryptWithOpenssl(recFile(srv, abs.json.sid), srv.privPem).toString(), 'A private');
    // and B its own
    const own = await importAs(b.auth, 'b-own.ogg');
    assertStatus(own, 201);
    assert.equal(own.json.account_sid, b.sid);
  });

  it('a file at the top of the import directory belongs to nobody -> 400', async () => {
    fs.writeFileSync(path.join(srv.importDir, 'shared.ogg'), 'top level');
    assertError(await importAs(srv.accountAuth, 'shared.ogg'), 400, 21603);
    assertError(await importAs(srv.accountAuth, path.join(srv.importDir, 'shared.ogg')), 400, 21603);
  });

  it('an account without a subdirectory -> 400 that says so', async () => {
    const c = cliJson(srv.cli(['account', 'create', '--name', 'C']));
    const auth = basic(c.sid, c.auth_token);
    let r;
    // the server sees a CLI-made account within 100 ms
    for (let i = 0; i < 50 && (r = await importAs(auth, 'x.ogg')).status === 401; i++) await new Promise((res) => setTimeout(res, 50));
    assertError(r, 400, 21603);
    assert.match(r.json.message, /no import directory/);
  });

  it('traversal, symlinks (in or out), absolute paths elsewhere -> 400', async () => {
    const outside = path.join(path.dirname(srv.importDir), `outside-${process.pid}.bin`);
    fs.writeFileSync(outside, 'secret');
    fs.symlinkSync(outside, path.join(aDir, 'out-link'));
    fs.symlinkSync('a-only.ogg', path.join(aDir, 'in-link'));
    fs.symlinkSync('..', path.join(aDir, 'up'));
    fs.mkdirSync(path.join(aDir, 'real-sub'));
    fs.writeFileSync(path.join(aDir, 'real-sub', 'f.ogg'), 'f');
    fs.symlinkSync('real-sub', path.join(aDir, 'sub-link'));
    try {
      const before = recordingFiles().length;
      for (const p of ['../x', 'sub/../../x', '..', `../${b.sid}/b-own.ogg`, outside, '/etc/passwd', 'out-link',
        'in-link', 'sub-link/f.ogg', `up/${srv.account.sid}/a-only.ogg`, 'nope.bin', '']) {
        const r = await importAs(srv.accountAuth, p);
        assert.equal(r.status, 400, `${p}: ${r.text}`);
      }
      assert.equal(recordingFiles().length, before);
      assertStatus(await importAs(srv.accountAuth, 'real-sub/f.ogg'), 201);
    } finally {
      fs.rmSync(outside, { force: true });
    }
  });
});

describe("one tenant's slow imports hold nobody else", () => {
  it("while A's big import runs, B uploads, deletes and imports; A's next imports wait their turn; the 9th queued is 429", async () => {
    const big = path.join(aDir, 'big.wav');
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 768 * 1024 * 1024); // sparse: cheap to make, real work to seal
    for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(aDir, `small-${i}.ogg`), `small ${i}`);
    const tmpBefore = new Set(recordingFiles().filter((f) => f.endsWith('.tmp')));
    let bigDone = false;
    const bigImport = importAs(srv.accountAuth, 'big.wav').finally(() => { bigDone = true; });
    // the big import is being sealed once its temp file exists
    await until(() => recordingFiles().some((f) => f.endsWith('.tmp') && !tmpBefore.has(f)), "the big import's temp file");
    // eight more of A's: seven wait behind the big one, one is over the limit of 8 per account
    const smalls = Array.from({ length: 8 }, (_, i) => importAs(srv.accountAuth, `small-${i}.ogg`));
    // B is not held by any of them
    const up = await upload(srv, Buffer.from('B during A'), { auth: b.auth });
    assertStatus(up, 201);
    assertStatus(await srv.request('DELETE', `/v1/Recordings/${up.json.sid}`, { auth: b.auth }), 204);
    fs.writeFileSync(path.join(bDir, 'b-during.ogg'), 'B import during A');
    assertStatus(await importAs(b.auth, 'b-during.ogg'), 201);
    assert.equal(bigDone, false, "B's upload, delete and import finished while A's big import was still running");
    const res = await Promise.all(smalls);
    const statuses = res.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 201, 201, 201, 201, 201, 201, 429]);
    const refused = res.find((r) => r.status === 429);
    assertError(refused, 429, 20429);
    assertStatus(await bigImport, 201);
    fs.rmSync(big);
  });

  it('--import-threads is checked at start', async () => {
    await assert.rejects(startRecServer({ args: ['--import-threads', '0'] }), /exited early/);
    await assert.rejects(startRecServer({ args: ['--import-threads', '65'] }), /exited early/);
  });
});
