// Red-team pass (December 2026, second round; docs/security.md "Red-team
// pass"): a Twilio-protocol participant's track changes are status
// callbacks, each a durable outbox row and a request to the account's
// receiver.  Before the fix one participant replaced 32 tracks in every
// update, within the 50 messages a second, and wrote 64 rows per message
// (measured: 4,128 rows in 5 s from one socket), retried for a day when the
// receiver is down.  Now a connection records at most 64 track events at
// once and 4 a second after that; an update past the budget gets 20429 and
// the close, and records nothing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { tok } from './lib/signal.js';
import { startReceiver } from './lib/hooks.js';

const BURST = 64; // TW_TRACK_EVENTS_BURST in src/signal/twilio.h

let srv;
let rx;
before(async () => {
  srv = await startServer({ args: ['--access-log', 'off', '--webhook-allow-private', '--webhook-retry-base', '50'] });
  rx = await startReceiver(srv.account.auth_token);
  const set = await srv.request('POST', '/v1/StatusCallback', { auth: srv.keyAuth, form: { StatusCallback: `${rx.base}/hook` } });
  assert.equal(set.status, 200, set.text);
});
after(async () => {
  try {
    if (srv) assertExit0(srv, await srv.stop());
  } finally {
    if (rx) await rx.close();
  }
});

/** hello + connect with tracks; resolves {ws, msgs, closed (code)} once connected. */
async function join(identity, room, tracks) {
  const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + '/signaling');
  const msgs = [];
  let wake = () => {};
  ws.on('message', (d) => { msgs.push(JSON.parse(d.toString())); wake(); });
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ type: 'hello', id: 'x', timeout: 5000, version: 2, body: {
    type: 'connect', version: 2, name: room, token: tok(srv, identity, room),
    participant: { revision: 1, tracks }, peer_connections: [] } }));
  const until = async (pred) => {
    for (;;) {
      const m = msgs.find((x) => x.type === 'msg' && pred(x.body));
      if (m) return m.body;
      await new Promise((r) => { wake = r; });
    }
  };
  await until((b) => b.type === 'connected');
  return { ws, until, closed };
}

const tracks = (tag) => Array.from({ length: 32 }, (_, i) => ({ id: `${tag}${i}`, kind: 'audio', name: `${tag}${i}`, enabled: true }));

describe('track events per connection are budgeted', () => {
  it(`replacing all 32 tracks past the ${BURST}-event budget is refused with 20429 and the close; nothing of it is recorded`, async () => {
    const room = 'rt-tracks';
    const c = await join('flood', room, tracks('a')); // 32 track-added: half the budget
    // 32 removed + 32 added = 64 more: past what is left
    c.ws.send(JSON.stringify({ type: 'msg', body: { type: 'update', participant: { revision: 2, tracks: tracks('b') } } }));
    const err = await c.until((b) => b.type === 'error' || (b.type === 'update' && b.published));
    assert.equal(err.type, 'error', `the update was accepted: ${JSON.stringify(err).slice(0, 200)}`);
    assert.equal(err.code, 20429);
    assert.equal(await c.closed, 1008);

    await rx.seen((e) => e.params.RoomName === room && e.params.StatusCallbackEvent === 'participant-disconnected', 1);
    const evs = rx.events.filter((e) => e.params.RoomName === room);
    const added = evs.filter((e) => e.params.StatusCallbackEvent === 'track-added').map((e) => e.params.TrackName);
    assert.deepEqual(added.sort(), tracks('a').map((t) => t.name).sort(), 'only the connect\'s tracks were added');
    // the refused update recorded nothing: no track of it, and its removals
    // are only those of the disconnect (the connect's tracks, once each)
    assert.ok(!evs.some((e) => (e.params.TrackName || '').startsWith('b')), 'a track of the refused update was recorded');
    const removed = evs.filter((e) => e.params.StatusCallbackEvent === 'track-removed').map((e) => e.params.TrackName);
    assert.ok(removed.length <= 32 && removed.every((n) => n.startsWith('a')), removed.join(','));
  });

  it('ordinary changes (mute, unmute, a screen share) stay well within it', async () => {
    const room = 'rt-tracks-ok';
    const mine = [{ id: 'mic', kind: 'audio', name: 'mic', enabled: true }, { id: 'cam', kind: 'video', name: 'cam', enabled: true }];
    const c = await join('normal', room, mine);
    let rev = 2;
    for (let i = 0; i < 10; i++) {
      const state = [{ ...mine[0], enabled: i % 2 === 1 }, mine[1], ...(i % 3 === 0 ? [{ id: 'screen', kind: 'video', name: 'screen', enabled: true }] : [])];
      c.ws.send(JSON.stringify({ type: 'msg', body: { type: 'update', participant: { revision: rev, tracks: state } } }));
      const r = rev++;
      const u = await c.until((b) => b.type === 'error' || (b.type === 'update' && b.published && b.published.revision >= r));
      assert.notEqual(u.type, 'error', JSON.stringify(u));
    }
    c.ws.close();
    await c.closed;
  });
});
