// Every thread of a running server but the main one blocks SIGTERM and
// SIGINT, so that they reach the main thread's sigtimedwait and start the
// drain (server.c): a thread that a module starts before the loops (job and
// import threads, the webhook dispatcher, ...) inherits the mask
// cmd_serve.c's start_all sets.
// One thread without it would let the kernel deliver SIGTERM there, and its
// default action kills the process (exit by signal instead of a drain).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer } from './lib/server.js';

const SIGINT_BIT = 1n << 1n;   // signal 2
const SIGTERM_BIT = 1n << 14n; // signal 15

function blocked(pid, tid) {
  const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
  const m = /^SigBlk:\s*([0-9a-f]+)$/m.exec(status);
  assert.ok(m, `no SigBlk in /proc/${pid}/task/${tid}/status`);
  return BigInt('0x' + m[1]);
}

describe('signals on a running server', () => {
  it('every thread but the main one blocks SIGTERM and SIGINT; SIGTERM then drains (exit 0)', async () => {
    const srv = await startServer({ args: ['--threads', '2', '--import-threads', '2'] });
    try {
      const pid = srv.proc.pid;
      const tids = fs.readdirSync(`/proc/${pid}/task`);
      // the main thread, two loops, the audit writer, the job thread, two
      // import threads, at least
      assert.ok(tids.length >= 7, `only ${tids.length} threads`);
      // the main thread waits in sigtimedwait, which unblocks the signals
      // it waits for while it waits: it is the one that should take them
      const open = tids.filter((tid) => tid !== String(pid)).filter((tid) => {
        const mask = blocked(pid, tid);
        return (mask & SIGTERM_BIT) === 0n || (mask & SIGINT_BIT) === 0n;
      });
      const names = open.map((tid) => `${tid} ${fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()}`);
      assert.deepEqual(names, [], 'threads that would take SIGTERM or SIGINT');
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });
});
