// GET /signaling, session resume (issue 12 follow-up): a new socket that
// dies right after its `sync`, while the session is being handed over to it,
// must not leave the participant in the room with no connection.  The
// session stays resumable (a later sync gets `synced`), and a session nobody
// resumes ends after session_timeout (the participant is disconnected).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { tok, connectedList } from './lib/signal.js';

let srv;
before(async () => { srv = await startServer({ threads: 2, args: ['--access-log', 'off'] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/** A raw /signaling client: hello(body), msg(body), body(type) waits for a room message. */
async function open() {
  const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + '/signaling');
  const inbox = [];
  const waiters = [];
  ws.on('message', (data) => {
    inbox.push(JSON.parse(data.toString()));
    for (const w of [...waiters]) w();
  });
  ws.on('error', () => {}); // a terminated socket may report ECONNRESET: the close says the rest
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const beat = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'heartbeat' })), 300);
  const closed = new Promise((resolve) => ws.on('close', () => { clearInterval(beat); resolve(); }));
  const c = {
    ws,
    closed,
    hello(body, cb) { ws.send(JSON.stringify({ type: 'hello', id: 'x', timeout: 5000, version: 2, body }), cb); },
    body(type, pred = () => true, ms = 8000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = inbox.findIndex((m) => m.type === 'msg' && m.body.type === type && pred(m.body));
          if (i < 0) return;
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(t);
          resolve(inbox.splice(i, 1)[0].body);
        };
        const t = setTimeout(() => { waiters.splice(waiters.indexOf(check), 1); reject(new Error(`no ${type}; inbox ${JSON.stringify(inbox).slice(0, 600)}`)); }, ms);
        waiters.push(check);
        check();
      });
    },
  };
  return c;
}

const connectMsg = (identity, room) => ({ type: 'connect', version: 2, name: room, token: tok(srv, identity, room),
  participant: { revision: 1, tracks: [] }, peer_connections: [], ice_servers: 'acquire', format: 'unified' });
const syncMsg = (identity, room, session) => ({ type: 'sync', version: 2, session, name: room, token: tok(srv, identity, room),
  participant: { revision: 1, tracks: [] }, peer_connections: [] });
const stateOf = (identity) => (b) => b.participants && b.participants.some((p) => p.identity === identity);

async function join(identity, room) {
  const c = await open();
  c.hello(connectMsg(identity, room));
  return { c, connected: await c.body('connected') };
}

/** Drops rita's socket, then a new socket syncs and dies at once (the race). */
async function dropThenRace(rita, sam, room, session) {
  rita.ws.terminate();
  await rita.closed;
  const down = await sam.body('update', (b) => stateOf('rita')(b) && b.participants[0].state === 'reconnecting');
  const racer = await open();
  // dies as soon as the server has taken the hello (its welcome), while
  // the session is on its way
  racer.ws.on('message', () => racer.ws.terminate());
  racer.hello(syncMsg('rita', room, session));
  await racer.closed;
  // the dead socket's connection took the session: the others see rita
  // connected, then reconnecting again (newer revisions), as after a drop
  const rev = down.participants[0].revision;
  await sam.body('update', (b) => stateOf('rita')(b) && b.participants[0].state === 'connected' && b.participants[0].revision > rev);
  await sam.body('update', (b) => stateOf('rita')(b) && b.participants[0].state === 'reconnecting' && b.participants[0].revision > rev);
}

describe('a sync whose socket dies at once', () => {
  it('leaves the session resumable: the next sync gets synced, the others see connected (several rounds, either loop)', async () => {
    const room = 'race-resume';
    const { c: sam } = await join('sam', room);
    let { c: rita, connected } = await join('rita', room);
    for (let round = 0; round < 6; round++) {
      await dropThenRace(rita, sam, room, connected.session);
      rita = await open();
      rita.hello(syncMsg('rita', room, connected.session));
      const synced = await rita.body('synced');
      assert.equal(synced.participant.sid, connected.participant.sid, `round ${round}: the same participant`);
      await sam.body('update', (b) => stateOf('rita')(b) && b.participants[0].state === 'connected');
      assert.deepEqual(await connectedList(srv, room, 'identity'), ['rita', 'sam']);
    }
    sam.ws.close();
    rita.ws.close();
    await Promise.all([sam.closed, rita.closed]);
  });

  it('a session nobody resumes ends after session_timeout: the participant is disconnected', async () => {
    const room = 'race-timeout';
    const { c: sam } = await join('sam', room);
    const { c: rita, connected } = await join('rita', room);
    await dropThenRace(rita, sam, room, connected.session);
    assert.deepEqual(await connectedList(srv, room, 'identity'), ['rita', 'sam'], 'within session_timeout: still in');
    // session_timeout is 30 s (what `connected` announced)
    assert.equal(connected.options.session_timeout, 30);
    const left = await sam.body('update', (b) => stateOf('rita')(b) && b.participants[0].state === 'disconnected', 45000);
    assert.equal(left.participants[0].sid, connected.participant.sid);
    assert.deepEqual(await connectedList(srv, room, 'identity'), ['sam']);
    sam.ws.close();
    await sam.closed;
  });
});
