// Red-team pass, second round (docs/security.md "Red-team pass, second
// round"): a kick revokes the participant's token for that room, and the
// join and the validate route refused it, but three other places that take
// a token as the credential did not ask the revocation set:
// - the VideoSDK REST routes: a kicked moderator (allow_mod, roomId) still
//   fetched and DEACTIVATED the room, closing it for everyone;
// - the validate route for a VideoSDK token without participantId (its
//   identity is the jti, as the join takes it), or scoped by customRoomId
//   (the set knows the room by its roomId): valid:true after the kick;
// - /sec_rec's local validation: the kicked token still got media links.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertExit0 } from './lib/check.js';
import { join, tok } from './lib/signal.js';
import { startRecServer, upload, secRec } from './lib/rec.js';

let srv;
before(async () => { srv = await startRecServer({ args: ['--access-log', 'off'] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/** A VideoSDK token minted by the server (GET /get-token). */
async function vsdk(query) {
  const r = await srv.request('GET', '/get-token', { auth: srv.keyAuth, query });
  assert.equal(r.status, 200, r.text);
  return r.json.token;
}
const rest = (method, p, token, json) => srv.request(method, p, { headers: { Authorization: token }, json });

/** Joins over /v1/signal, then kicks by REST; resolves the joined message. */
async function joinAndKick(token, room) {
  const { c, joined } = await join(srv, token, room);
  assert.equal(joined.type, 'joined', JSON.stringify(joined));
  const k = await srv.request('POST', `/v1/Rooms/${joined.room.sid}/Participants/${joined.participant.sid}`,
    { auth: srv.accountAuth, form: { Status: 'disconnected' } });
  assert.equal(k.status, 200, k.text);
  const err = await c.next('error');
  assert.equal(err.code, 53216);
  await c.closed;
  return joined;
}

describe('a kicked token is refused everywhere it is a credential', () => {
  it('VideoSDK REST: a kicked moderator can neither fetch nor deactivate the room (401/4002); the room stays active', async () => {
    const crawler = await vsdk({ roles: 'crawler' });
    const made = await rest('POST', '/v2/rooms', crawler, {});
    assert.equal(made.status, 200, made.text);
    const roomId = made.json.roomId;
    const mod = await vsdk({ roomId, permissions: 'allow_join,allow_mod', participantId: 'mallory' });
    assert.equal((await rest('GET', `/v2/rooms/${roomId}`, mod)).status, 200, 'usable before the kick');
    await joinAndKick(mod, roomId);
    // the join refuses it ...
    const { joined: again } = await join(srv, mod, roomId);
    assert.equal(again.code, 20106);
    // ... and so does REST now
    const f = await rest('GET', `/v2/rooms/${roomId}`, mod);
    assert.equal(f.status, 401, f.text);
    assert.equal(f.json.code, 4002);
    const d = await rest('POST', '/v2/rooms/deactivate', mod, { roomId });
    assert.equal(d.status, 401, `a kicked moderator deactivated the room: ${d.text}`);
    assert.equal((await rest('GET', `/v2/rooms/${roomId}`, crawler)).json.disabled, false);
    // a token of another identity is not touched by that kick
    const other = await vsdk({ roomId, permissions: 'allow_join,allow_mod', participantId: 'olga' });
    assert.equal((await rest('GET', `/v2/rooms/${roomId}`, other)).status, 200);
  });

  it('validate: a kicked VideoSDK token without participantId (identity = its jti) is valid:false, 20106', async () => {
    const roomId = 'rt-jti-room';
    const t = await vsdk({ roomId, permissions: 'allow_join' });
    const before = await srv.request('POST', `/v1/Accounts/${srv.account.sid}/Tokens/validate`, { auth: srv.accountAuth, form: { token: t } });
    assert.equal(before.json.valid, true, before.text);
    await joinAndKick(t, roomId);
    const v = await srv.request('POST', `/v1/Accounts/${srv.account.sid}/Tokens/validate`, { auth: srv.accountAuth, form: { token: t } });
    assert.equal(v.json.valid, false, `still valid after the kick: ${v.text}`);
    assert.equal(v.json.code, 20106);
  });

  it('validate: a kicked VideoSDK token scoped by customRoomId is valid:false, 20106 (the set knows the room by its roomId)', async () => {
    const crawler = await vsdk({ roles: 'crawler' });
    const made = await rest('POST', '/v2/rooms', crawler, { customRoomId: 'rt-standup' });
    assert.equal(made.status, 200, made.text);
    const t = await vsdk({ roomId: 'rt-standup', permissions: 'allow_join', participantId: 'pat' });
    await joinAndKick(t, made.json.roomId);
    const { joined: again } = await join(srv, t, 'rt-standup');
    assert.equal(again.code, 20106, 'the join refuses it');
    const v = await srv.request('POST', `/v1/Accounts/${srv.account.sid}/Tokens/validate`, { auth: srv.accountAuth, form: { token: t } });
    assert.equal(v.json.valid, false, `still valid after the kick: ${v.text}`);
    assert.equal(v.json.code, 20106);
    assert.equal((await rest('GET', `/v2/rooms/rt-standup`, t)).status, 401);
  });

  it('/sec_rec: a kicked participant\'s room token gets no media link (401/20106), where it had one before', async () => {
    const room = 'rt-rec-room';
    const t = tok(srv, 'kim', room);
    const joined = await join(srv, t, room);
    assert.equal(joined.joined.type, 'joined');
    const up = await upload(srv, Buffer.from('recording bytes'), { query: { room_sid: joined.joined.room.sid } });
    assert.equal(up.status, 201, up.text);
    // kim took part in the room: granted
    assert.equal((await secRec(srv, up.json.sid, t)).status, 200);
    joined.c.close();
    await joined.c.closed;
    // a second seat of kim, kicked: the kick revokes kim's tokens for the room
    await joinAndKick(tok(srv, 'kim', room, { iat: Math.floor(Date.now() / 1000) - 5 }), room);
    const r = await secRec(srv, up.json.sid, t);
    assert.equal(r.status, 401, `the revoked token still gets a link: ${r.text}`);
    assert.equal(r.json.code, 20106);
    // a token minted after the kick works again (a kick is not a ban)
    const later = tok(srv, 'kim', room, { iat: Math.floor(Date.now() / 1000) + 2 }); // issued after it
    assert.equal((await secRec(srv, up.json.sid, later)).status, 200);
  });
});
