// Security review (issue 13): one account's receiver that never answers
// must not hold back another account's status callbacks.  Before the fix the
// dispatcher filled its free slots with the oldest due events whatever their
// account, so an account pointing many rooms at a tarpit kept every slot
// busy for --webhook-timeout, round after round, and the other accounts'
// events waited behind them (docs/security.md, "Status callbacks").
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { startReceiver } from './lib/hooks.js';

let srv;
let rx;
let tarpit;
const held = [];
before(async () => {
  // two slots, and a timeout far longer than the test may wait
  srv = await startServer({
    threads: 1,
    args: ['--access-log', 'off', '--webhook-allow-private', '--webhook-max-inflight', '2', '--webhook-timeout', '120000'],
  });
  tarpit = net.createServer((s) => held.push(s)); // accepts, never answers
  await new Promise((r) => tarpit.listen(0, '127.0.0.1', r));
});
after(async () => {
  for (const s of held) s.destroy();
  if (tarpit) await new Promise((r) => tarpit.close(r));
  try {
    if (srv) assertExit0(srv, await srv.stop());
  } finally {
    if (rx) await rx.close();
  }
});

it("an account's tarpit receiver does not hold back another account's events", async () => {
  const slow = `http://127.0.0.1:${tarpit.address().port}/hook`;
  for (let i = 0; i < 6; i++) {
    const res = await srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, form: { UniqueName: `tarpit-${i}`, StatusCallback: slow } });
    assert.equal(res.status, 201, res.text);
  }
  while (held.length < 1) await new Promise((r) => setTimeout(r, 20)); // the tarpit holds requests
  const other = JSON.parse(srv.cli(['account', 'create']));
  rx = await startReceiver(other.auth_token);
  const auth = 'Basic ' + Buffer.from(`${other.sid}:${other.auth_token}`).toString('base64');
  // the server learns of an account the CLI made from the store's change watcher
  let made;
  while ((made = await srv.request('POST', '/v1/Rooms', { auth, form: { UniqueName: 'victim', StatusCallback: `${rx.base}/hook` } })).status === 401) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(made.status, 201, made.text);
  const [ev] = await rx.seen((e) => e.params.RoomName === 'victim', 1, 'the other account\'s room-created');
  assert.equal(ev.params.AccountSid, other.sid);
  assert.equal(ev.params.StatusCallbackEvent, 'room-created');
  // delivered while the tarpit still held the first account's requests
  assert.ok(held.length >= 1 && held.every((s) => !s.destroyed), "the tarpit's connections were still open");
});
