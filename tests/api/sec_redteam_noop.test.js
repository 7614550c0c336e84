// docs/security.md, second round's known limitation: a Twilio-protocol
// `update` that changed nothing still raised the participant's revision and
// sent its whole state to every other member (within the message rate, one
// participant made each member receive it 50 times a second).  Now an
// update with the same tracks sends nothing to the others; its sender still
// hears `published`.  Counted, not timed: the other participant's messages
// up to the next real change are exactly that one change.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { tok } from './lib/signal.js';

let srv;
before(async () => { srv = await startServer({ args: ['--access-log', 'off'] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/** A raw /signaling client joined to room: msg(body) sends, until(pred) returns every room message up to pred's. */
async function joinTw(identity, room, tracks) {
  const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + '/signaling');
  const inbox = [];
  let wake = () => {};
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    if (m.type === 'msg') { inbox.push(m.body); wake(); }
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const beat = setInterval(() => ws.send(JSON.stringify({ type: 'heartbeat' })), 200);
  const closed = new Promise((resolve) => ws.on('close', () => { clearInterval(beat); resolve(); }));
  ws.send(JSON.stringify({ type: 'hello', id: 'x', timeout: 5000, version: 2, body: {
    type: 'connect', version: 2, name: room, token: tok(srv, identity, room),
    participant: { revision: 1, tracks }, peer_connections: [], ice_servers: 'acquire', format: 'unified' } }));
  const c = {
    closed,
    msg(body) { ws.send(JSON.stringify({ type: 'msg', body })); },
    async until(pred) {
      const seen = [];
      const deadline = Date.now() + 20000;
      for (;;) {
        while (inbox.length) { const b = inbox.shift(); seen.push(b); if (pred(b)) return seen; }
        if (Date.now() > deadline) throw new Error(`no such message; seen ${JSON.stringify(seen).slice(0, 800)}`);
        await new Promise((r) => { wake = r; setTimeout(r, 200); });
      }
    },
    close() { ws.close(); return closed; },
  };
  c.connected = (await c.until((b) => b.type === 'connected')).at(-1);
  return c;
}

const track = (id, kind, enabled = true) => ({ id, kind, name: id, enabled, priority: 'standard' });
const annMic = (enabled) => (b) => b.type === 'update' && b.participants &&
  b.participants.some((p) => p.identity === 'ann' && p.tracks.length === 1 && p.tracks[0].enabled === enabled);

describe('Twilio update without a change', () => {
  it('sends nothing to the other participant; the sender still hears published', async () => {
    const a = await joinTw('ann', 'noop-1', [track('mic', 'audio')]);
    const b = await joinTw('ben', 'noop-1', []);
    // a real change first: ben has heard everything before it
    a.msg({ type: 'update', participant: { revision: 2, tracks: [track('mic', 'audio', false)] } });
    await b.until(annMic(false));
    await a.until((m) => m.type === 'update' && m.published?.revision === 2);
    // the same tracks again, twice, then a real change
    a.msg({ type: 'update', participant: { revision: 3, tracks: [track('mic', 'audio', false)] } });
    a.msg({ type: 'update', participant: { revision: 4, tracks: [track('mic', 'audio', false)] } });
    a.msg({ type: 'update', participant: { revision: 5, tracks: [track('mic', 'audio', true)] } });
    const acks = await a.until((m) => m.type === 'update' && m.published?.revision === 5);
    assert.deepEqual(acks.filter((m) => m.published).map((m) => m.published.revision), [3, 4, 5], 'each newer revision is acknowledged to its sender');
    const seen = await b.until(annMic(true));
    assert.equal(seen.length, 1, `ben got only the real change: ${JSON.stringify(seen).slice(0, 800)}`);
    await a.close();
    await b.close();
  });
});
