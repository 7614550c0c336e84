// The harness itself (lib/server.js): every bad outcome of a server a test
// started fails that test.  Uses tests/api/fixtures/fake-roomgate.sh, a
// shell stand-in whose exit behaviour is chosen by FAKE_MODE, so each
// outcome (a sanitizer report with exit 0, a non-zero exit, a hang at
// startup or at SIGTERM, a forgotten server) can be produced on purpose.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, REPO_ROOT } from './lib/server.js';

const FAKE = path.join(REPO_ROOT, 'tests/api/fixtures/fake-roomgate.sh');
const fake = (mode, opts = {}) => startServer({ bin: FAKE, env: { FAKE_MODE: mode }, ...opts });
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('stop()', () => {
  it('resolves to 0 on a clean exit and removes the data dir', async () => {
    const s = await fake('clean');
    assert.equal(await s.stop(), 0);
    assert.equal(fs.existsSync(s.dataDir), false);
  });

  it('rejects when stderr holds a sanitizer report, even with exit 0', async () => {
    const s = await fake('report');
    await assert.rejects(s.stop(), /exit 0 but stderr holds a sanitizer\/memcheck report\nsrc\/core\/x\.c:1:2: runtime error: signed integer overflow/);
    assert.equal(fs.existsSync(s.dataDir), false, 'data dir removed anyway');
  });

  it('rejects a non-zero exit, naming the status', async () => {
    const s = await fake('exit3');
    await assert.rejects(s.stop(), /exit 3, expected 0/);
  });

  it('kills a server that outlives the deadline after SIGTERM, and rejects', async () => {
    const s = await fake('ignore');
    await assert.rejects(s.stop({ timeoutMs: 300 }), /did not exit within 300 ms of SIGTERM; killed/);
    assert.equal(alive(s.proc.pid), false);
  });

  it('rejects an exit by a signal nobody expected; accepts it when expected', async () => {
    const a = await fake('clean');
    a.proc.kill('SIGKILL');
    await assert.rejects(a.stop(), /exit signal:SIGKILL, expected 0/);
    const b = await fake('clean');
    b.proc.kill('SIGKILL');
    assert.equal(await b.stop({ expect: 'SIGKILL' }), 'signal:SIGKILL');
    const c = await fake('exit3');
    assert.equal(await c.stop({ expect: 3 }), 3);
  });

  it('keepData leaves the data dir for a restart that then owns it', async () => {
    const a = await fake('clean');
    await a.stop({ keepData: true });
    assert.equal(fs.existsSync(a.dataDir), true);
    const b = await fake('clean', { dataDir: a.dataDir, account: a.account, key: a.key });
    assert.equal(b.keyAuth, a.keyAuth);
    assert.equal(await b.stop(), 0);
    assert.equal(fs.existsSync(a.dataDir), false);
  });
});

describe('startup', () => {
  it('a server that never announces its port is killed at the deadline', async () => {
    const err = await fake('hang', { startupMs: 500 }).then(() => null, (e) => e);
    assert.ok(err, 'startServer must reject');
    const m = /^roomgate \(pid (\d+)\) did not announce its port within 500 ms; killed/.exec(err.message);
    assert.ok(m, err.message);
    assert.equal(alive(Number(m[1])), false);
  });
});

describe('a refused start', () => {
  it('rejects with the exit status and the whole stderr, for the test to assert', async () => {
    const err = await fake('clean', { args: ['--refuse'], bin: FAKE }).then(() => null, (e) => e);
    assert.ok(err, 'startServer must reject');
    assert.equal(err.exitCode, 2);
    assert.equal(err.stderr, 'fake-roomgate: refused --refuse\n');
  });
});

describe('a server no test stopped', () => {
  it('is stopped by the harness, and its test file fails', async () => {
    const file = path.join(REPO_ROOT, 'tests/api/fixtures/forgotten_server.mjs');
    const env = { ...process.env, ROOMGATE_BIN: FAKE, FAKE_MODE: 'clean' };
    delete env.NODE_TEST_CONTEXT; // a run of its own, not a subtest of this one
    const r = await new Promise((resolve) => {
      execFile(process.execPath, ['--test', '--test-reporter=tap', file],
        { env, timeout: 60000 },
        (e, stdout, stderr) => resolve({ code: e ? e.code : 0, out: stdout + stderr }));
    });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^ok 1 - starts a server and forgets it$/m);
    assert.match(r.out, /1 roomgate server\(s\) were never stopped by their test/);
    assert.match(r.out, /^# fail 1$/m);
  });
});
