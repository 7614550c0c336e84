// Issue 10 item 2: POST /v2/rooms/deactivate ends the VideoSDK room for
// good.  The live participants (and a lobby guest) get 4052 and are
// closed, the store shows them disconnected, and no join path gets in
// again: roomId, customRoomId, the signaling room's RM sid, with a
// VideoSDK token or a Twilio token.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { assertExit0, assertStatus } from './lib/check.js';
import { join, tok } from './lib/signal.js';

const DEACTIVATED = 4052;

let srv;
before(async () => { srv = await startServer({ threads: 2, args: ['--access-log', 'off'] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

async function vtok(query) {
  const res = await srv.request('GET', '/get-token', { auth: srv.keyAuth, query });
  assertStatus(res, 200);
  return res.json.token;
}

async function makeRoom(token, customRoomId) {
  const res = await srv.request('POST', '/v2/rooms', { headers: { Authorization: token }, json: { customRoomId } });
  assertStatus(res, 200);
  return res.json;
}

async function deactivate(token, roomId) {
  const res = await srv.request('POST', '/v2/rooms/deactivate', { headers: { Authorization: token }, json: { roomId } });
  assertStatus(res, 200);
  assert.equal(res.json.disabled, true, res.text);
  return res.json;
}

async function participants(room, status) {
  const res = await srv.request('GET', `/v1/Rooms/${room}/Participants`, { auth: srv.keyAuth, query: { Status: status } });
  assertStatus(res, 200);
  return res.json.participants.map((p) => p.sid).sort();
}

/** The error message with code, then the close frame with the same
 *  application status (4052), not the generic 1008. */
async function closedWith(c, msg, code) {
  assert.equal(msg.type, 'error', JSON.stringify(msg));
  assert.equal(msg.code, code, JSON.stringify(msg));
  assert.equal(typeof msg.message, 'string');
  assert.equal((await c.closed).code, code, 'close status');
}

describe('POST /v2/rooms/deactivate', () => {
  // First, while the account has no VideoSDK room at all: the server then
  // answers "none" for every name from memory (store/hotcache.h), and the
  // first room created must end that answer at once.
  it('an account\'s first VideoSDK room, deactivated, is refused to a Twilio join at once', async () => {
    const plain = await join(srv, tok(srv, 'tw-before', 'deact-first-plain'));
    assert.equal(plain.joined.type, 'joined', JSON.stringify(plain.joined)); // asked: "none"
    await plain.c.close();
    const admin = await vtok({ permissions: 'allow_join' });
    const room = await makeRoom(admin, 'deact-first');
    await deactivate(admin, room.roomId);
    for (const name of ['deact-first', room.roomId]) {
      const x = await join(srv, tok(srv, 'tw-after', name));
      await closedWith(x.c, x.joined, DEACTIVATED);
    }
  });

  it('closes every live connection with 4052 and disconnects the participants in the store', async () => {
    const admin = await vtok({ permissions: 'allow_join,allow_mod' });
    const room = await makeRoom(admin, 'deact-live');
    const a = await join(srv, await vtok({ permissions: 'allow_join', participantId: 'alice' }), room.roomId);
    assert.equal(a.joined.type, 'joined', JSON.stringify(a.joined));
    const b = await join(srv, await vtok({ permissions: 'allow_join', participantId: 'bob' }), 'deact-live');
    assert.equal(b.joined.type, 'joined', JSON.stringify(b.joined));
    const rm = a.joined.room.sid;
    assert.equal(b.joined.room.sid, rm, 'roomId and customRoomId are the same room');
    const guest = await join(srv, await vtok({ permissions: 'ask_join', participantId: 'guest' }), room.roomId);
    assert.equal(guest.joined.type, 'waiting', JSON.stringify(guest.joined));
    const sids = [a, b].map((x) => x.joined.participant.sid).sort();
    assert.deepEqual(await participants(rm, 'connected'), sids);

    await deactivate(admin, room.roomId);
    await closedWith(a.c, await a.c.next('error'), DEACTIVATED);
    await closedWith(b.c, await b.c.next('error'), DEACTIVATED);
    await closedWith(guest.c, await guest.c.next('error'), DEACTIVATED);
    assert.deepEqual(await participants(rm, 'connected'), []);
    assert.deepEqual(await participants(rm, 'disconnected'), sids);
    // deactivating again is idempotent and closes nothing new
    await deactivate(admin, 'deact-live');
  });

  it('refuses every later join path with 4052, whatever the token format', async () => {
    const admin = await vtok({ permissions: 'allow_join' });
    const room = await makeRoom(admin, 'deact-paths');
    const first = await join(srv, admin, room.roomId);
    assert.equal(first.joined.type, 'joined', JSON.stringify(first.joined));
    const rm = first.joined.room.sid;
    await first.c.close();
    await deactivate(admin, room.roomId);

    const scoped = await vtok({ permissions: 'allow_join', roomId: room.roomId, participantId: 'scoped' });
    const attempts = [
      ['VideoSDK token, roomId', admin, room.roomId],
      ['VideoSDK token, customRoomId', admin, 'deact-paths'],
      ['VideoSDK token, RM sid', admin, rm],
      ['VideoSDK token scoped to the room', scoped, room.roomId],
      ['Twilio token naming the roomId', tok(srv, 'tw-1', room.roomId), undefined],
      ['Twilio token naming the customRoomId', tok(srv, 'tw-2', 'deact-paths'), undefined],
      ['Twilio token, RM sid', tok(srv, 'tw-3', undefined), rm],
      ['Twilio token, roomId as "room"', tok(srv, 'tw-4', undefined), room.roomId],
    ];
    for (const [what, token, name] of attempts) {
      const x = await join(srv, token, name);
      assert.equal(x.joined.type, 'error', `${what}: ${JSON.stringify(x.joined)}`);
      assert.equal(x.joined.code, DEACTIVATED, `${what}: ${JSON.stringify(x.joined)}`);
      assert.equal((await x.c.closed).code, DEACTIVATED, `${what}: close status`);
    }
    assert.deepEqual(await participants(rm, 'connected'), []);
  });

  it('a room deactivated before anyone joined cannot be opened by a Twilio token either', async () => {
    const admin = await vtok({ permissions: 'allow_join' });
    const room = await makeRoom(admin, undefined);
    await deactivate(admin, room.roomId);
    const x = await join(srv, tok(srv, 'tw', room.roomId));
    await closedWith(x.c, x.joined, DEACTIVATED);
    const rooms = await srv.request('GET', '/v1/Rooms', { auth: srv.keyAuth, query: { UniqueName: room.roomId } });
    assertStatus(rooms, 200);
    assert.deepEqual(rooms.json.rooms, [], 'no room was opened for it');
  });

  it('leaves other rooms alone', async () => {
    const admin = await vtok({ permissions: 'allow_join' });
    const gone = await makeRoom(admin, 'deact-gone');
    const kept = await makeRoom(admin, 'deact-kept');
    const a = await join(srv, admin, kept.roomId);
    assert.equal(a.joined.type, 'joined', JSON.stringify(a.joined));
    await deactivate(admin, gone.roomId);
    const b = await join(srv, tok(srv, 'tw', kept.roomId));
    assert.equal(b.joined.type, 'joined', JSON.stringify(b.joined));
    // a is still there: it hears b arrive, and b finds it in the room
    assert.equal((await a.c.next('participant_joined')).participant.sid, b.joined.participant.sid);
    assert.deepEqual(b.joined.participants, [a.joined.participant]);
    await Promise.all([a.c.close(), b.c.close()]);
  });
});
