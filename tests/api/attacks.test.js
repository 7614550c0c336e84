// Hostile tokens against POST /v1/Accounts/{AC}/Tokens/validate
// (docs/api.md "Validate" and "Token rules and codes").
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import { startServer, basic, cliJson } from './lib/server.js';
import { assert401, assertError, assertStatus, assertValid, assertInvalid, validate, mint, assertExit0 } from './lib/check.js';
import { sign, twilioToken, decode, b64url, b64urlJson, now, randomSid, ISO_MS_RE } from './lib/jwt.js';

let srv;
let A; // srv.account
let B; // second account
let keyB;
const validatePath = (ac) => `/v1/Accounts/${ac}/Tokens/validate`;

before(async () => {
  srv = await startServer();
  A = srv.account;
  B = cliJson(srv.cli(['account', 'create']));
  keyB = cliJson(srv.cli(['key', 'create', '--account', B.sid]));
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

const good = (over = {}) => twilioToken({ keySid: srv.key.sid, secret: srv.key.secret, accountSid: A.sid, identity: 'mallory', room: 'vault', ...over });
const tokenAuth = (jwt) => 'Basic ' + Buffer.from('token:' + jwt).toString('base64');

describe('baseline', () => {
  it('a well-formed locally crafted token is valid (the crafting helpers are right)', async () => {
    const t = good();
    const { payload } = decode(t);
    const b = assertValid(await validate(srv, t), {
      identity: 'mallory', keySid: srv.key.sid, exp: payload.exp, roles: [],
      grants: { identity: 'mallory', video: { room: 'vault' } },
    });
    assert.equal(b.code, 0);
    assert.equal(b.message, null);
  });

  it('success response shape: {valid:true, code:0, message:null, expiration ISO, realm_user_id, identity, roles, grants, key_sid}', async () => {
    const m = await mint(srv, { identity: 'shape', room: 'sr' });
    const res = await validate(srv, m.token);
    assertStatus(res, 200);
    const b = res.json;
    assert.deepEqual(Object.keys(b).sort(), ['account_sid', 'code', 'expiration', 'grants', 'identity', 'key_sid', 'message', 'realm_user_id', 'roles', 'valid']);
    assert.equal(b.account_sid, srv.account.sid);
    assert.equal(b.valid, true);
    assert.equal(b.code, 0);
    assert.equal(b.message, null);
    assert.match(b.expiration, ISO_MS_RE);
    assert.equal(b.expiration, m.expires_at);
    assert.equal(b.realm_user_id, 'shape');
    assert.equal(b.identity, 'shape');
    assert.deepEqual(b.roles, []);
    assert.deepEqual(b.grants, { identity: 'shape', video: { room: 'sr' } });
    assert.equal(b.key_sid, srv.key.sid);
  });

  it('form bodies: Token and token', async () => {
    const t = good();
    for (const form of [{ Token: t }, { token: t }]) {
      const res = await srv.request('POST', validatePath(A.sid), { auth: srv.accountAuth, form });
      assertValid(res, { identity: 'mallory' });
    }
  });

  it('no token at all with account creds -> 400 21602', async () => {
    assertError(await srv.request('POST', validatePath(A.sid), { auth: srv.accountAuth, json: {} }), 400, 21602, { param: 'token' });
  });
});

describe('algorithm confusion -> 20101', () => {
  it('alg none, unsigned (empty signature)', async () => {
    const p = decode(good()).payload;
    const t = `${b64urlJson({ alg: 'none', typ: 'JWT' })}.${b64urlJson(p)}.`;
    assertInvalid(await validate(srv, t), 20101);
    // "None"/"NONE" variants too
    for (const alg of ['None', 'NONE', 'nOnE']) {
      assertInvalid(await validate(srv, `${b64urlJson({ alg, typ: 'JWT' })}.${b64urlJson(p)}.`), 20101);
    }
  });

  it('alg none carrying a valid HS256 signature', async () => {
    const p = decode(good()).payload;
    const h = b64urlJson({ alg: 'none', typ: 'JWT', cty: 'twilio-fpa;v=1' });
    const body = `${h}.${b64urlJson(p)}`;
    const sig = createHmac('sha256', srv.key.secret).update(body).digest('base64url');
    assertInvalid(await validate(srv, `${body}.${sig}`), 20101);
  });

  it('RS256 header (HMAC-signed with the secret, and really RSA-signed)', async () => {
    const p = decode(good()).payload;
    assertInvalid(await validate(srv, sign({ alg: 'RS256', typ: 'JWT' }, p, srv.key.secret, { alg: 'HS256' })), 20101);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const body = `${b64urlJson({ alg: 'RS256', typ: 'JWT' })}.${b64urlJson(p)}`;
    const sig = rsaSign('sha256', Buffer.from(body), privateKey).toString('base64url');
    assertInvalid(await validate(srv, `${body}.${sig}`), 20101);
  });

  it('ES256, PS256, HS1, unknown and missing alg', async () => {
    const p = decode(good()).payload;
    for (const header of [{ alg: 'ES256', typ: 'JWT' }, { alg: 'PS256', typ: 'JWT' }, { alg: 'HS1' }, { alg: 'hs256' }, { alg: 'HS256 ' }, { alg: 'XX999' }, { typ: 'JWT' }, { alg: 256 }, { alg: null }]) {
      const t = sign(header, p, srv.key.secret, { alg: 'HS256' });
      assertInvalid(await validate(srv, t), 20101);
    }
  });

  it('typ present but not JWT', async () => {
    const p = decode(good()).payload;
    assertInvalid(await validate(srv, sign({ alg: 'HS256', typ: 'JWS' }, p, srv.key.secret)), 20101);
    assertInvalid(await validate(srv, sign({ alg: 'HS256', typ: 42 }, p, srv.key.secret)), 20101);
  });

  it('HS256 header with an HS512 MAC -> 20107', async () => {
    const p = decode(good()).payload;
    assertInvalid(await validate(srv, sign({ alg: 'HS256', typ: 'JWT' }, p, srv.key.secret, { alg: 'HS512' })), 20107);
  });
});

describe('signature -> 20107', () => {
  it('HS256 signed with the wrong secret', async () => {
    assertInvalid(await validate(srv, good({ secret: 'not-the-secret' })), 20107);
    assertInvalid(await validate(srv, good({ secret: srv.account.auth_token })), 20107);
  });

  it('HS384 / HS512 with the wrong secret', async () => {
    assertInvalid(await validate(srv, good({ alg: 'HS384', secret: 'wrong' })), 20107);
    assertInvalid(await validate(srv, good({ alg: 'HS512', secret: 'wrong' })), 20107);
  });

  it('tampered payload keeping the old signature', async () => {
    const t = good();
    const [h, , s] = t.split('.');
    const p = decode(t).payload;
    p.grants.identity = 'admin';
    assertInvalid(await validate(srv, `${h}.${b64urlJson(p)}.${s}`), 20107);
    const p2 = decode(t).payload;
    p2.exp += 3600;
    assertInvalid(await validate(srv, `${h}.${b64urlJson(p2)}.${s}`), 20107);
  });

  it('tampered header keeping the old signature', async () => {
    const t = good();
    const [, p, s] = t.split('.');
    assertInvalid(await validate(srv, `${b64urlJson({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1', kid: 'x' })}.${p}.${s}`), 20107);
  });

  it('empty signature with HS256 header, or a flipped bit', async () => {
    const t = good();
    const [h, p, s] = t.split('.');
    // an empty third segment: a wrong MAC (20107) or not a segment at all (20101)
    const empty = await validate(srv, `${h}.${p}.`);
    assertStatus(empty, 200);
    assert.equal(empty.json.valid, false);
    assert.ok([20101, 20107].includes(empty.json.code), `empty signature: code ${empty.json.code}`);
    const raw = Buffer.from(s, 'base64url');
    raw[0] ^= 1;
    assertInvalid(await validate(srv, `${h}.${p}.${b64url(raw)}`), 20107);
  });

  it('the signature is checked before time rules: expired + wrong secret -> 20107', async () => {
    assertInvalid(await validate(srv, good({ iat: now() - 7200, ttl: 3600, secret: 'wrong' })), 20107);
    assertInvalid(await validate(srv, good({ iat: now() + 7200, secret: 'wrong' })), 20107);
  });
});

describe('time rules', () => {
  it('expired -> 20104', async () => {
    assertInvalid(await validate(srv, good({ iat: now() - 7200, ttl: 3600 })), 20104);
  });

  it('60 s leeway on exp: 30 s ago is valid, 120 s ago is not', async () => {
    assertValid(await validate(srv, good({ iat: now() - 630, ttl: 600 })), { identity: 'mallory' });
    assertInvalid(await validate(srv, good({ iat: now() - 720, ttl: 600 })), 20104);
  });

  it('nbf in the future -> 20105 (beyond the 60 s leeway)', async () => {
    const iat = now();
    assertInvalid(await validate(srv, good({ iat, ttl: 7200, extra: { nbf: iat + 3600 } })), 20105);
    assertValid(await validate(srv, good({ iat, ttl: 600, extra: { nbf: iat + 30 } })), { identity: 'mallory' });
  });

  it('iat in the future -> 20105', async () => {
    const iat = now() + 3600;
    assertInvalid(await validate(srv, good({ iat, ttl: 600 })), 20105);
  });

  it('lifetime over 24 h -> 20104 (exp - iat, exp - nbf, exp - now)', async () => {
    const t = now();
    assertInvalid(await validate(srv, good({ iat: t, ttl: 86400 + 120 })), 20104);
    assertInvalid(await validate(srv, good({ iat: t, ttl: 86400 + 120, extra: { iat: undefined } })), 20104);
    assertInvalid(await validate(srv, good({ iat: t, ttl: 86400 + 120, extra: { iat: undefined, nbf: undefined } })), 20104);
    assertInvalid(await validate(srv, good({ iat: t, ttl: 10 * 365 * 86400 })), 20104);
    // exactly 24 h is fine
    assertValid(await validate(srv, good({ iat: t, ttl: 86400 })), { identity: 'mallory' });
  });

  it('missing exp, or exp not a number -> 20104', async () => {
    assertInvalid(await validate(srv, good({ extra: { exp: undefined } })), 20104);
    assertInvalid(await validate(srv, good({ extra: { exp: String(now() + 600) } })), 20104);
    assertInvalid(await validate(srv, good({ extra: { exp: null } })), 20104);
    assertInvalid(await validate(srv, good({ extra: { exp: [now() + 600] } })), 20104);
  });
});

describe('key and account binding -> 20103', () => {
  it('unknown iss', async () => {
    assertInvalid(await validate(srv, good({ keySid: randomSid('SK') })), 20103);
    assertInvalid(await validate(srv, good({ keySid: 'not-a-sid' })), 20103);
  });

  it('missing iss (and no apikey): rejected as unknown key (20103) or malformed (20101)', async () => {
    const res = await validate(srv, good({ extra: { iss: undefined } }));
    assertStatus(res, 200);
    assert.equal(res.json.valid, false);
    assert.ok([20101, 20103].includes(res.json.code), `code ${res.json.code}`);
  });

  it('sub of another account (signed with A\'s key)', async () => {
    assertInvalid(await validate(srv, good({ accountSid: B.sid })), 20103);
    assertInvalid(await validate(srv, good({ accountSid: randomSid('AC') })), 20103);
  });

  it('deleted key', async () => {
    const c = await srv.request('POST', `/2010-04-01/Accounts/${A.sid}/Keys.json`, { auth: srv.accountAuth, form: { FriendlyName: 'tmp' } });
    assertStatus(c, 201);
    const t = twilioToken({ keySid: c.json.sid, secret: c.json.secret, accountSid: A.sid, identity: 'ghost' });
    assertValid(await validate(srv, t), { identity: 'ghost', keySid: c.json.sid });
    assertStatus(await srv.request('DELETE', `/2010-04-01/Accounts/${A.sid}/Keys/${c.json.sid}.json`, { auth: srv.accountAuth }), 204);
    assertInvalid(await validate(srv, t), 20103);
  });

  it('token of account B validated on account A\'s path', async () => {
    const t = twilioToken({ keySid: keyB.sid, secret: keyB.secret, accountSid: B.sid, identity: 'bob' });
    // it is valid for B...
    assertValid(await validate(srv, t, { account: B }), { identity: 'bob', keySid: keyB.sid });
    // ...but not for A
    assertInvalid(await validate(srv, t), 20103);
  });

  it('VideoSDK: unknown apikey -> 20103, wrong secret -> 20107, other account -> 20103', async () => {
    const p = { apikey: randomSid('SK'), permissions: ['allow_join'], version: 2, roles: ['rtc'], iat: now(), exp: now() + 600 };
    assertInvalid(await validate(srv, sign({ alg: 'HS256', typ: 'JWT' }, p, srv.key.secret)), 20103);
    p.apikey = srv.key.sid;
    assertInvalid(await validate(srv, sign({ alg: 'HS256', typ: 'JWT' }, p, 'wrong')), 20107);
    assertValid(await validate(srv, sign({ alg: 'HS256', typ: 'JWT' }, p, srv.key.secret)), { keySid: srv.key.sid });
    const pb = { ...p, apikey: keyB.sid };
    assertInvalid(await validate(srv, sign({ alg: 'HS256', typ: 'JWT' }, pb, keyB.secret)), 20103);
  });
});

describe('malformed tokens -> 20101', () => {
  it('truncated tokens', async () => {
    const t = good();
    assertInvalid(await validate(srv, t.slice(0, t.lastIndexOf('.'))), 20101); // two segments
    assertInvalid(await validate(srv, t.slice(0, t.indexOf('.') + 5)), 20101); // cut inside the payload
    assertInvalid(await validate(srv, t.slice(0, 10)), 20101);
    // cut inside the signature: either undecodable (20101) or a wrong MAC (20107)
    for (const cut of [1, 2, 3, 5]) {
      const res = await validate(srv, t.slice(0, -cut));
      assertStatus(res, 200);
      assert.equal(res.json.valid, false, `cut ${cut}`);
      assert.ok([20101, 20107].includes(res.json.code), `cut ${cut}: code ${res.json.code}`);
    }
  });

  it('wrong number of segments', async () => {
    const t = good();
    assertInvalid(await validate(srv, t + '.extra'), 20101);
    assertInvalid(await validate(srv, t + '.'), 20101);
    assertInvalid(await validate(srv, 'abc'), 20101);
    assertInvalid(await validate(srv, '..'), 20101);
  });

  it('1 MB token', async () => {
    const big = good({ extra: { pad: 'A'.repeat(1024 * 1024) } });
    assert.ok(big.length > 1024 * 1024);
    assertInvalid(await validate(srv, big), 20101);
  });

  it('8192-byte limit: 8192 ok, 8193 rejected', async () => {
    // grow a padding claim until the token has exactly `len` bytes
    const sized = (len, alg) => {
      const est = Math.floor(((len - good({ alg }).length) * 3) / 4) - 8;
      for (let pad = Math.max(0, est - 16); pad < est + 16; pad++) {
        const t = good({ alg, extra: { pad: 'A'.repeat(pad) } });
        if (t.length === len) return t;
      }
      return null;
    };
    // HS256 (43-char MAC) reaches 8192, HS384 (64-char MAC) reaches 8193
    const t8192 = sized(8192, 'HS256') || sized(8192, 'HS384') || sized(8192, 'HS512');
    const t8193 = sized(8193, 'HS384') || sized(8193, 'HS256') || sized(8193, 'HS512');
    assert.ok(t8192, 'built an 8192-byte token');
    assert.ok(t8193, 'built an 8193-byte token');
    assertValid(await validate(srv, t8192), { identity: 'mallory' });
    assertInvalid(await validate(srv, t8193), 20101);
    const t9000 = good({ extra: { pad: 'A'.repeat(7000) } });
    assert.ok(t9000.length > 8193);
    assertInvalid(await validate(srv, t9000), 20101);
  });

  it('non-JSON header or payload', async () => {
    const p = decode(good()).payload;
    const h = { alg: 'HS256', typ: 'JWT' };
    assertInvalid(await validate(srv, sign('not json', p, srv.key.secret)), 20101);
    assertInvalid(await validate(srv, sign(h, 'not json', srv.key.secret)), 20101);
    assertInvalid(await validate(srv, sign('{"alg":"HS256"', p, srv.key.secret)), 20101);
    assertInvalid(await validate(srv, sign(h, '{"iss":', srv.key.secret)), 20101);
    // JSON, but not objects
    assertInvalid(await validate(srv, sign('["HS256"]', p, srv.key.secret)), 20101);
    assertInvalid(await validate(srv, sign(h, '"a string"', srv.key.secret)), 20101);
    assertInvalid(await validate(srv, sign(h, 'null', srv.key.secret)), 20101);
    // binary garbage that is not UTF-8
    const garbage = b64url(Buffer.from([0xff, 0xfe, 0x00, 0x81]));
    const body = `${b64urlJson(h)}.${garbage}`;
    assertInvalid(await validate(srv, `${body}.${createHmac('sha256', srv.key.secret).update(body).digest('base64url')}`), 20101);
  });

  it('bad base64url', async () => {
    const t = good();
    const [h, p, s] = t.split('.');
    assertInvalid(await validate(srv, `${h}!.${p}.${s}`), 20101);
    assertInvalid(await validate(srv, `${h}.${p}*.${s}`), 20101);
    assertInvalid(await validate(srv, `${h}.${p.slice(0, 4)} ${p.slice(4)}.${s}`), 20101);
    assertInvalid(await validate(srv, `%%%.${p}.${s}`), 20101);
  });
});

describe('Basic base64("token:" + JWT) mode', () => {
  it('valid token in the header, no body -> 200 valid:true', async () => {
    const m = await mint(srv, { identity: 'hdr', room: 'hr' });
    const res = await srv.request('POST', validatePath(A.sid), { auth: tokenAuth(m.token) });
    assertValid(res, { identity: 'hdr', keySid: srv.key.sid, grants: { identity: 'hdr', video: { room: 'hr' } } });
  });

  it('valid token in header and the same token in the body -> valid:true', async () => {
    const m = await mint(srv, { identity: 'same' });
    assertValid(await srv.request('POST', validatePath(A.sid), { auth: tokenAuth(m.token), json: { token: m.token } }), { identity: 'same' });
    assertValid(await srv.request('POST', validatePath(A.sid), { auth: tokenAuth(m.token), form: { Token: m.token } }), { identity: 'same' });
  });

  it('its own expired token in header and body -> 200 valid:false 20104', async () => {
    const t = good({ iat: now() - 7200, ttl: 3600 });
    assertInvalid(await srv.request('POST', validatePath(A.sid), { auth: tokenAuth(t), json: { token: t } }), 20104);
    assertInvalid(await srv.request('POST', validatePath(A.sid), { auth: tokenAuth(t) }), 20104);
  });

  it('garbage header token with a different body token -> 401', async () => {
    const m = await mint(srv, { identity: 'body' });
    assert401(await srv.request('POST', validatePath(A.sid), { auth: tokenAuth('garbage.token.here'), json: { token: m.token } }));
  });

  it('expired / forged / other-account header token with a different body token -> 401', async () => {
    const m = await mint(srv, { identity: 'body' });
    const expired = good({ iat: now() - 7200, ttl: 3600 });
    const forged = good({ secret: 'wrong' });
    const other = twilioToken({ keySid: keyB.sid, secret: keyB.secret, accountSid: B.sid, identity: 'b' });
    for (const h of [expired, forged, other]) {
      assert401(await srv.request('POST', validatePath(A.sid), { auth: tokenAuth(h), json: { token: m.token } }));
    }
  });

  it('valid header token + different body token -> the body token is validated', async () => {
    const hdr = await mint(srv, { identity: 'caller' });
    const other = await mint(srv, { identity: 'subject', room: 's' });
    assertValid(await srv.request('POST', validatePath(A.sid), { auth: tokenAuth(hdr.token), json: { token: other.token } }), { identity: 'subject' });
    const expired = good({ iat: now() - 7200, ttl: 3600 });
    assertInvalid(await srv.request('POST', validatePath(A.sid), { auth: tokenAuth(hdr.token), json: { token: expired } }), 20104);
  });

  it('a header token of account B on A\'s path, no body -> valid:false 20103', async () => {
    const t = twilioToken({ keySid: keyB.sid, secret: keyB.secret, accountSid: B.sid, identity: 'b' });
    assertInvalid(await srv.request('POST', validatePath(A.sid), { auth: tokenAuth(t) }), 20103);
  });

  it('garbage header token, no body -> valid:false 20101', async () => {
    assertInvalid(await srv.request('POST', validatePath(A.sid), { auth: tokenAuth('garbage') }), 20101);
  });

  it('"token:" with an empty JWT -> 401 or invalid, never valid', async () => {
    const res = await srv.request('POST', validatePath(A.sid), { auth: tokenAuth('') });
    assert.ok(res.status === 401 || res.status === 400 || (res.status === 200 && res.json.valid === false), `${res.status} ${res.text}`);
  });

  it('other-account credentials on the path -> 401', async () => {
    const t = good();
    assert401(await srv.request('POST', validatePath(A.sid), { auth: basic(B.sid, B.auth_token), json: { token: t } }));
    assert401(await srv.request('POST', validatePath(B.sid), { auth: srv.accountAuth, json: { token: t } }));
  });
});
