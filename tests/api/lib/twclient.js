// A raw Twilio-protocol client (GET /signaling, twilio-video.js's room
// messages) that keeps what the server told it: the other participants by
// sid (their latest state, as `update`s and `synced` list them) and every
// peer connection message, in order.  For tests across nodes
// (lib/multinode.js); tests/api/twilio_signaling.test.js tests the
// protocol message by message.
//
// It negotiates as twilio-video.js does: an offer on each id the server
// asks it to (create-offer), an answer to each offer it gets.
//
//   const ann = await twJoin(srv, 'ann', 'room', [twTrack('ann-mic', 'audio')]);
//   await ann.knows((peers) => peers.some((p) => p.identity === 'bob'));
//   ann.bye(); await ann.closed;
import WebSocket from 'ws';
import { tok } from './signal.js';
import { UNDER_VALGRIND } from './server.js';

/** How long a wait may take: generous, as the machine may be loaded. */
const WAIT_MS = UNDER_VALGRIND ? 90000 : 20000;

export const twTrack = (id, kind) => ({ id, kind, name: id, enabled: true, priority: 'standard' });
/** An offer (or answer) whose SDP names who made it: the other end can
 * tell whom a peer connection joins it to. */
export const twDesc = (type, identity, id) => ({ id, description: { type, revision: 1, sdp: `v=0 ${type} ${identity} ${id}` } });

/** Connects identity to room on srv with these tracks and first peer
 * connections; resolves once `connected` (rejects on an error). */
export async function twJoin(srv, identity, room, tracks = [], pcs = [twDesc('offer', identity, `pc-${identity}`)], ms = WAIT_MS) {
  const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + '/signaling');
  const c = {
    ws,
    identity,
    peers: new Map(), // sid -> {identity, state, revision, tracks}
    pcs: [], // every peer_connections entry received, in order
    bodies: [],
    closed: new Promise((resolve) => ws.on('close', (code) => resolve(code))),
    msg(body) { ws.send(JSON.stringify({ type: 'msg', body })); },
    bye() { ws.send(JSON.stringify({ type: 'bye' })); },
    /** Waits until pred(the participants it knows, as an array) holds. */
    /** The ids of the offers and answers it got from `other` (an identity). */
    pcsFrom(other) {
      return new Set(c.pcs.filter((pc) => pc.description?.sdp?.split(' ')[2] === other).map((pc) => pc.id));
    },
    knows(pred, what = 'condition', wait = ms) {
      return c.waitFor(() => pred([...c.peers.values()]), `${identity} knows ${what}`, wait);
    },
    waitFor(cond, what, wait = ms) {
      if (cond()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { cond, resolve };
        w.timer = setTimeout(() => {
          c.waiters.delete(w);
          reject(new Error(`never: ${what}; peers ${JSON.stringify([...c.peers.values()])} pcs ${JSON.stringify(c.pcs)}`));
        }, wait);
        c.waiters.add(w);
      });
    },
    waiters: new Set(),
  };
  let beat;
  ws.on('close', () => clearInterval(beat));
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    if (m.type === 'welcome') beat = setInterval(() => ws.send(JSON.stringify({ type: 'heartbeat' })), 1000);
    if (m.type !== 'msg') return;
    const b = m.body;
    c.bodies.push(b);
    for (const p of b.participants || []) {
      const had = c.peers.get(p.sid);
      if (!had || had.revision < p.revision) c.peers.set(p.sid, p);
    }
    for (const pc of b.peer_connections || []) {
      c.pcs.push(pc);
      const type = pc.description?.type;
      if (type === 'create-offer' || type === 'offer') {
        c.msg({ type: 'update', version: 2, peer_connections: [twDesc(type === 'offer' ? 'answer' : 'offer', identity, pc.id)] });
      }
    }
    for (const w of [...c.waiters]) if (w.cond()) { clearTimeout(w.timer); c.waiters.delete(w); w.resolve(); }
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({
    type: 'hello', id: 'x', timeout: 5000, version: 2,
    body: {
      type: 'connect', version: 2, name: room, token: tok(srv, identity, room),
      participant: { revision: 1, tracks }, peer_connections: pcs, ice_servers: 'acquire', format: 'unified',
    },
  }));
  await c.waitFor(() => c.bodies.some((b) => b.type === 'connected' || b.type === 'error'), `${identity} connected`, ms);
  const first = c.bodies.find((b) => b.type === 'connected' || b.type === 'error');
  if (first.type === 'error') throw new Error(`${identity}: error ${first.code} ${first.message}`);
  c.connected = first;
  c.sid = first.participant.sid;
  return c;
}
