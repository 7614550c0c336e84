// Red-team pass, second round (docs/security.md "Red-team pass, second
// round"): a TURN secret given on the command line stayed in the process's
// arguments, which /proc/PID/cmdline (and so `ps`) shows every local user
// for as long as the server runs.  Now serve overwrites each --turn-secret
// value once it has copied it; the secret still signs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { turnCredential } from './lib/turn.js';

const S1 = 'cmdline-secret-one-0123456789abc'; // signs
const S2 = 'cmdline-secret-two-0123456789abc'; // the --flag=value spelling
const PW = 'redis-pass-0123456789'; // --redis URL's password (no Redis runs: the server retries)

let srv;
before(async () => {
  // a flag without a value right before a secret: the scrub must not skip it
  srv = await startServer({ args: ['--access-log', 'off', '--turn-uri', 'turn:127.0.0.1:3478', '--single-use-links',
    '--turn-secret', S1, `--turn-secret=${S2}`, '--redis', `redis://ops:${PW}@127.0.0.1:1/0`] });
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

describe('TURN secrets on the command line', () => {
  // under valgrind /proc/PID/cmdline is valgrind's own copy of the
  // arguments, not the guest's memory: scripts/test.sh runs this file in
  // the sanitized pass only
  it('are gone from /proc/PID/cmdline once the server listens, and still sign', async () => {
    const cmdline = fs.readFileSync(`/proc/${srv.proc.pid}/cmdline`, 'latin1');
    assert.ok(cmdline.includes('--turn-secret'), `the flag itself stays: ${JSON.stringify(cmdline)}`);
    assert.ok(!cmdline.includes(S1), 'the --turn-secret S value is readable by every local user');
    assert.ok(!cmdline.includes(S2), 'the --turn-secret=S value is readable by every local user');
    assert.ok(!cmdline.includes('cmdline-secret'), 'not even a part of it');
    assert.ok(!cmdline.includes(PW), 'the --redis password is readable by every local user');
    assert.ok(cmdline.includes('@127.0.0.1:1/0'), `the rest of the URL stays: ${JSON.stringify(cmdline)}`);

    const res = await srv.request('GET', '/v1/turn', { auth: srv.accountAuth, query: { identity: 'alice' } });
    assert.equal(res.status, 200, res.text);
    const expiry = res.json.username.split(':')[0];
    assert.deepEqual(turnCredential(S1, 'alice', expiry), { username: res.json.username, password: res.json.password });
  });
});
