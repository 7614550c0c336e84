// GET /signaling: Twilio's `ice` hands out TURN credentials (relay
// bandwidth) before any join, so it is admitted exactly as the `connect`
// that follows would be: a completed room (53118), a deactivated VideoSDK
// room (4052, closed with 4052), a cancelled consultation (53118: its room
// was completed), an unknown room with auto-create off (53106) get the
// join's error and no servers, and nothing is created by asking.  It
// checked only the token, its grant and a kick's revocation: each case
// below got `iced` with a TURN credential.  `sync` is admitted the same way.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from './lib/server.js';
import { assertExit0, assertStatus } from './lib/check.js';
import { tok } from './lib/signal.js';

const TURN = ['--turn-uri', 'turn:turn.example.com:3478', '--turn-secret', 'a-turn-secret-of-enough-length'];

let srv;
before(async () => { srv = await startServer({ args: ['--access-log', 'off', ...TURN] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/** Opens /signaling, says hello with body; resolves the first room message and the close code. */
async function helloWith(server, body) {
  const ws = new WebSocket(server.url.replace(/^http/, 'ws') + '/signaling');
  const closed = new Promise((r) => ws.on('close', (code) => r(code)));
  const first = new Promise((resolve) => ws.on('message', (d) => { const m = JSON.parse(d.toString()); if (m.type === 'msg') resolve(m.body); }));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ type: 'hello', version: 2, body }));
  return { ws, first, closed };
}

const ice = (token) => ({ type: 'ice', version: 1, token });
const connect = (token, name) => ({ type: 'connect', version: 2, name, token, participant: { revision: 1, tracks: [] }, peer_connections: [] });

/** ice and connect with this token both get error `code`, closed with `close`; no server handed out. */
async function refusedLikeConnect(server, token, name, code, close = 1008) {
  for (const body of [ice(token), connect(token, name)]) {
    const c = await helloWith(server, body);
    const answer = await c.first;
    assert.equal(answer.type, 'error', `${body.type}: ${JSON.stringify(answer)}`);
    assert.equal(answer.code, code, `${body.type}: ${JSON.stringify(answer)}`);
    assert.equal(await c.closed, close, `${body.type}: close status`);
  }
}

async function iced(server, token) {
  const c = await helloWith(server, ice(token));
  const answer = await c.first;
  assert.equal(answer.type, 'iced', JSON.stringify(answer));
  assert.ok(answer.ice_servers.some((s) => s.credential), JSON.stringify(answer));
  c.ws.close();
  await c.closed;
}

async function roomList(name) {
  const res = await srv.request('GET', '/v1/Rooms', { auth: srv.keyAuth, query: { UniqueName: name } });
  assertStatus(res, 200);
  return res.json.rooms;
}

describe('Twilio ice is admitted as connect', () => {
  it('a completed room: 53118, no TURN credential', async () => {
    const made = await srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, form: { UniqueName: 'ice-done' } });
    assertStatus(made, 201);
    const token = tok(srv, 'late', 'ice-done');
    await iced(srv, token); // in progress: served
    const done = await srv.request('POST', '/v1/Rooms/ice-done', { auth: srv.keyAuth, form: { Status: 'completed' } });
    assertStatus(done, 200);
    await refusedLikeConnect(srv, token, 'ice-done', 53118);
  });

  it('a room a join would create: served, and nothing is created by asking', async () => {
    await iced(srv, tok(srv, 'first', 'ice-fresh'));
    assert.deepEqual(await roomList('ice-fresh'), []);
  });

  it('a deactivated VideoSDK room: 4052, closed with 4052', async () => {
    const vtok = async (query) => {
      const res = await srv.request('GET', '/get-token', { auth: srv.keyAuth, query });
      assertStatus(res, 200);
      return res.json.token;
    };
    const admin = await vtok({ permissions: 'allow_join,allow_mod' });
    const made = await srv.request('POST', '/v2/rooms', { headers: { Authorization: admin }, json: { customRoomId: 'ice-meeting' } });
    assertStatus(made, 200);
    const token = tok(srv, 'guest', 'ice-meeting');
    await iced(srv, token);
    const off = await srv.request('POST', '/v2/rooms/deactivate', { headers: { Authorization: admin }, json: { roomId: made.json.roomId } });
    assertStatus(off, 200);
    await refusedLikeConnect(srv, token, 'ice-meeting', 4052, 4052);
    await refusedLikeConnect(srv, tok(srv, 'guest', made.json.roomId), made.json.roomId, 4052, 4052);
  });

  it('a cancelled consultation: its tokens get no TURN credential', async () => {
    const iso = (s) => new Date(Date.now() + s * 1000).toISOString();
    const k = await srv.request('POST', '/v1/Consultations', { auth: srv.keyAuth, json: {
      consultation_id: 'ice-consult', detail_id: 'd1', client_identity: 'pat', provider_identity: 'doc',
      starts_at: iso(-60), ends_at: iso(3600) } });
    assertStatus(k, 201);
    const t = await srv.request('POST', '/v1/Consultations/ice-consult/Tokens', { auth: srv.keyAuth, json: { identity: 'pat', detail_id: 'd1' } });
    assertStatus(t, 200);
    await iced(srv, t.json.token);
    assertStatus(await srv.request('DELETE', '/v1/Consultations/ice-consult', { auth: srv.keyAuth }), 200);
    await refusedLikeConnect(srv, t.json.token, 'ice-consult', 53118);
  });

  it('sync to a completed room: 53118 (the session cannot resume there)', async () => {
    const made = await srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, form: { UniqueName: 'sync-done' } });
    assertStatus(made, 201);
    assertStatus(await srv.request('POST', '/v1/Rooms/sync-done', { auth: srv.keyAuth, form: { Status: 'completed' } }), 200);
    const c = await helloWith(srv, { ...connect(tok(srv, 'x', 'sync-done'), 'sync-done'), type: 'sync', session: 'SE0' });
    const answer = await c.first;
    assert.equal(answer.type, 'error', JSON.stringify(answer));
    assert.equal(answer.code, 53118, JSON.stringify(answer));
    assert.equal(await c.closed, 1008);
  });
});

describe('Twilio ice with auto-create off', () => {
  let off;
  before(async () => { off = await startServer({ args: ['--access-log', 'off', '--no-auto-create-rooms', ...TURN] }); });
  after(async () => { if (off) assertExit0(off, await off.stop()); });

  it('an unknown room: 53106, as connect', async () => {
    await refusedLikeConnect(off, tok(off, 'who', 'ice-nowhere'), 'ice-nowhere', 53106);
  });
});
