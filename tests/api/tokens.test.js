// Minting: POST /v1/AccessTokens, GET /token, GET /get-token (docs/api.md
// "Routes" and "Token rules and codes").
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, cliJson, waitFor } from './lib/server.js';
import { assertError, assertStatus, assertJsonContentType, assertValid, validate, mint, assertExit0 } from './lib/check.js';
import { decode, verifies, now, UUID4_RE, ISO_MS_RE } from './lib/jwt.js';

let srv;
const TWILIO_HEADER = '{"alg":"HS256","typ":"JWT","cty":"twilio-fpa;v=1"}';
const VIDEOSDK_HEADER = '{"alg":"HS256","typ":"JWT"}';

before(async () => { srv = await startServer(); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

// Accounts made by the CLI while the server runs are picked up by its
// poller within a moment (the docs do not promise instantly).
async function waitForAccount(server, acct) {
  for (let i = 0; i < 40; i++) {
    const r = await server.request('GET', `/2010-04-01/Accounts/${acct.sid}/Keys.json`, { auth: basic(acct.sid, acct.auth_token) });
    if (r.status === 200) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`account ${acct.sid} created by the CLI never authenticated`);
}

function checkTwilioToken(token, { keySid, secret, accountSid, identity, room, ttl }) {
  const { headerJson, payload } = decode(token);
  assert.equal(headerJson, TWILIO_HEADER, 'Twilio header, byte for byte');
  assert.deepEqual(Object.keys(payload).sort(), ['exp', 'grants', 'iat', 'iss', 'jti', 'nbf', 'sub']);
  assert.equal(payload.iss, keySid);
  assert.equal(payload.sub, accountSid);
  assert.equal(payload.jti, `${keySid}-${payload.iat}`);
  assert.ok(Number.isInteger(payload.iat));
  assert.ok(Math.abs(payload.iat - now()) <= 5, `iat ${payload.iat} close to now`);
  assert.equal(payload.nbf, payload.iat);
  if (ttl !== undefined) assert.equal(payload.exp - payload.iat, ttl);
  assert.deepEqual(payload.grants, { identity, video: room === undefined ? {} : { room } });
  if (secret) assert.ok(verifies(token, secret), 'HMAC-SHA256 with the key secret');
  return payload;
}

describe('POST /v1/AccessTokens', () => {
  it('identity + room, default ttl 3600, signed with the calling key', async () => {
    const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'alice', room: 'room-1' } });
    assertStatus(res, 200);
    assertJsonContentType(res);
    assert.deepEqual(Object.keys(res.json).sort(), ['expires_at', 'identity', 'token']);
    assert.equal(res.json.identity, 'alice');
    const p = checkTwilioToken(res.json.token, { keySid: srv.key.sid, secret: srv.key.secret, accountSid: srv.account.sid, identity: 'alice', room: 'room-1', ttl: 3600 });
    assert.match(res.json.expires_at, ISO_MS_RE);
    assert.equal(Date.parse(res.json.expires_at), p.exp * 1000);
  });

  it('form-encoded body works the same', async () => {
    const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, form: { identity: 'bob', room: 'room-2', ttl: '120' } });
    assertStatus(res, 200);
    checkTwilioToken(res.json.token, { keySid: srv.key.sid, secret: srv.key.secret, accountSid: srv.account.sid, identity: 'bob', room: 'room-2', ttl: 120 });
  });

  it('room is optional: grants.video is {}', async () => {
    const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'noroom' } });
    assertStatus(res, 200);
    checkTwilioToken(res.json.token, { keySid: srv.key.sid, secret: srv.key.secret, accountSid: srv.account.sid, identity: 'noroom', ttl: 3600 });
  });

  it('ttl bounds: 1 and 86400 accepted, 86401 -> 400', async () => {
    for (const ttl of [1, 86400]) {
      const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'ttl', ttl } });
      assertStatus(res, 200);
      const { payload } = decode(res.json.token);
      assert.equal(payload.exp - payload.iat, ttl);
      assert.equal(Date.parse(res.json.expires_at), payload.exp * 1000);
    }
    assertError(await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'ttl', ttl: 86401 } }), 400, 21603, { param: 'ttl' });
  });

  it('account auth signs with the account\'s newest key; key auth with the calling key', async () => {
    // keys in quick succession, until two land in the same second with the
    // later one having the smaller sid (so a tie broken by sid would pick the
    // wrong one): the last one created is the newest
    let newest;
    let prev;
    for (let i = 0; i < 40; i++) {
      const c = await srv.request('POST', `/2010-04-01/Accounts/${srv.account.sid}/Keys.json`, { auth: srv.accountAuth, form: { FriendlyName: `n${i}` } });
      assertStatus(c, 201);
      newest = c.json;
      if (prev && prev.date_created === newest.date_created && newest.sid < prev.sid) break;
      prev = newest;
    }
    const byAccount = await srv.request('POST', '/v1/AccessTokens', { auth: srv.accountAuth, json: { identity: 'acct' } });
    assertStatus(byAccount, 200);
    checkTwilioToken(byAccount.json.token, { keySid: newest.sid, secret: newest.secret, accountSid: srv.account.sid, identity: 'acct', ttl: 3600 });

    const byOldKey = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'k1' } });
    checkTwilioToken(byOldKey.json.token, { keySid: srv.key.sid, secret: srv.key.secret, accountSid: srv.account.sid, identity: 'k1' });
    const byNewKey = await srv.request('POST', '/v1/AccessTokens', { auth: basic(newest.sid, newest.secret), json: { identity: 'k2' } });
    checkTwilioToken(byNewKey.json.token, { keySid: newest.sid, secret: newest.secret, accountSid: srv.account.sid, identity: 'k2' });

  });

  it('after deleting the newest key, account auth signs with the next newest', async () => {
    const mk = async (n) => {
      const c = await srv.request('POST', `/2010-04-01/Accounts/${srv.account.sid}/Keys.json`, { auth: srv.accountAuth, form: { FriendlyName: n } });
      assertStatus(c, 201);
      return c.json;
    };
    // key dates have one-second resolution: each key in a later second than
    // the ones before, so none can tie (wait for the clock, not a sleep)
    const nextSecond = async () => { const s = now(); await waitFor(() => now() > s, 'the next second'); };
    await nextSecond();
    const k1 = await mk('older');
    await nextSecond();
    const k2 = await mk('younger');
    assert.equal(decode((await mint(srv, { auth: srv.accountAuth })).token).payload.iss, k2.sid);
    assertStatus(await srv.request('DELETE', `/2010-04-01/Accounts/${srv.account.sid}/Keys/${k2.sid}.json`, { auth: srv.accountAuth }), 204);
    const after = await srv.request('POST', '/v1/AccessTokens', { auth: srv.accountAuth, json: { identity: 'acct2' } });
    assertStatus(after, 200);
    assert.equal(decode(after.json.token).payload.iss, k1.sid);
  });

  it('account whose only key was deleted -> 409 20409', async () => {
    const D = cliJson(srv.cli(['account', 'create']));
    const dk = cliJson(srv.cli(['key', 'create', '--account', D.sid]));
    await waitForAccount(srv, D);
    const auth = basic(D.sid, D.auth_token);
    // the CLI-created key reaches the server's cache within a moment
    let first;
    for (let i = 0; i < 40; i++) {
      first = await srv.request('POST', '/v1/AccessTokens', { auth, json: { identity: 'd' } });
      if (first.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assertStatus(first, 200);
    assert.equal(decode(first.json.token).payload.iss, dk.sid);
    assertStatus(await srv.request('DELETE', `/2010-04-01/Accounts/${D.sid}/Keys/${dk.sid}.json`, { auth }), 204);
    assertError(await srv.request('POST', '/v1/AccessTokens', { auth, json: { identity: 'd' } }), 409, 20409);
  });

  it('account with no key -> 409 20409', async () => {
    const C = cliJson(srv.cli(['account', 'create']));
    await waitForAccount(srv, C);
    const res = await srv.request('POST', '/v1/AccessTokens', { auth: basic(C.sid, C.auth_token), json: { identity: 'lonely' } });
    assertError(res, 409, 20409);
    assertError(await srv.request('GET', '/token', { auth: basic(C.sid, C.auth_token), query: { identity: 'lonely', room: 'r' } }), 409, 20409);
    assertError(await srv.request('GET', '/get-token', { auth: basic(C.sid, C.auth_token) }), 409, 20409);
  });

  it('kind=videosdk mints a VideoSDK token; bad kind -> 400 21603', async () => {
    const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'vs', kind: 'videosdk' } });
    assertStatus(res, 200);
    const { headerJson, payload } = decode(res.json.token);
    assert.equal(headerJson, VIDEOSDK_HEADER);
    assert.equal(payload.apikey, srv.key.sid);
    assert.equal(payload.version, 2);
    assert.ok(Array.isArray(payload.permissions));
    assert.ok(verifies(res.json.token, srv.key.secret));
    const tw = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, form: { identity: 'tw', kind: 'twilio' } });
    assertStatus(tw, 200);
    assert.equal(decode(tw.json.token).headerJson, TWILIO_HEADER);
    assertError(await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'x', kind: 'jwt' } }), 400, 21603, { param: 'kind' });
  });

  it('identities with quotes, backslashes and unicode round-trip', async () => {
    const identities = ['Zoë "the \\ boss" 🎥 <&>', "o'brien", '日本語のユーザー', 'a b+c%20d', 'x'.repeat(200) + '€'];
    for (const identity of identities) {
      const room = `room "${identity.slice(0, 20)}"`;
      for (const body of [{ json: { identity, room } }, { form: { identity, room } }]) {
        const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, ...body });
        assertStatus(res, 200);
        assert.equal(res.json.identity, identity);
        checkTwilioToken(res.json.token, { keySid: srv.key.sid, secret: srv.key.secret, accountSid: srv.account.sid, identity, room });
        assertValid(await validate(srv, res.json.token), { identity, grants: { identity, video: { room } } });
      }
      const g = await srv.request('GET', '/token', { auth: srv.keyAuth, query: { identity, room } });
      assertStatus(g, 200);
      assert.equal(g.json.identity, identity);
      assert.equal(decode(g.json.token).payload.grants.identity, identity);
    }
  });
});

