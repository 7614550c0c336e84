// Security review (issue 12): a room is used by one wire protocol at a time
// (docs/security.md, "One protocol per room, also within one batch of
// seats").  Joins of both protocols for the same room arriving in the same
// loop turn were seated in one batch, each checked only against the members
// already in the room, so both entered: a mixed room, where a Twilio
// client's relays (its offers, its state) reach the roomgate client.
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { connect, tok, connectedList } from './lib/signal.js';

let srv;
before(async () => {
  srv = await startServer({ threads: 1, args: ['--access-log', 'off'] });
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/** A raw /signaling socket after hello/welcome; first() is its first room message. */
async function twilioSocket() {
  const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + '/signaling');
  const msgs = [];
  let wake = null;
  ws.on('message', (d) => { const m = JSON.parse(d.toString()); if (m.type === 'msg') { msgs.push(m.body); if (wake) wake(); } else if (m.type === 'welcome' && wake) wake(); });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const welcomed = new Promise((r) => { wake = r; });
  ws.send(JSON.stringify({ type: 'hello', version: 2 }));
  await welcomed;
  return {
    ws,
    closed: new Promise((r) => ws.on('close', r)),
    async first() { while (!msgs.length) await new Promise((r) => { wake = r; }); return msgs[0]; },
  };
}

it('joins of both protocols in the same loop turn: one enters, the other gets 53104', async () => {
  for (let i = 0; i < 12; i++) {
    const room = `mix-race-${i}`;
    const rg = await connect(srv);
    const tw = await twilioSocket();
    // both joins leave in the same tick: the server reads them in one turn
    rg.send({ type: 'join', token: tok(srv, `rg-${i}`, room) });
    tw.ws.send(JSON.stringify({ type: 'msg', body: { type: 'connect', version: 2, name: room, token: tok(srv, `tw-${i}`, room), participant: { revision: 1, tracks: [] }, peer_connections: [] } }));
    const [a, b] = await Promise.all([rg.next(undefined, 5000), tw.first()]);
    const entered = [a.type === 'joined', b.type === 'connected'];
    assert.equal(entered.filter(Boolean).length, 1, `round ${i}: exactly one protocol holds ${room}: ${JSON.stringify([a, b])}`);
    const refused = entered[0] ? b : a;
    assert.equal(refused.code, 53104, JSON.stringify(refused));
    assert.deepEqual(await connectedList(srv, room, 'identity'), [entered[0] ? `rg-${i}` : `tw-${i}`]);
    rg.ws.terminate();
    tw.ws.terminate();
    await Promise.all([rg.closed, tw.closed]);
  }
});
