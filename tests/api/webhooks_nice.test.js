// Status callback delivery is background work (docs/webhooks.md "Delivery"):
// its thread runs --webhook-nice (10) lower in CPU priority than the
// threads that handle requests, so on a busy machine joins go first.
// Linux keeps the nice value per thread: /proc/PID/task/TID/stat field 19.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';

// {comm: nice} of each thread of pid (the last thread of a name wins).
function niceByThread(pid) {
  const out = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 on
    out[comm] = Number(fields[16]); // field 19
  }
  return out;
}

// [nice of the delivery thread, nice of another thread (rg-jobs)]
async function threadNices(args, lowered) {
  const srv = await startServer({ threads: 1, args: ['--access-log', 'off', ...args] });
  try {
    let nice = {};
    for (let i = 0; i < 100; i++) { // the thread lowers itself as it starts
      nice = niceByThread(srv.proc.pid);
      if (nice['rg-webhooks'] !== undefined && (!lowered || nice['rg-webhooks'] !== nice['rg-jobs'])) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(nice['rg-webhooks'] !== undefined, `no rg-webhooks thread: ${JSON.stringify(nice)}`);
    assert.ok(nice['rg-jobs'] !== undefined, `no rg-jobs thread: ${JSON.stringify(nice)}`);
    return [nice['rg-webhooks'], nice['rg-jobs']];
  } finally {
    assertExit0(srv, await srv.stop());
  }
}

it('the delivery thread runs 10 lower than the others by default', async () => {
  const [hook, other] = await threadNices([], true);
  assert.equal(hook, Math.min(other + 10, 19)); // nice stops at 19
});

it('--webhook-nice 0 keeps it level with the others', async () => {
  const [hook, other] = await threadNices(['--webhook-nice', '0'], false);
  assert.equal(hook, other);
});