describe('GET /token', () => {
  it('?identity=&room= -> {identity, token} in Twilio format', async () => {
    const res = await srv.request('GET', '/token', { auth: srv.keyAuth, query: { identity: 'carol', room: 'lobby' } });
    assertStatus(res, 200);
    assertJsonContentType(res);
    assert.deepEqual(Object.keys(res.json).sort(), ['identity', 'token']);
    assert.equal(res.json.identity, 'carol');
    checkTwilioToken(res.json.token, { keySid: srv.key.sid, secret: srv.key.secret, accountSid: srv.account.sid, identity: 'carol', room: 'lobby', ttl: 3600 });
    assertValid(await validate(srv, res.json.token), { identity: 'carol', keySid: srv.key.sid });
  });

  it('ttl is honoured', async () => {
    const res = await srv.request('GET', '/token', { auth: srv.keyAuth, query: { identity: 'carol', room: 'lobby', ttl: 60 } });
    assertStatus(res, 200);
    const { payload } = decode(res.json.token);
    assert.equal(payload.exp - payload.iat, 60);
  });

  it('account auth works too', async () => {
    const res = await srv.request('GET', '/token', { auth: srv.accountAuth, query: { identity: 'dave', room: 'r' } });
    assertStatus(res, 200);
    const p = decode(res.json.token).payload;
    assert.equal(p.sub, srv.account.sid);
    assert.equal(p.grants.identity, 'dave');
  });
});

