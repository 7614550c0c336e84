// Signaling never crosses accounts: a token of account B cannot join
// account A's room, neither by its RM sid nor by its unique name (the store
// unit test covers the lookup; this is the same through /v1/signal).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cliJson, basic, waitCredentials } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { twilioToken } from './lib/jwt.js';
import { join, tok } from './lib/signal.js';

let srv; // account A is srv.account
let b; // account B: {account, key}
let roomA; // A's room 'shared-name'

/** A second account with a key, made with the CLI and seen by the server. */
async function otherAccount(s) {
  const account = cliJson(s.cli(['account', 'create']));
  const key = cliJson(s.cli(['key', 'create', '--account', account.sid]));
  await waitCredentials(s, key.sid, key.secret);
  return { account, key };
}
const tokB = (who, room, identity) => twilioToken({ keySid: who.key.sid, secret: who.key.secret, accountSid: who.account.sid, identity, room });

async function participants(s, auth, room) {
  const res = await s.request('GET', `/v1/Rooms/${room}/Participants`, { auth });
  assert.equal(res.status, 200, res.text);
  return res.json.participants.map((p) => p.identity);
}

before(async () => {
  srv = await startServer({ args: ['--access-log', 'off'] });
  b = await otherAccount(srv);
  const res = await srv.request('POST', '/v1/Rooms', { auth: srv.accountAuth, form: { UniqueName: 'shared-name' } });
  assert.equal(res.status, 201, res.text);
  roomA = res.json;
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

describe('another account\'s room', () => {
  it('by its RM sid: refused as no such room (53106), and A\'s members hear nothing', async () => {
    const alice = await join(srv, tok(srv, 'alice', 'shared-name'));
    assert.equal(alice.joined.type, 'joined', JSON.stringify(alice.joined));
    assert.equal(alice.joined.room.sid, roomA.sid);
    // the grant names A's sid, the join too
    const x = await join(srv, tokB(b, roomA.sid, 'mallory'), roomA.sid);
    assert.equal(x.joined.type, 'error', JSON.stringify(x.joined));
    assert.equal(x.joined.code, 53106, JSON.stringify(x.joined));
    await x.c.closed;
    // marker: A's own bob joins after; the first participant_joined alice
    // gets is bob's
    const bob = await join(srv, tok(srv, 'bob', 'shared-name'));
    assert.equal((await alice.c.next('participant_joined')).participant.identity, 'bob');
    assert.deepEqual((await participants(srv, srv.accountAuth, roomA.sid)).sort(), ['alice', 'bob']);
    await Promise.all([alice.c.close(), bob.c.close()]);
  });

  it('by its unique name: B gets a room of its own, never A\'s', async () => {
    const alice = await join(srv, tok(srv, 'alice', 'shared-name'));
    assert.equal(alice.joined.room.sid, roomA.sid);
    const y = await join(srv, tokB(b, 'shared-name', 'mallory'));
    assert.equal(y.joined.type, 'joined', JSON.stringify(y.joined));
    assert.notEqual(y.joined.room.sid, roomA.sid, 'B joined A\'s room');
    assert.deepEqual(y.joined.participants, [], 'B sees none of A\'s participants');
    // marker, as above
    const bob = await join(srv, tok(srv, 'bob', 'shared-name'));
    assert.equal((await alice.c.next('participant_joined')).participant.identity, 'bob');
    assert.deepEqual(bob.joined.participants.map((p) => p.identity), ['alice']);
    // each account's REST view: its own room, its own participant
    assert.equal((await participants(srv, srv.accountAuth, roomA.sid)).includes('mallory'), false);
    const bAuth = basic(b.key.sid, b.key.secret);
    assert.deepEqual(await participants(srv, bAuth, y.joined.room.sid), ['mallory']);
    const cross = await srv.request('GET', `/v1/Rooms/${roomA.sid}`, { auth: bAuth });
    assert.equal(cross.status, 404, cross.text);
    await Promise.all([alice.c.close(), bob.c.close(), y.c.close()]);
  });

  it('by its unique name with --no-auto-create-rooms: refused (53106) though A has a room of that name', async () => {
    const s = await startServer({ args: ['--no-auto-create-rooms', '--access-log', 'off'] });
    try {
      const made = await s.request('POST', '/v1/Rooms', { auth: s.accountAuth, form: { UniqueName: 'only-a' } });
      assert.equal(made.status, 201, made.text);
      const other = await otherAccount(s);
      const z = await join(s, tokB(other, 'only-a', 'mallory'));
      assert.equal(z.joined.type, 'error', JSON.stringify(z.joined));
      assert.equal(z.joined.code, 53106, JSON.stringify(z.joined));
      await z.c.closed;
      // A's own token does get in: the room is there
      const a = await join(s, tok(s, 'alice', 'only-a'));
      assert.equal(a.joined.type, 'joined', JSON.stringify(a.joined));
      assert.equal(a.joined.room.sid, made.json.sid);
      await a.c.close();
    } finally {
      assertExit0(s, await s.stop());
    }
  });
});
