// GET /signaling (issue 12 follow-up): a REST kick that lands while a
// Twilio participant is resuming its session (its socket dropped, a new
// socket's `sync` on its way, on either event loop) must never show the
// participant connected again: once the others heard it disconnected,
// nothing says otherwise, and the new socket gets an error (the kick's
// 53216, or 20106 when the sync came after the kick's revocation), never a
// session that stays.  Before, the resumed connection announced itself
// `connected` after the kick (the others saw the kicked participant come
// back) and could answer `synced`.
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from './lib/server.js';
import { assertExit0, assertStatus } from './lib/check.js';
import { tok, connectedList } from './lib/signal.js';

let srv;
before(async () => { srv = await startServer({ threads: 2, args: ['--access-log', 'off'] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/** A raw /signaling client keeping every room message in order. */
async function open() {
  const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + '/signaling');
  const all = [];
  const waiters = [];
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    if (m.type !== 'msg') return;
    all.push(m.body);
    for (const w of [...waiters]) w();
  });
  ws.on('error', () => {});
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const beat = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'heartbeat' })), 300);
  const closed = new Promise((resolve) => ws.on('close', (code) => { clearInterval(beat); resolve(code); }));
  return {
    ws,
    all,
    closed,
    hello(body) { ws.send(JSON.stringify({ type: 'hello', id: 'x', timeout: 5000, version: 2, body })); },
    /** Resolves the first message from index `from` on that pred accepts, with its index. */
    find(pred, what, from = 0, ms = 8000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = all.findIndex((b, k) => k >= from && pred(b));
          if (i < 0) return;
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(t);
          resolve({ body: all[i], index: i });
        };
        const t = setTimeout(() => { waiters.splice(waiters.indexOf(check), 1); reject(new Error(`no ${what}; got ${JSON.stringify(all.slice(from)).slice(0, 800)}`)); }, ms);
        waiters.push(check);
        check();
      });
    },
  };
}

const connectMsg = (identity, room) => ({ type: 'connect', version: 2, name: room, token: tok(srv, identity, room),
  participant: { revision: 1, tracks: [] }, peer_connections: [], ice_servers: 'acquire', format: 'unified' });
const about = (identity) => (b) => b.type === 'update' && Array.isArray(b.participants) && b.participants.some((p) => p.identity === identity);
const stateOf = (identity, b) => b.participants.find((p) => p.identity === identity).state;

/** One try: rita drops, then her sync and the kick go out together
 *  (`order`: which first, and how far apart), in a room of its own. */
async function attempt(room, order) {
  const sam = await open();
  sam.hello(connectMsg('sam', room));
  await sam.find((b) => b.type === 'connected', 'connected for sam');
  const rita = await open();
  const ritaToken = tok(srv, 'rita', room);
  rita.hello({ ...connectMsg('rita', room), token: ritaToken });
  const { body: connected } = await rita.find((b) => b.type === 'connected', 'connected for rita');
  await sam.find((b) => about('rita')(b) && stateOf('rita', b) === 'connected', 'rita connected, for sam');
  rita.ws.terminate();
  await rita.closed;
  await sam.find((b) => about('rita')(b) && stateOf('rita', b) === 'reconnecting', 'rita reconnecting, for sam');

  const again = await open();
  const sync = () => again.hello({ type: 'sync', version: 2, session: connected.session, name: room, token: ritaToken,
    participant: { revision: 1, tracks: [] }, peer_connections: [] });
  const kickNow = () => srv.request('POST', `/v1/Rooms/${room}/Participants/${connected.participant.sid}`, { auth: srv.keyAuth, form: { Status: 'disconnected' } });
  let kick;
  if (order === 0) { sync(); kick = kickNow(); }
  else if (order === 1) { kick = kickNow(); sync(); }
  else { sync(); await new Promise((r) => setTimeout(r, order - 1)); kick = kickNow(); }
  assertStatus(await kick, 200);

  // the new socket: an error and the close, whether or not a synced came first
  const { body: err } = await again.find((b) => b.type === 'error', `error for rita's new socket (${room})`);
  assert.ok([53216, 20106, 53002].includes(err.code), `${room}: ${JSON.stringify(again.all)}`);
  await again.closed;

  // sam heard rita disconnected; a later participant's arrival is the
  // marker: nothing about rita may come between (or after) them
  const { index: gone } = await sam.find((b) => about('rita')(b) && stateOf('rita', b) === 'disconnected', `rita disconnected, for sam (${room})`);
  const zed = await open();
  zed.hello(connectMsg('zed', room));
  await zed.find((b) => b.type === 'connected', 'connected for zed');
  await sam.find((b) => about('zed')(b), 'zed, for sam', gone + 1);
  const after = sam.all.slice(gone + 1).filter(about('rita'));
  assert.deepEqual(after.map((b) => stateOf('rita', b)), [], `${room}: rita after her kick; the new socket got ${JSON.stringify(again.all)}`);
  assert.deepEqual(await connectedList(srv, room, 'identity'), ['sam', 'zed'], room);
  for (const c of [sam, zed]) c.ws.close();
  await Promise.all([sam.closed, zed.closed]);
}

it('a kick during a resume: the others never see the kicked participant again, the new socket is refused (many tries, both loops)', async () => {
  for (let round = 0; round < 5; round++)
    await Promise.all([0, 1, 2, 3, 0, 1, 2, 3].map((order, i) => attempt(`kick-resume-${round}-${i}`, order)));
});
