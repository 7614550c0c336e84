// WebSocket signaling (docs/signaling.md): join and its refusals, capacity
// (also under a burst), duplicate identities, kicks, the participant
// notices and the store's rows, relay.  Lobby and moderation are in
// signal_lobby.test.js, limits and keepalive in signal_limits.test.js.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { now } from './lib/jwt.js';
import { connect, join, tok, connectedList } from './lib/signal.js';

const PA_RE = /^PA[0-9a-f]{32}$/;
const RM_RE = /^RM[0-9a-f]{32}$/;

let srv;
before(async () => { srv = await startServer({ threads: 2, args: ['--access-log', 'off'] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

const rest = (method, p, form) => srv.request(method, p, { auth: srv.keyAuth, form });

const connected = (room) => connectedList(srv, room, 'sid');

/** Expects an error message with code, then the close. */
async function refused(c, first, code) {
  assert.equal(first.type, 'error', JSON.stringify(first));
  assert.equal(first.code, code, JSON.stringify(first));
  assert.equal(typeof first.message, 'string');
  await c.closed;
}

describe('join', () => {
  it('answers joined with the room, the participant, the others and ice_servers', async () => {
    const a = await join(srv, tok(srv, 'alice', 'shape-1'));
    assert.equal(a.joined.type, 'joined', JSON.stringify(a.joined));
    assert.deepEqual(Object.keys(a.joined).sort(), ['ice_servers', 'participant', 'participants', 'room', 'type']);
    assert.match(a.joined.room.sid, RM_RE);
    assert.equal(a.joined.room.name, 'shape-1');
    assert.equal(a.joined.room.type, 'group');
    assert.match(a.joined.participant.sid, PA_RE);
    assert.equal(a.joined.participant.identity, 'alice');
    // rooms' and participants' SIDs start with their second (8 hex digits),
    // so their indexes grow at the end (docs/api.md "SIDs")
    for (const sid of [a.joined.room.sid, a.joined.participant.sid]) {
      assert.ok(Math.abs(parseInt(sid.slice(2, 10), 16) - Date.now() / 1000) < 120, sid);
    }
    assert.deepEqual(a.joined.participants, []);
    assert.ok(Array.isArray(a.joined.ice_servers));
    const b = await join(srv, tok(srv, 'bob', undefined), 'shape-1'); // grant for any room + "room"
    assert.equal(b.joined.type, 'joined');
    assert.equal(b.joined.room.sid, a.joined.room.sid);
    assert.deepEqual(b.joined.participants, [a.joined.participant]);
    assert.deepEqual((await a.c.next('participant_joined')).participant, b.joined.participant);
    // the room's RM sid works as its name
    const c = await join(srv, tok(srv, 'carol', undefined), a.joined.room.sid);
    assert.equal(c.joined.room.name, 'shape-1');
    assert.deepEqual(await connected('shape-1'), [a, b, c].map((x) => x.joined.participant.sid).sort());
    await Promise.all([a.c.close(), b.c.close(), c.c.close()]);
  });

  it('refuses a grant for another room, and a grant without room and no "room"', async () => {
    const x = await join(srv, tok(srv, 'alice', 'room-a'), 'room-b');
    await refused(x.c, x.joined, 20101);
    const y = await join(srv, tok(srv, 'alice', undefined));
    await refused(y.c, y.joined, 53004);
  });

  it('refuses expired, forged and non-video tokens', async () => {
    const old = await join(srv, tok(srv, 'alice', 'r-exp', { iat: now() - 7200, ttl: 3600 }));
    await refused(old.c, old.joined, 20104);
    const forged = await join(srv, tok(srv, 'alice', 'r-exp', { secret: 'not-the-secret' }));
    await refused(forged.c, forged.joined, 20107);
    const garbage = await join(srv, 'a.b.c');
    await refused(garbage.c, garbage.joined, 20101);
    // refused before the room is looked up: nobody joined, no room was made
    const res = await rest('GET', '/v1/Rooms/r-exp/Participants');
    assert.equal(res.status, 404, res.text);
    assert.equal(res.json.code, 20404, res.text);
  });

  it('refuses a completed room (53118) and closes live connections when a room completes', async () => {
    const made = await rest('POST', '/v1/Rooms', { UniqueName: 'done-1' });
    assert.equal(made.status, 201, made.text);
    const a = await join(srv, tok(srv, 'alice', 'done-1'));
    assert.equal(a.joined.type, 'joined');
    const done = await rest('POST', `/v1/Rooms/${made.json.sid}`, { Status: 'completed' });
    assert.equal(done.status, 200, done.text);
    await refused(a.c, await a.c.next('error'), 53118);
    const late = await join(srv, tok(srv, 'bob', 'done-1'));
    await refused(late.c, late.joined, 53118);
    const bySid = await join(srv, tok(srv, 'bob', undefined), made.json.sid);
    await refused(bySid.c, bySid.joined, 53118);
  });

  it('refuses a deactivated VideoSDK room (4052) and admits an active one by roomId', async () => {
    const vt = (await srv.request('GET', '/get-token', { auth: srv.keyAuth, query: { permissions: 'allow_join', participantId: 'v1' } })).json.token;
    const room = (await srv.request('POST', '/v2/rooms', { headers: { Authorization: vt }, json: {} })).json.roomId;
    const ok = await join(srv, vt, room);
    assert.equal(ok.joined.type, 'joined', JSON.stringify(ok.joined));
    assert.equal(ok.joined.room.name, room);
    assert.equal(ok.joined.participant.identity, 'v1');
    await ok.c.close();
    const off = await srv.request('POST', '/v2/rooms/deactivate', { headers: { Authorization: vt }, json: { roomId: room } });
    assert.equal(off.status, 200, off.text);
    const no = await join(srv, vt, room);
    await refused(no.c, no.joined, 4052);
  });

  it('refuses a missing room with --no-auto-create-rooms (53106) but admits an existing one', async () => {
    const s2 = await startServer({ args: ['--no-auto-create-rooms', '--access-log', 'off'] });
    try {
      const t = (id, room) => tok(s2, id, room);
      const x = await join(s2, t('alice', 'nope'));
      await refused(x.c, x.joined, 53106);
      await s2.request('POST', '/v1/Rooms', { auth: s2.keyAuth, form: { UniqueName: 'there' } });
      const y = await join(s2, t('alice', 'there'));
      assert.equal(y.joined.type, 'joined');
      await y.c.close();
    } finally {
      assertExit0(s2, await s2.stop());
    }
  });
});

describe('capacity', () => {
  it('a third join of a go room gets 53105', async () => {
    await rest('POST', '/v1/Rooms', { UniqueName: 'go-1', Type: 'go' });
    const a = await join(srv, tok(srv, 'alice', 'go-1'));
    const b = await join(srv, tok(srv, 'bob', 'go-1'));
    assert.equal(a.joined.type, 'joined');
    assert.equal(b.joined.type, 'joined');
    assert.equal(a.joined.room.type, 'go');
    const c = await join(srv, tok(srv, 'carol', 'go-1'));
    await refused(c.c, c.joined, 53105);
    // marker: bob leaves after carol was refused; notices reach alice in the
    // order the room gave them, so the first participant_left she gets
    // being bob's proves none came for carol
    await b.c.close();
    assert.equal((await a.c.next('participant_left')).participant.sid, b.joined.participant.sid, 'no notice for a refused join');
    await a.c.close();
  });

  it('of 10 simultaneous joins to a go room exactly 2 succeed (2 loops)', async () => {
    await rest('POST', '/v1/Rooms', { UniqueName: 'go-burst', Type: 'go' });
    const conns = await Promise.all(Array.from({ length: 10 }, (_, i) => connect(srv)));
    conns.forEach((c, i) => c.send({ type: 'join', token: tok(srv, `u${i}`, 'go-burst') }));
    const firsts = await Promise.all(conns.map((c) => c.next()));
    const ok = firsts.filter((m) => m.type === 'joined');
    const full = firsts.filter((m) => m.type === 'error' && m.code === 53105);
    assert.equal(ok.length, 2, JSON.stringify(firsts));
    assert.equal(full.length, 8, JSON.stringify(firsts));
    assert.deepEqual(await connected('go-burst'), ok.map((m) => m.participant.sid).sort());
    await Promise.all(conns.map((c) => c.close()));
    assert.deepEqual(await connected('go-burst'), []);
  });

  it('the same identity again replaces the old connection, which gets 53205', async () => {
    await rest('POST', '/v1/Rooms', { UniqueName: 'go-dup', Type: 'go' });
    const a1 = await join(srv, tok(srv, 'alice', 'go-dup'));
    const b = await join(srv, tok(srv, 'bob', 'go-dup'));
    assert.equal((await a1.c.next('participant_joined')).participant.identity, 'bob');
    const a2 = await join(srv, tok(srv, 'alice', 'go-dup')); // the room is full, yet alice gets in
    assert.equal(a2.joined.type, 'joined', JSON.stringify(a2.joined));
    assert.deepEqual(a2.joined.participants.map((p) => p.identity), ['bob']);
    await refused(a1.c, await a1.c.next('error'), 53205);
    const left = await b.c.next('participant_left');
    assert.equal(left.participant.sid, a1.joined.participant.sid);
    const joined = await b.c.next('participant_joined');
    assert.equal(joined.participant.sid, a2.joined.participant.sid);
    assert.deepEqual(await connected('go-dup'), [a2.joined.participant.sid, b.joined.participant.sid].sort());
    await Promise.all([a2.c.close(), b.c.close()]);
  });
});

describe('kick and leave', () => {
  it('a REST kick closes the connection and the old token cannot rejoin', async () => {
    const token = tok(srv, 'mallory', 'kick-1');
    const m = await join(srv, token);
    const a = await join(srv, tok(srv, 'alice', 'kick-1'));
    const kicked = await rest('POST', `/v1/Rooms/kick-1/Participants/${m.joined.participant.sid}`, { Status: 'disconnected' });
    assert.equal(kicked.status, 200, kicked.text);
    await refused(m.c, await m.c.next('error'), 53216);
    assert.equal((await a.c.next('participant_left')).participant.sid, m.joined.participant.sid);
    const again = await join(srv, token);
    await refused(again.c, again.joined, 20106);
    assert.deepEqual(await connected('kick-1'), [a.joined.participant.sid]);
    await a.c.close();
  });

  it('the kicked token stays refused in a later room of the same name, as validate says (the set knows the room by name too)', async () => {
    const token = tok(srv, 'mallory', 'kick-2');
    const m = await join(srv, token);
    assert.equal(m.joined.type, 'joined', JSON.stringify(m.joined));
    const kicked = await rest('POST', `/v1/Rooms/kick-2/Participants/${m.joined.participant.sid}`, { Status: 'disconnected' });
    assert.equal(kicked.status, 200, kicked.text);
    await refused(m.c, await m.c.next('error'), 53216);
    const done = await rest('POST', `/v1/Rooms/${m.joined.room.sid}`, { Status: 'completed' });
    assert.equal(done.status, 200, done.text);
    // a new room of that name (a completed one is not reopened by a join)
    const made = await rest('POST', '/v1/Rooms', { UniqueName: 'kick-2' });
    assert.equal(made.status, 201, made.text);
    assert.notEqual(made.json.sid, m.joined.room.sid);
    const a = await join(srv, tok(srv, 'alice', 'kick-2'));
    assert.equal(a.joined.type, 'joined', JSON.stringify(a.joined));
    assert.equal(a.joined.room.sid, made.json.sid);
    const checked = await srv.request('POST', `/v1/Accounts/${srv.account.sid}/Tokens/validate`,
      { auth: srv.accountAuth, json: { token } });
    assert.equal(checked.json.valid, false, checked.text);
    const again = await join(srv, token);
    await refused(again.c, again.joined, 20106);
    assert.deepEqual(await connected('kick-2'), [a.joined.participant.sid]);
    await a.c.close();
  });

  it('a room completed or a participant ended by the CLI (another process) closes live connections', async () => {
    const a = await join(srv, tok(srv, 'alice', 'cli-sync-1'));
    const b = await join(srv, tok(srv, 'bob', 'cli-sync-1'));
    await a.c.next('participant_joined');
    srv.cli(['participant', 'leave', '--account', srv.account.sid, '--room', 'cli-sync-1', '--identity', b.joined.participant.sid]);
    await refused(b.c, await b.c.next('error'), 53216);
    assert.equal((await a.c.next('participant_left')).participant.sid, b.joined.participant.sid);
    srv.cli(['room', 'complete', '--account', srv.account.sid, 'cli-sync-1']);
    await refused(a.c, await a.c.next('error'), 53118);
    assert.deepEqual(await connected('cli-sync-1'), []);
  });

  it('participant_joined and participant_left come in pairs; rows follow the connections', async () => {
    const a = await join(srv, tok(srv, 'alice', 'pairs-1'));
    const b = await join(srv, tok(srv, 'bob', 'pairs-1'));
    const c = await join(srv, tok(srv, 'carol', 'pairs-1'));
    assert.deepEqual(await connected('pairs-1'), [a, b, c].map((x) => x.joined.participant.sid).sort());
    c.c.ws.terminate(); // vanishes without a close frame
    await b.c.close();
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await a.c.next());
    const bySid = (sid) => seen.filter((m) => m.participant.sid === sid).map((m) => m.type);
    assert.deepEqual(bySid(b.joined.participant.sid), ['participant_joined', 'participant_left']);
    assert.deepEqual(bySid(c.joined.participant.sid), ['participant_joined', 'participant_left']);
    assert.deepEqual(await connected('pairs-1'), [a.joined.participant.sid]);
    const all = await rest('GET', '/v1/Rooms/pairs-1/Participants');
    assert.equal(all.json.participants.length, 3);
    await a.c.close();
    assert.deepEqual(await connected('pairs-1'), []);
  });
});

describe('relay', () => {
  it('relays to a peer of the same room only; an unknown target is an error, not a close', async () => {
    const a = await join(srv, tok(srv, 'alice', 'relay-1'));
    const b = await join(srv, tok(srv, 'bob', 'relay-1'));
    const x = await join(srv, tok(srv, 'eve', 'relay-2'));
    await a.c.next('participant_joined');
    const data = { sdp: 'v=0\r\n', kind: 'offer', n: [1, 2, 3] };
    a.c.send({ type: 'signal', to: b.joined.participant.sid, data });
    assert.deepEqual(await b.c.next('signal'), { type: 'signal', from: a.joined.participant.sid, data });
    x.c.send({ type: 'signal', to: a.joined.participant.sid, data: { steal: 1 } });
    const err = await x.c.next('error');
    assert.equal(err.code, 53204);
    a.c.send({ type: 'signal', to: 'PA' + '0'.repeat(32), data: {} });
    assert.equal((await a.c.next('error')).code, 53204);
    a.c.send({ type: 'signal', to: a.joined.participant.sid, data: {} });
    assert.equal((await a.c.next('error')).code, 53204, 'not to itself');
    // marker: bob's signal, sent after eve's was refused, is the first
    // signal alice gets, so nothing crossed rooms
    b.c.send({ type: 'signal', to: a.joined.participant.sid, data: { kind: 'answer' } });
    assert.deepEqual(await a.c.next('signal'), { type: 'signal', from: b.joined.participant.sid, data: { kind: 'answer' } }, 'nothing crossed rooms');
    await Promise.all([a.c.close(), b.c.close(), x.c.close()]);
  });
});