describe('GET /get-token (VideoSDK)', () => {
  function checkVideoSdk(token) {
    const { headerJson, payload } = decode(token);
    assert.equal(headerJson, VIDEOSDK_HEADER, 'VideoSDK header, byte for byte');
    const allowed = ['apikey', 'permissions', 'version', 'roles', 'roomId', 'participantId', 'jti', 'iat', 'nbf', 'exp'];
    for (const k of Object.keys(payload)) assert.ok(allowed.includes(k), `unexpected claim ${k}`);
    for (const k of ['apikey', 'permissions', 'version', 'roles', 'jti', 'iat', 'nbf', 'exp']) assert.ok(k in payload, `claim ${k} present`);
    assert.equal(payload.version, 2);
    assert.match(payload.jti, UUID4_RE);
    assert.ok(Math.abs(payload.iat - now()) <= 5);
    assert.equal(payload.nbf, payload.iat);
    assert.ok(payload.exp > payload.iat && payload.exp - payload.iat <= 86400);
    assert.ok(verifies(token, srv.key.secret), 'signed with the key secret');
    return payload;
  }

  it('defaults: permissions [allow_join], roles [crawler, rtc], no roomId/participantId', async () => {
    const res = await srv.request('GET', '/get-token', { auth: srv.keyAuth });
    assertStatus(res, 200);
    assertJsonContentType(res);
    assert.deepEqual(Object.keys(res.json), ['token']);
    const p = checkVideoSdk(res.json.token);
    assert.equal(p.apikey, srv.key.sid);
    assert.deepEqual(p.permissions, ['allow_join']);
    assert.deepEqual(p.roles, ['crawler', 'rtc']);
    assert.ok(!('roomId' in p));
    assert.ok(!('participantId' in p));
  });

  it('permissions, roles, roomId, participantId, ttl from the query', async () => {
    const res = await srv.request('GET', '/get-token', {
      auth: srv.keyAuth,
      query: { permissions: 'allow_join,allow_mod', roles: 'rtc', roomId: 'abcd-efgh-ijkl', participantId: 'p-42', ttl: 120 },
    });
    assertStatus(res, 200);
    const p = checkVideoSdk(res.json.token);
    assert.deepEqual(p.permissions, ['allow_join', 'allow_mod']);
    assert.deepEqual(p.roles, ['rtc']);
    assert.equal(p.roomId, 'abcd-efgh-ijkl');
    assert.equal(p.participantId, 'p-42');
    assert.equal(p.exp - p.iat, 120);
    const v = assertValid(await validate(srv, res.json.token), { identity: 'p-42', keySid: srv.key.sid, roles: ['rtc'], exp: p.exp });
    assert.deepEqual(v.grants, { permissions: ['allow_join', 'allow_mod'], roomId: 'abcd-efgh-ijkl' });
  });

  it('roles=crawler and permissions=ask_join alone are fine', async () => {
    const res = await srv.request('GET', '/get-token', { auth: srv.keyAuth, query: { permissions: 'ask_join', roles: 'crawler' } });
    assertStatus(res, 200);
    const p = checkVideoSdk(res.json.token);
    assert.deepEqual(p.permissions, ['ask_join']);
    assert.deepEqual(p.roles, ['crawler']);
  });

  it('every token has a fresh uuid jti', async () => {
    const jtis = new Set();
    for (let i = 0; i < 5; i++) {
      const res = await srv.request('GET', '/get-token', { auth: srv.keyAuth });
      jtis.add(decode(res.json.token).payload.jti);
    }
    assert.equal(jtis.size, 5);
  });

  it('ask_join with allow_join or allow_mod -> 400 4008', async () => {
    for (const permissions of ['ask_join,allow_join', 'allow_mod,ask_join', 'allow_join,allow_mod,ask_join']) {
      const res = await srv.request('GET', '/get-token', { auth: srv.keyAuth, query: { permissions } });
      assertError(res, 400, 4008, { twilio: false });
    }
  });

  it('unknown permission -> 400 4008', async () => {
    for (const permissions of ['fly', 'allow_join,root', 'ALLOW_JOIN']) {
      const res = await srv.request('GET', '/get-token', { auth: srv.keyAuth, query: { permissions } });
      assertError(res, 400, 4008, { twilio: false });
    }
  });

  it('account auth works, signed with the account\'s newest key', async () => {
    const res = await srv.request('GET', '/get-token', { auth: srv.accountAuth, query: { participantId: 'pa' } });
    assertStatus(res, 200);
    const p = decode(res.json.token).payload;
    const list = await srv.request('GET', `/2010-04-01/Accounts/${srv.account.sid}/Keys.json`, { auth: srv.accountAuth });
    assert.equal(p.apikey, list.json.keys[0].sid);
    assertValid(await validate(srv, res.json.token), { identity: 'pa' });
  });
});
