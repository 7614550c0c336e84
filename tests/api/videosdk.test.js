// VideoSDK rooms (seed 002): /v2/rooms, /v2/rooms/validate/{id},
// /v2/rooms/{id}, /v2/rooms/deactivate, and the seed example server's
// aliases /create-meeting and /validate-meeting/{id} (docs/api.md
// "VideoSDK rooms").
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import jsonwebtoken from 'jsonwebtoken';
import { startServer, basic, cliJson } from './lib/server.js';
import { assertError, assertStatus, assertJsonContentType, assertExit0 } from './lib/check.js';
import { sign, now, randomSid, ISO_MS_RE } from './lib/jwt.js';

const ROOM_ID_RE = /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/;
const ROOM_KEYS = ['apiKey', 'createdAt', 'customRoomId', 'disabled', 'id', 'links', 'roomId', 'updatedAt'];

let srv;
let other; // a second account on the same server: {account, key, auth, token}

before(async () => {
  srv = await startServer({
    async beforeServe(cli) {
      const account = cliJson(cli(['account', 'create', '--name', 'other']));
      const key = cliJson(cli(['key', 'create', '--account', account.sid]));
      other = { account, key, auth: basic(key.sid, key.secret) };
    },
  });
  other.token = await getToken({ auth: other.auth });
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/** A VideoSDK token from GET /get-token (query: permissions, roles, roomId...). */
async function getToken({ auth = srv.keyAuth, ...query } = {}) {
  const res = await srv.request('GET', '/get-token', { auth, query });
  assertStatus(res, 200);
  return res.json.token;
}

const vErr = (res, status, code) => assertError(res, status, code, { twilio: false });
const raw = (token) => ({ Authorization: token });

function post(path, token, opts = {}) {
  return srv.request('POST', path, { headers: token === undefined ? {} : raw(token), ...opts });
}
function get(path, token, opts = {}) {
  return srv.request('GET', path, { headers: token === undefined ? {} : raw(token), ...opts });
}

function assertRoom(res, { customRoomId = null, disabled = false, apiKey = srv.key.sid } = {}) {
  assertStatus(res, 200);
  assertJsonContentType(res);
  const r = res.json;
  assert.deepEqual(Object.keys(r).sort(), ROOM_KEYS, `room fields: ${res.text}`);
  assert.match(r.roomId, ROOM_ID_RE);
  assert.equal(r.customRoomId, customRoomId);
  assert.equal(r.disabled, disabled);
  assert.match(r.createdAt, ISO_MS_RE);
  assert.match(r.updatedAt, ISO_MS_RE);
  assert.ok(Math.abs(Date.parse(r.createdAt) / 1000 - now()) < 30, 'createdAt is now');
  assert.match(r.id, /^[0-9a-f]{24}$/);
  assert.deepEqual(r.links, { get_room: `/v2/rooms/${r.roomId}` }, 'no /v2/sessions link: no such route (issue 17)');
  assert.equal(r.apiKey, apiKey);
  return r;
}

async function createRoom(token, json) {
  const res = await post('/v2/rooms', token, json === undefined ? {} : { json });
  return assertRoom(res, { customRoomId: json?.customRoomId ?? null });
}

describe('POST /v2/rooms', () => {
  it('creates a room: VideoSDK shape, id xxxx-xxxx-xxxx, status 200', async () => {
    const tok = await getToken();
    const r = await createRoom(tok);
    assert.equal(r.createdAt, r.updatedAt);
    // the room is there afterwards
    assert.deepEqual(assertRoom(await get(`/v2/rooms/${r.roomId}`, tok)), r);
  });

  it('room ids are fresh every time', async () => {
    const tok = await getToken();
    const ids = new Set();
    for (let i = 0; i < 25; i++) ids.add((await createRoom(tok)).roomId);
    assert.equal(ids.size, 25);
    // every character of the alphabet is possible: over 25 * 12 draws most show up
    const chars = new Set([...[...ids].join('').replaceAll('-', '')]);
    assert.ok(chars.size > 20, `${chars.size} distinct characters`);
  });

  it('customRoomId: a reuse returns the same room (200 both times)', async () => {
    const tok = await getToken();
    const a = await createRoom(tok, { customRoomId: 'consult-42' });
    const b = await createRoom(tok, { customRoomId: 'consult-42' });
    assert.deepEqual(b, a);
    // form-encoded, as a curl user would send it
    const c = assertRoom(await post('/v2/rooms', tok, { form: { customRoomId: 'consult-42' } }), { customRoomId: 'consult-42' });
    assert.equal(c.roomId, a.roomId);
    // another name, another room
    const d = await createRoom(tok, { customRoomId: 'consult-43' });
    assert.notEqual(d.roomId, a.roomId);
    // any text works, including spaces and non-ASCII
    await createRoom(tok, { customRoomId: 'Zoë & Bob ?#' });
  });

  it('customRoomId is per account: another account gets its own room', async () => {
    const mine = await createRoom(await getToken(), { customRoomId: 'shared-name' });
    const theirs = assertRoom(await post('/v2/rooms', other.token, { json: { customRoomId: 'shared-name' } }), { customRoomId: 'shared-name', apiKey: other.key.sid });
    assert.notEqual(theirs.roomId, mine.roomId);
  });

  it('concurrent creates with one customRoomId all get the same room', async () => {
    const tok = await getToken();
    const all = await Promise.all(Array.from({ length: 12 }, () => post('/v2/rooms', tok, { json: { customRoomId: 'race' } })));
    const ids = new Set(all.map((r) => assertRoom(r, { customRoomId: 'race' }).roomId));
    assert.equal(ids.size, 1);
  });

  it('bad customRoomId -> 400', async () => {
    const tok = await getToken();
    for (const customRoomId of ['a/b', 'x'.repeat(257), 'tab\there', 'nul\u0000', ['a'], { a: 1 }]) {
      assertError(await post('/v2/rooms', tok, { json: { customRoomId } }), 400, 21603, { param: 'customRoomId' });
    }
    assertError(await post('/v2/rooms', tok, { body: '{"customRoomId":', headers: { ...raw(tok), 'Content-Type': 'application/json' } }), 400, 21601);
    // 256 bytes is fine
    await createRoom(tok, { customRoomId: 'y'.repeat(256) });
  });
});

describe('GET /v2/rooms/{roomId} and /v2/rooms/validate/{roomId}', () => {
  it('by roomId and by customRoomId; unknown -> 404 4003', async () => {
    const tok = await getToken();
    const r = await createRoom(tok, { customRoomId: 'lookup me' });
    for (const path of ['/v2/rooms/', '/v2/rooms/validate/']) {
      assert.deepEqual(assertRoom(await get(path + r.roomId, tok), { customRoomId: 'lookup me' }), r);
      assert.deepEqual(assertRoom(await get(path + encodeURIComponent('lookup me'), tok), { customRoomId: 'lookup me' }), r);
      vErr(await get(path + 'abcd-efgh-ijkl', tok), 404, 4003);
      vErr(await get(path + 'nope', tok), 404, 4003);
      vErr(await get(path + 'x'.repeat(300), tok), 404, 4003);
      vErr(await get(path + 'a%01b', tok), 404, 4003);
      vErr(await get(path + '%FF%FE', tok), 404, 4003);
      vErr(await get(path + 'a%00b', tok), 404, 4003);
    }
  });

  it('a customRoomId spelled like another room\'s id never shadows that room', async () => {
    const tok = await getToken();
    const target = await createRoom(tok);
    const squatter = await createRoom(tok, { customRoomId: target.roomId });
    assert.notEqual(squatter.roomId, target.roomId);
    assert.equal((await get(`/v2/rooms/${target.roomId}`, tok)).json.roomId, target.roomId);
    assert.equal((await get(`/v2/rooms/validate/${target.roomId}`, tok)).json.roomId, target.roomId);
  });
});

describe('GET /v2/rooms (paging)', () => {
  it('VideoSDK page shape, newest first, every room exactly once', async () => {
    // a fresh account, so the totals are known
    const account = cliJson(srv.cli(['account', 'create']));
    const key = cliJson(srv.cli(['key', 'create', '--account', account.sid]));
    const auth = basic(key.sid, key.secret);
    let tok;
    for (let i = 0; i < 50 && !tok; i++) {
      const r = await srv.request('GET', '/get-token', { auth });
      if (r.status === 200) tok = r.json.token;
      else await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(tok, 'the key made by the CLI was picked up');

    let res = await get('/v2/rooms', tok);
    assertStatus(res, 200);
    assert.deepEqual(res.json, { pageInfo: { currentPage: 1, perPage: 20, lastPage: 1, total: 0 }, data: [] });

    const made = [];
    for (let i = 0; i < 5; i++) made.push((await post('/v2/rooms', tok, { json: { customRoomId: `p${i}` } })).json.roomId);
    const seen = [];
    for (let page = 1; page <= 3; page++) {
      res = await get('/v2/rooms', tok, { query: { page, perPage: 2 } });
      assertStatus(res, 200);
      assert.deepEqual(res.json.pageInfo, { currentPage: page, perPage: 2, lastPage: 3, total: 5 });
      assert.equal(res.json.data.length, page < 3 ? 2 : 1);
      for (const r of res.json.data) {
        assert.deepEqual(Object.keys(r).sort(), ROOM_KEYS);
        assert.equal(r.apiKey, key.sid);
        seen.push(r.roomId);
      }
    }
    assert.deepEqual(seen, [...made].reverse(), 'newest first, no duplicates, nothing missing');
    res = await get('/v2/rooms', tok, { query: { page: 4, perPage: 2 } });
    assert.deepEqual(res.json, { pageInfo: { currentPage: 4, perPage: 2, lastPage: 3, total: 5 }, data: [] });
    res = await get('/v2/rooms', tok, { query: { perPage: 100 } });
    assert.equal(res.json.data.length, 5);
    assert.equal(res.json.pageInfo.lastPage, 1);
  });

  it('bad page / perPage -> 400', async () => {
    const tok = await getToken();
    for (const q of [{ page: 0 }, { page: -1 }, { page: 'x' }, { perPage: 0 }, { perPage: 101 }, { perPage: '2.5' }]) {
      const name = Object.keys(q)[0];
      assertError(await get('/v2/rooms', tok, { query: q }), 400, 21603, { param: name });
    }
  });

  it('lists only the caller\'s account', async () => {
    const tok = await getToken();
    const mine = await createRoom(tok);
    const theirs = await get('/v2/rooms', other.token, { query: { perPage: 100 } });
    assertStatus(theirs, 200);
    assert.ok(!theirs.json.data.some((r) => r.roomId === mine.roomId));
    assert.ok(theirs.json.data.every((r) => r.apiKey === other.key.sid));
  });
});

describe('POST /v2/rooms/deactivate', () => {
  it('disables the room; validate and list show it; idempotent', async () => {
    const tok = await getToken();
    const r = await createRoom(tok, { customRoomId: 'to-disable' });
    const d = assertRoom(await post('/v2/rooms/deactivate', tok, { json: { roomId: r.roomId } }), { customRoomId: 'to-disable', disabled: true });
    assert.equal(d.roomId, r.roomId);
    assert.equal(d.createdAt, r.createdAt);
    assertRoom(await get(`/v2/rooms/validate/${r.roomId}`, tok), { customRoomId: 'to-disable', disabled: true });
    assertRoom(await get(`/v2/rooms/${r.roomId}`, tok), { customRoomId: 'to-disable', disabled: true });
    assertRoom(await post(`/validate-meeting/${r.roomId}`, tok), { customRoomId: 'to-disable', disabled: true });
    const list = await get('/v2/rooms', tok, { query: { perPage: 100 } });
    assert.equal(list.json.data.find((x) => x.roomId === r.roomId).disabled, true);
    const again = assertRoom(await post('/v2/rooms/deactivate', tok, { form: { roomId: r.roomId } }), { customRoomId: 'to-disable', disabled: true });
    assert.equal(again.updatedAt, d.updatedAt);
    // a reused customRoomId returns the disabled room, not a fresh one
    assertRoom(await post('/v2/rooms', tok, { json: { customRoomId: 'to-disable' } }), { customRoomId: 'to-disable', disabled: true });
  });

  it('by customRoomId; missing roomId -> 400; unknown -> 404', async () => {
    const tok = await getToken();
    await createRoom(tok, { customRoomId: 'by-custom' });
    assertRoom(await post('/v2/rooms/deactivate', tok, { json: { roomId: 'by-custom' } }), { customRoomId: 'by-custom', disabled: true });
    assertError(await post('/v2/rooms/deactivate', tok, { json: {} }), 400, 21602, { param: 'roomId' });
    assertError(await post('/v2/rooms/deactivate', tok, { json: { roomId: '' } }), 400, 21603, { param: 'roomId' });
    vErr(await post('/v2/rooms/deactivate', tok, { json: { roomId: 'zzzz-zzzz-zzzz' } }), 404, 4003);
  });
});

describe('VideoSDK token rules on the REST routes', () => {
  let room;
  before(async () => { room = await createRoom(await getToken()); });

  // Every REST route, called with the given Authorization header value.
  function everyRoute(token) {
    return [
      ['POST /v2/rooms', post('/v2/rooms', token)],
      ['GET /v2/rooms', get('/v2/rooms', token)],
      ['GET /v2/rooms/{id}', get(`/v2/rooms/${room.roomId}`, token)],
      ['GET /v2/rooms/validate/{id}', get(`/v2/rooms/validate/${room.roomId}`, token)],
      ['POST /v2/rooms/deactivate', post('/v2/rooms/deactivate', token, { json: { roomId: room.roomId } })],
      ['POST /create-meeting', post('/create-meeting', token)],
      ['POST /validate-meeting/{id}', post(`/validate-meeting/${room.roomId}`, token)],
    ];
  }
  async function expectEverywhere(token, status, code) {
    for (const [name, p] of everyRoute(token)) {
      const res = await p;
      assert.equal(res.status, status, `${name}: ${res.status} ${res.text}`);
      vErr(res, status, code);
    }
    // the room was not deactivated by any of them
    assert.equal((await get(`/v2/rooms/${room.roomId}`, await getToken())).json.disabled, false);
  }

  it('no token -> 401 4002', async () => {
    await expectEverywhere(undefined, 401, 4002);
    await expectEverywhere('', 401, 4002);
  });

  it('"Bearer <jwt>" is not accepted: the raw JWT only', async () => {
    await expectEverywhere(`Bearer ${await getToken()}`, 401, 4002);
    await expectEverywhere(`bearer ${await getToken()}`, 401, 4002);
  });

  it('Basic credentials are not a token -> 401 4002', async () => {
    await expectEverywhere(srv.keyAuth, 401, 4002);
  });

  it('a Twilio token (even valid) -> 401 4002', async () => {
    const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'alice', room: room.roomId } });
    assertStatus(res, 200);
    await expectEverywhere(res.json.token, 401, 4002);
  });

  it('expired, not yet valid, forged, tampered, alg none -> 401 4002', async () => {
    const { sid, secret } = srv.key;
    const t = now();
    const claims = { apikey: sid, permissions: ['allow_join'], version: 2, roles: ['crawler', 'rtc'] };
    await expectEverywhere(sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: t - 7200, exp: t - 3600 }, secret), 401, 4002);
    await expectEverywhere(sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: t + 3600, nbf: t + 3600, exp: t + 7200 }, secret), 401, 4002);
    await expectEverywhere(sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: t, exp: t + 3600 }, 'not-the-secret'), 401, 4002);
    const good = await getToken();
    const [h, p, s] = good.split('.');
    await expectEverywhere(`${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`, 401, 4002);
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
    await expectEverywhere(none, 401, 4002);
    await expectEverywhere('not.a.jwt', 401, 4002);
  });

  it('an unknown or deleted apikey -> 401 4001', async () => {
    const t = now();
    const claims = { permissions: ['allow_join'], iat: t, exp: t + 600 };
    await expectEverywhere(sign({ alg: 'HS256', typ: 'JWT' }, { apikey: randomSid('SK'), ...claims }, 'whatever'), 401, 4001);
    const key = (await srv.request('POST', `/2010-04-01/Accounts/${srv.account.sid}/Keys.json`, { auth: srv.accountAuth, form: { FriendlyName: 'doomed' } })).json;
    const tok = await getToken({ auth: basic(key.sid, key.secret) });
    assertRoom(await post('/v2/rooms', tok), { apiKey: key.sid });
    assertStatus(await srv.request('DELETE', `/2010-04-01/Accounts/${srv.account.sid}/Keys/${key.sid}.json`, { auth: srv.accountAuth }), 204);
    await expectEverywhere(tok, 401, 4001);
  });

  it('an rtc-only token (for joining) cannot call the REST API -> 403 4008', async () => {
    await expectEverywhere(await getToken({ roles: 'rtc' }), 403, 4008);
    const t = now();
    const empty = sign({ alg: 'HS256', typ: 'JWT' }, { apikey: srv.key.sid, permissions: ['allow_join'], roles: [], iat: t, exp: t + 600 }, srv.key.secret);
    await expectEverywhere(empty, 403, 4008);
  });

  it('crawler-only and crawler+rtc tokens, any permission, are accepted', async () => {
    for (const q of [{ roles: 'crawler' }, { roles: 'crawler,rtc' }, { permissions: 'ask_join' }, { permissions: 'allow_join,allow_mod' }]) {
      const tok = await getToken(q);
      await createRoom(tok);
      assertRoom(await get(`/v2/rooms/validate/${room.roomId}`, tok));
    }
  });

  it('a token written as the seed shows (jsonwebtoken, no roles, HS256, 24h) works', async () => {
    const tok = jsonwebtoken.sign({ apikey: srv.key.sid, permissions: ['allow_join'] }, srv.key.secret, { algorithm: 'HS256', expiresIn: '24h', jwtid: randomUUID() });
    const r = await createRoom(tok);
    assertRoom(await get(`/v2/rooms/validate/${r.roomId}`, tok));
    for (const algorithm of ['HS384', 'HS512']) {
      const t2 = jsonwebtoken.sign({ apikey: srv.key.sid, permissions: ['allow_join'] }, srv.key.secret, { algorithm, expiresIn: 600 });
      await createRoom(t2);
    }
  });

  it('another account\'s room is 404, even to deactivate', async () => {
    for (const p of [
      get(`/v2/rooms/${room.roomId}`, other.token),
      get(`/v2/rooms/validate/${room.roomId}`, other.token),
      post('/v2/rooms/deactivate', other.token, { json: { roomId: room.roomId } }),
      post(`/validate-meeting/${room.roomId}`, other.token),
      post(`/validate-meeting/${room.roomId}`, undefined, { json: { token: other.token } }),
    ]) vErr(await p, 404, 4003);
    assert.equal((await get(`/v2/rooms/${room.roomId}`, await getToken())).json.disabled, false);
  });

  it('a room-scoped token (roomId claim) sees its room only; cannot create or list', async () => {
    const mine = await createRoom(await getToken(), { customRoomId: 'scoped' });
    const tok = await getToken({ roomId: mine.roomId, participantId: 'p1' });
    assertRoom(await get(`/v2/rooms/validate/${mine.roomId}`, tok), { customRoomId: 'scoped' });
    assertRoom(await get('/v2/rooms/validate/scoped', tok), { customRoomId: 'scoped' });
    assertRoom(await post(`/validate-meeting/${mine.roomId}`, tok), { customRoomId: 'scoped' });
    vErr(await get(`/v2/rooms/validate/${room.roomId}`, tok), 403, 4008);
    vErr(await get(`/v2/rooms/${room.roomId}`, tok), 403, 4008);
    vErr(await post(`/validate-meeting/${room.roomId}`, tok), 403, 4008);
    vErr(await post('/v2/rooms', tok), 403, 4008);
    vErr(await post('/v2/rooms', tok, { json: { customRoomId: 'scoped' } }), 403, 4008);
    vErr(await post('/create-meeting', tok), 403, 4008);
    vErr(await get('/v2/rooms', tok), 403, 4008);
    // deactivating needs allow_mod with such a token
    vErr(await post('/v2/rooms/deactivate', tok, { json: { roomId: mine.roomId } }), 403, 4008);
    vErr(await post('/v2/rooms/deactivate', tok, { json: { roomId: room.roomId } }), 403, 4008);
    assert.equal((await get(`/v2/rooms/${mine.roomId}`, await getToken())).json.disabled, false);
    const mod = await getToken({ roomId: mine.roomId, permissions: 'allow_join,allow_mod' });
    vErr(await post('/v2/rooms/deactivate', mod, { json: { roomId: room.roomId } }), 403, 4008);
    assertRoom(await post('/v2/rooms/deactivate', mod, { json: { roomId: mine.roomId } }), { customRoomId: 'scoped', disabled: true });
  });

  it('wrong methods -> 405', async () => {
    const tok = await getToken();
    assertError(await srv.request('PUT', '/v2/rooms', { headers: raw(tok) }), 405, 20004);
    assertError(await srv.request('DELETE', `/v2/rooms/${room.roomId}`, { headers: raw(tok) }), 405, 20004);
    assertError(await srv.request('GET', '/v2/rooms/deactivate', { headers: raw(tok) }), 404, 4003);
    assertError(await srv.request('GET', '/create-meeting', { headers: raw(tok) }), 405, 20004);
    assertError(await srv.request('GET', `/validate-meeting/${room.roomId}`, { headers: raw(tok) }), 405, 20004);
  });
});

