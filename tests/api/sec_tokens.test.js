// Issue 10, items 4 and 10: tokens crafted by a key holder (a buggy or
// malicious backend) to outlive the 24 h cap or to dodge a kick, tokens
// spelled in more than one way, and an empty room read as "any room".
// Each attack goes end to end: the IAM-style validate route and a
// signaling join on /v1/signal must both refuse it, with the code of
// docs/api.md "Token rules and codes".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { assertError, assertExit0, assertInvalid, assertStatus, assertValid, validate } from './lib/check.js';
import { sign, b64url, b64urlJson, hmac, now, twilioToken } from './lib/jwt.js';
import { join } from './lib/signal.js';
import twilio from 'twilio';
import * as jose from 'jose';

let srv;
before(async () => { srv = await startServer({ threads: 2, args: ['--access-log', 'off'] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

const YEAR = 365 * 86400;

/** A Twilio token with exactly these claims (undefined drops one). */
function crafted(identity, room, { iat, nbf, exp }) {
  const payload = { jti: `${srv.key.sid}-${iat ?? 0}`, iss: srv.key.sid, sub: srv.account.sid, iat, nbf, exp,
    grants: { identity, video: room === undefined ? {} : { room } } };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  return sign({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' }, payload, srv.key.secret);
}

/** A VideoSDK token with these claims, signed with the server's key. */
function craftedVsdk(claims) {
  return sign({ alg: 'HS256', typ: 'JWT' }, { apikey: srv.key.sid, permissions: ['allow_join'], version: 2, roles: ['crawler', 'rtc'], ...claims }, srv.key.secret);
}

/** The validate route says valid:false with code, and a join is refused
 * with code (or one of joinCodes: the signaling parser refuses a token
 * with whitespace as a bad field, 53004, before validating it). */
async function refusedEverywhere(token, code, room = 'sec-room', joinCodes = [code]) {
  assertInvalid(await validate(srv, token), code);
  const j = await join(srv, token, room);
  assert.equal(j.joined.type, 'error', `join must be refused: ${JSON.stringify(j.joined)}`);
  assert.ok(joinCodes.includes(j.joined.code), JSON.stringify(j.joined));
  await j.c.closed;
}

async function joins(token, room) {
  const j = await join(srv, token, room);
  assert.equal(j.joined.type, 'joined', JSON.stringify(j.joined));
  return j;
}

describe('time claims a key holder can craft (item 4)', () => {
  it('iat = exp - 100, nbf = now, exp = now + 10 years -> 20104', async () => {
    const t = now();
    await refusedEverywhere(crafted('mallory', 'sec-room', { iat: t + 10 * YEAR - 100, nbf: t, exp: t + 10 * YEAR }), 20104);
    await refusedEverywhere(craftedVsdk({ participantId: 'mallory', iat: t + 10 * YEAR - 100, nbf: t, exp: t + 10 * YEAR }), 20104);
  });

  it('exp = 2^52 -> 20104, with or without an iat next to it', async () => {
    const e = 2 ** 52;
    const t = now();
    await refusedEverywhere(crafted('mallory', 'sec-room', { iat: e - 100, nbf: t, exp: e }), 20104);
    await refusedEverywhere(crafted('mallory', 'sec-room', { iat: e - 100, exp: e }), 20104);
    await refusedEverywhere(crafted('mallory', 'sec-room', { iat: t, nbf: t, exp: e }), 20104);
  });

  it('exp that is no usable time (1e300, negative, fractional, a string) -> 20104', async () => {
    const t = now();
    const body = (exp) => `{"iss":"${srv.key.sid}","sub":"${srv.account.sid}","iat":${t},"exp":${exp},"grants":{"identity":"mallory","video":{"room":"sec-room"}}}`;
    for (const exp of ['1e300', '-1', `-${t + 600}`, `${t + 600}.5`, `"${t + 600}"`]) {
      const tok = sign({ alg: 'HS256', typ: 'JWT' }, body(exp), srv.key.secret);
      await refusedEverywhere(tok, 20104);
    }
  });

  it('lifetime: exp - now and exp - iat are capped at 24 h (exp - now with 60 s of leeway)', async () => {
    const t = now();
    await refusedEverywhere(crafted('mallory', 'sec-room', { iat: t - 3600, exp: t - 3600 + 86401 }), 20104);
    // an issuer whose clock runs 30 s ahead still gets its full 24 h
    const ahead = crafted('alice', 'sec-room', { iat: t + 30, nbf: t + 30, exp: t + 30 + 86400 });
    assertValid(await validate(srv, ahead), { identity: 'alice' });
    const j = await joins(ahead, 'sec-room');
    await j.c.close();
  });

  it('nbf before iat -> 20101', async () => {
    const t = now();
    await refusedEverywhere(crafted('mallory', 'sec-room', { iat: t, nbf: t - 1, exp: t + 600 }), 20101);
    await refusedEverywhere(craftedVsdk({ participantId: 'mallory', iat: t, nbf: t - 60, exp: t + 600 }), 20101);
  });

  it('iat in the future beyond the 60 s leeway -> 20105, even with nbf = now', async () => {
    const t = now();
    await refusedEverywhere(crafted('mallory', 'sec-room', { iat: t + 3600, nbf: t, exp: t + 7200 }), 20105);
    await refusedEverywhere(craftedVsdk({ participantId: 'mallory', iat: t + 3600, nbf: t, exp: t + 7200 }), 20105);
  });

  it('after a kick, a token with iat = now + 86000 and nbf = now neither validates nor joins', async () => {
    const room = 'sec-kick';
    const m = await joins(twilioToken({ keySid: srv.key.sid, secret: srv.key.secret, accountSid: srv.account.sid, identity: 'mallory', room }), room);
    const kicked = await srv.request('POST', `/v1/Rooms/${room}/Participants/mallory`, { auth: srv.keyAuth, form: { Status: 'disconnected' } });
    assertStatus(kicked, 200);
    const bye = await m.c.next('error');
    assert.equal(bye.code, 53216, JSON.stringify(bye));
    await m.c.closed;
    const t = now();
    const dodge = crafted('mallory', room, { iat: t + 86000, nbf: t, exp: t + 3600 });
    await refusedEverywhere(dodge, 20105, room);
    // the same without nbf, or as a VideoSDK token
    await refusedEverywhere(crafted('mallory', room, { iat: t + 86000, exp: t + 3600 }), 20105, room);
    // a token honestly issued before the kick stays revoked
    await refusedEverywhere(crafted('mallory', room, { iat: t - 5, nbf: t - 5, exp: t + 3600 }), 20106, room);
    // nobody is left in the room
    const list = await srv.request('GET', `/v1/Rooms/${room}/Participants?Status=connected`, { auth: srv.keyAuth });
    assertStatus(list, 200);
    assert.deepEqual(list.json.participants, []);
  });

  it("tokens of twilio's AccessToken helper and of jose still validate and join", async () => {
    const { AccessToken } = twilio.jwt;
    const at = new AccessToken(srv.account.sid, srv.key.sid, srv.key.secret, { identity: 'helper', ttl: 86400 });
    at.addGrant(new AccessToken.VideoGrant({ room: 'sec-room' }));
    const helper = at.toJwt();
    assertValid(await validate(srv, helper), { identity: 'helper' });
    (await joins(helper, 'sec-room')).c.close();
    const withNbf = new AccessToken(srv.account.sid, srv.key.sid, srv.key.secret, { identity: 'helper2', ttl: 600, nbf: now() + 5 });
    withNbf.addGrant(new AccessToken.VideoGrant({ room: 'sec-room' }));
    assertValid(await validate(srv, withNbf.toJwt()), { identity: 'helper2' });
    // jose without iat: the lifetime is measured from now, revocation treats it as old
    const noIat = await new jose.SignJWT({ grants: { identity: 'josie', video: { room: 'sec-room' } } })
      .setProtectedHeader({ alg: 'HS384', typ: 'JWT' }).setIssuer(srv.key.sid).setSubject(srv.account.sid)
      .setExpirationTime(now() + 600).sign(new TextEncoder().encode(srv.key.secret));
    assertValid(await validate(srv, noIat), { identity: 'josie' });
  });
});

describe('one token, one spelling (item 10)', () => {
  async function fresh(identity) {
    const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity, room: 'sec-room' } });
    assertStatus(res, 200);
    assertValid(await validate(srv, res.json.token), { identity });
    return res.json.token;
  }

  it('a padded signature (same MAC bytes) -> 20101', async () => {
    const t = await fresh('pad1');
    assert.equal(t.split('.')[2].length % 4, 3, 'HS256 signature: 43 chars');
    await refusedEverywhere(`${t}=`, 20101);
  });

  it('padded header and payload, correctly signed over the padded text -> 20101', async () => {
    const t = now();
    const payload = JSON.stringify({ iss: srv.key.sid, sub: srv.account.sid, iat: t, exp: t + 600, grants: { identity: 'pad2', video: { room: 'sec-room' } } });
    let p = b64url(payload);
    const padTo4 = (s) => s + '='.repeat((4 - (s.length % 4)) % 4);
    // make both segments need padding
    const h = b64urlJson('{"alg":"HS256","typ":"JWT" }'); // 28 bytes: 38 chars
    assert.notEqual(h.length % 4, 0);
    if (p.length % 4 === 0) p = b64url(payload + ' ');
    const signed = (hh, pp) => `${hh}.${pp}.${hmac('HS256', srv.key.secret, `${hh}.${pp}`)}`;
    assertValid(await validate(srv, signed(h, p)), { identity: 'pad2' }); // the canonical spelling
    await refusedEverywhere(signed(padTo4(h), p), 20101);
    await refusedEverywhere(signed(h, padTo4(p)), 20101);
    await refusedEverywhere(signed(padTo4(h), padTo4(p)), 20101);
  });

  it("'+' and '/' for '-' and '_', spare bits set, whitespace, 1 mod 4 chars -> 20101", async () => {
    let swapped = 0;
    for (let i = 0; swapped < 2 && i < 40; i++) {
      const t = await fresh(`alpha${i}`);
      const sig = t.split('.')[2];
      const from = swapped ? '_' : '-';
      if (!sig.includes(from)) continue;
      await refusedEverywhere(t.slice(0, t.lastIndexOf('.') + 1) + sig.replace(from, swapped ? '/' : '+'), 20101);
      swapped++;
    }
    assert.equal(swapped, 2, "found signatures with '-' and '_'");
    const t = await fresh('bits');
    const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alpha.indexOf(t.at(-1));
    assert.equal(last & 3, 0);
    await refusedEverywhere(t.slice(0, -1) + alpha[last | 1], 20101);
    await refusedEverywhere(t.slice(0, 20) + ' ' + t.slice(20), 20101, 'sec-room', [20101, 53004]);
    await refusedEverywhere(`${t}\n`, 20101, 'sec-room', [20101, 53004]);
    await refusedEverywhere(`${t}AA`, 20101);
  });
});

describe('an empty room is no room (item 10)', () => {
  it('minting with room "" -> 400 21603 on every route, nothing minted', async () => {
    const auth = srv.keyAuth;
    assertError(await srv.request('POST', '/v1/AccessTokens', { auth, json: { identity: 'e', room: '' } }), 400, 21603, { param: 'room' });
    assertError(await srv.request('POST', '/v1/AccessTokens', { auth, form: { identity: 'e', Room: '' } }), 400, 21603, { param: 'room' });
    assertError(await srv.request('POST', '/v1/AccessTokens', { auth, json: { identity: 'e', room: '', kind: 'videosdk' } }), 400, 21603, { param: 'room' });
    assertError(await srv.request('GET', '/token', { auth, query: { identity: 'e', room: '' } }), 400, 21603, { param: 'room' });
    assertError(await srv.request('GET', '/get-token', { auth, query: { roomId: '' } }), 400, 21603, { param: 'roomId' });
    // the CLI's token command refuses it too (exit 1, nothing on stdout)
    assert.throws(() => srv.cli(['token', '--account', srv.account.sid, '--key', srv.key.sid, '--identity', 'e', '--room', '']),
      (e) => e.status === 1 && e.stdout === '' && /--room/.test(e.stderr));
    // absent is still "any room" (Twilio's video grant without room)
    const any = await srv.request('GET', '/token', { auth, query: { identity: 'e' } });
    assertStatus(any, 200);
    assertValid(await validate(srv, any.json.token), { identity: 'e', grants: { identity: 'e', video: {} } });
  });

  it('a crafted grant with room "" (Twilio) or roomId "" (VideoSDK) -> 20101, not any room', async () => {
    const t = now();
    await refusedEverywhere(crafted('mallory', '', { iat: t, nbf: t, exp: t + 600 }), 20101);
    await refusedEverywhere(craftedVsdk({ participantId: 'mallory', roomId: '', iat: t, exp: t + 600 }), 20101);
    // and the VideoSDK REST routes, which scope a roomId token to its room
    const vs = craftedVsdk({ roomId: '', iat: t, exp: t + 600 });
    assertError(await srv.request('GET', '/v2/rooms', { headers: { Authorization: vs } }), 401, 4002, { twilio: false });
  });
});
