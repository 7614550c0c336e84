// docs/security.md, second round's known limitation "join churn": one
// valid token could join, leave and join again as fast as the server
// seats (65 a second measured), each cycle a participant row and two
// status callback events.  Now joins of one identity in one room are
// limited (--signal-join-burst at once, then one per
// --signal-join-interval), on both protocols, refused at admission with
// 20429 and the close: nothing written past the limit.  Another identity
// is not affected.  Counted, not timed: the interval is ten minutes here.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { join, tok } from './lib/signal.js';
import { startReceiver } from './lib/hooks.js';

const BURST = 3;
let srv;
let rx;
before(async () => {
  srv = await startServer({ args: ['--access-log', 'off', '--webhook-allow-private', '--webhook-retry-base', '50',
    '--signal-join-burst', String(BURST), '--signal-join-interval', '600000'] });
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

const rows = (identity) => Number(execFileSync('sqlite3', [path.join(srv.dataDir, 'roomgate.db'),
  `SELECT count(*) FROM participants WHERE identity = '${identity}'`]).toString().trim());
const events = (room, identity, type) => rx.events.filter((e) => e.params.RoomName === room &&
  e.params.ParticipantIdentity === identity && e.params.StatusCallbackEvent === type).length;

/** A /signaling connect; resolves the first room message and a way to leave. */
async function twConnect(identity, room) {
  const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + '/signaling');
  const msgs = [];
  let wake = () => {};
  ws.on('message', (d) => { const m = JSON.parse(d.toString()); if (m.type === 'msg') { msgs.push(m.body); wake(); } });
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ type: 'hello', id: 'x', timeout: 5000, version: 2, body: {
    type: 'connect', version: 2, name: room, token: tok(srv, identity, room),
    participant: { revision: 1, tracks: [] }, peer_connections: [] } }));
  while (!msgs.length) await new Promise((r) => { wake = r; });
  const first = msgs[0];
  return {
    first,
    closed,
    leave() { ws.send(JSON.stringify({ type: 'msg', body: { type: 'disconnect', version: 2, session: first.session } })); return closed; },
  };
}

describe('joins per identity and room', () => {
  it(`/v1/signal: ${BURST} joins of one identity, then 20429 and the close; nothing written for the refused; another identity joins`, async () => {
    const room = 'rt-churn';
    const token = tok(srv, 'churn', room);
    for (let i = 0; i < BURST + 3; i++) {
      const { c, joined } = await join(srv, token);
      if (i < BURST) {
        assert.equal(joined.type, 'joined', JSON.stringify(joined));
        await c.close();
      } else {
        assert.equal(joined.type, 'error', JSON.stringify(joined));
        assert.equal(joined.code, 20429);
        assert.equal((await c.closed).code, 1008);
      }
    }
    const { c, joined } = await join(srv, tok(srv, 'other', room));
    assert.equal(joined.type, 'joined', 'another identity is not limited');
    await c.close();
    await rx.seen((e) => e.params.RoomName === room && e.params.ParticipantIdentity === 'other' &&
      e.params.StatusCallbackEvent === 'participant-disconnected', 1);
    assert.equal(rows('churn'), BURST);
    assert.equal(events(room, 'churn', 'participant-connected'), BURST);
    assert.equal(events(room, 'churn', 'participant-disconnected'), BURST);
  });

  it(`/signaling: ${BURST} connects of one identity, then 20429 and the close; another identity connects`, async () => {
    const room = 'rt-churn-tw';
    for (let i = 0; i < BURST + 2; i++) {
      const c = await twConnect('twchurn', room);
      if (i < BURST) {
        assert.equal(c.first.type, 'connected', JSON.stringify(c.first));
        assert.equal(await c.leave(), 1000);
      } else {
        assert.equal(c.first.type, 'error', JSON.stringify(c.first));
        assert.equal(c.first.code, 20429);
        assert.equal(await c.closed, 1008);
      }
    }
    const o = await twConnect('twother', room);
    assert.equal(o.first.type, 'connected', 'another identity is not limited');
    await o.leave();
    await rx.seen((e) => e.params.RoomName === room && e.params.ParticipantIdentity === 'twother' &&
      e.params.StatusCallbackEvent === 'participant-disconnected', 1);
    assert.equal(rows('twchurn'), BURST);
    assert.equal(events(room, 'twchurn', 'participant-connected'), BURST);
  });
});