describe('the seed example server\'s aliases', () => {
  it('POST /create-meeting with {token} in the body -> {meetingId}', async () => {
    const tok = await getToken();
    let res = await srv.request('POST', '/create-meeting', { json: { token: tok } });
    assertStatus(res, 200);
    assertJsonContentType(res);
    assert.deepEqual(Object.keys(res.json), ['meetingId']);
    assert.match(res.json.meetingId, ROOM_ID_RE);
    assertRoom(await get(`/v2/rooms/validate/${res.json.meetingId}`, tok));
    // form body, as an HTML form would post it
    res = await srv.request('POST', '/create-meeting', { form: { token: tok } });
    assertStatus(res, 200);
    assert.match(res.json.meetingId, ROOM_ID_RE);
    // the seed's server forwards {region}: accepted and ignored
    res = await srv.request('POST', '/create-meeting', { json: { token: tok, region: 'sg001' } });
    assertStatus(res, 200);
  });

  it('POST /create-meeting with the token in Authorization', async () => {
    const res = await post('/create-meeting', await getToken());
    assertStatus(res, 200);
    assert.match(res.json.meetingId, ROOM_ID_RE);
  });

  it('POST /create-meeting with customRoomId reuses the room', async () => {
    const tok = await getToken();
    const a = await srv.request('POST', '/create-meeting', { json: { token: tok, customRoomId: 'alias-custom' } });
    const b = await post('/create-meeting', tok, { json: { customRoomId: 'alias-custom' } });
    assertStatus(a, 200);
    assert.equal(b.json.meetingId, a.json.meetingId);
  });

  it('the body token wins over the header', async () => {
    const good = await getToken();
    const rtc = await getToken({ roles: 'rtc' });
    vErr(await srv.request('POST', '/create-meeting', { headers: raw(good), json: { token: rtc } }), 403, 4008);
    assertStatus(await srv.request('POST', '/create-meeting', { headers: raw(rtc), json: { token: good } }), 200);
  });

  it('no token, bad token -> 401; Basic credentials are not a token', async () => {
    vErr(await srv.request('POST', '/create-meeting', {}), 401, 4002);
    vErr(await srv.request('POST', '/create-meeting', { json: {} }), 401, 4002);
    vErr(await srv.request('POST', '/create-meeting', { json: { token: 'x.y.z' } }), 401, 4002);
    vErr(await srv.request('POST', '/create-meeting', { auth: srv.keyAuth }), 401, 4002);
    vErr(await srv.request('POST', `/validate-meeting/abcd-efgh-ijkl`, { json: { token: 'nope' } }), 401, 4002);
  });

  it('POST /validate-meeting/{id}: 200 with the room, or 404', async () => {
    const tok = await getToken();
    const { meetingId } = (await srv.request('POST', '/create-meeting', { json: { token: tok } })).json;
    assert.equal(assertRoom(await srv.request('POST', `/validate-meeting/${meetingId}`, { json: { token: tok } })).roomId, meetingId);
    assert.equal(assertRoom(await post(`/validate-meeting/${meetingId}`, tok)).roomId, meetingId);
    vErr(await srv.request('POST', '/validate-meeting/abcd-efgh-ijkl', { json: { token: tok } }), 404, 4003);
    vErr(await post('/validate-meeting/abcd-efgh-ijkl', tok), 404, 4003);
  });
});
