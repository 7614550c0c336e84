// Interoperability with third-party JWT libraries and the twilio npm package.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import jwt from 'jsonwebtoken';
import twilio from 'twilio';
import { startServer, basic } from './lib/server.js';
import { makeHttpClient } from './lib/twilio_http.js';
import { assertStatus, assertValid, assertInvalid, validate, mint, assertExit0 } from './lib/check.js';
import { decode, now } from './lib/jwt.js';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

describe('our tokens verify with third-party libraries', () => {
  it('Twilio-format token: jose.jwtVerify and jsonwebtoken.verify', async () => {
    const t = await mint(srv, { identity: 'erin', room: 'interop' });
    const key = new TextEncoder().encode(srv.key.secret);
    const { payload, protectedHeader } = await jose.jwtVerify(t.token, key, { algorithms: ['HS256'] });
    assert.deepEqual(protectedHeader, { alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' });
    assert.equal(payload.iss, srv.key.sid);
    assert.equal(payload.sub, srv.account.sid);
    assert.deepEqual(payload.grants, { identity: 'erin', video: { room: 'interop' } });

    const p2 = jwt.verify(t.token, srv.key.secret, { algorithms: ['HS256'] });
    assert.equal(p2.grants.identity, 'erin');
    assert.equal(p2.jti, `${srv.key.sid}-${p2.iat}`);
    // and they fail with another secret
    await assert.rejects(jose.jwtVerify(t.token, new TextEncoder().encode('nope'), { algorithms: ['HS256'] }));
    assert.throws(() => jwt.verify(t.token, 'nope', { algorithms: ['HS256'] }));
  });

  it('GET /token and GET /get-token tokens verify with jose and jsonwebtoken', async () => {
    const key = new TextEncoder().encode(srv.key.secret);
    const a = await srv.request('GET', '/token', { auth: srv.keyAuth, query: { identity: 'frank', room: 'r' } });
    assertStatus(a, 200);
    assert.equal((await jose.jwtVerify(a.json.token, key, { algorithms: ['HS256'] })).payload.grants.identity, 'frank');
    assert.equal(jwt.verify(a.json.token, srv.key.secret, { algorithms: ['HS256'] }).grants.video.room, 'r');

    const b = await srv.request('GET', '/get-token', { auth: srv.keyAuth, query: { roomId: 'rm', participantId: 'pp' } });
    assertStatus(b, 200);
    const vp = (await jose.jwtVerify(b.json.token, key, { algorithms: ['HS256'] })).payload;
    assert.equal(vp.apikey, srv.key.sid);
    assert.deepEqual(vp.permissions, ['allow_join']);
    assert.equal(jwt.verify(b.json.token, srv.key.secret, { algorithms: ['HS256'] }).participantId, 'pp');
  });
});

describe('third-party tokens validate on our server', () => {
  const { AccessToken } = twilio.jwt;
  const { VideoGrant } = AccessToken;

  for (const alg of ['HS256', 'HS384', 'HS512']) {
    it(`twilio npm AccessToken helper (${alg}) -> valid:true`, async () => {
      const at = new AccessToken(srv.account.sid, srv.key.sid, srv.key.secret, { identity: 'grace', ttl: 600 });
      at.addGrant(new VideoGrant({ room: 'helper-room' }));
      const token = at.toJwt(alg);
      assert.equal(decode(token).header.alg, alg);
      const { payload } = decode(token);
      assertValid(await validate(srv, token), {
        identity: 'grace',
        keySid: srv.key.sid,
        exp: payload.exp,
        roles: [],
        grants: { identity: 'grace', video: { room: 'helper-room' } },
      });
    });
  }

  it('twilio helper token without room, unicode identity', async () => {
    const at = new AccessToken(srv.account.sid, srv.key.sid, srv.key.secret, { identity: 'Zoë 🎥' });
    at.addGrant(new VideoGrant());
    assertValid(await validate(srv, at.toJwt()), { identity: 'Zoë 🎥', keySid: srv.key.sid });
  });

  it('twilio helper token with a wrong secret -> 20107, ttl over 24 h -> 20104', async () => {
    const bad = new AccessToken(srv.account.sid, srv.key.sid, 'x'.repeat(32), { identity: 'g' });
    bad.addGrant(new VideoGrant({ room: 'r' }));
    assertInvalid(await validate(srv, bad.toJwt()), 20107);
    const long = new AccessToken(srv.account.sid, srv.key.sid, srv.key.secret, { identity: 'g', ttl: 90000 });
    long.addGrant(new VideoGrant({ room: 'r' }));
    assertInvalid(await validate(srv, long.toJwt()), 20104);
  });

  for (const algorithm of ['HS256', 'HS384', 'HS512']) {
    it(`jsonwebtoken Twilio-shaped token (${algorithm}) -> valid:true`, async () => {
      const iat = now();
      const token = jwt.sign(
        { jti: `${srv.key.sid}-${iat}`, grants: { identity: 'heidi', video: { room: 'jw' } } },
        srv.key.secret,
        { algorithm, header: { cty: 'twilio-fpa;v=1', typ: 'JWT', alg: algorithm }, issuer: srv.key.sid, subject: srv.account.sid, expiresIn: 3600, notBefore: 0 },
      );
      assert.equal(decode(token).header.alg, algorithm);
      assertValid(await validate(srv, token), { identity: 'heidi', keySid: srv.key.sid, grants: { identity: 'heidi', video: { room: 'jw' } } });
    });
  }

  it('VideoSDK token minted by jsonwebtoken exactly as in VideoSDK\'s docs -> valid:true', async () => {
    const options = { expiresIn: '24h', algorithm: 'HS256', jwtid: randomUUID() };
    const payload = { apikey: srv.key.sid, permissions: ['allow_join'] };
    const token = jwt.sign(payload, srv.key.secret, options);
    const b = assertValid(await validate(srv, token), { keySid: srv.key.sid });
    assert.deepEqual(b.grants.permissions, ['allow_join']);
    assert.equal(Date.parse(b.expiration), decode(token).payload.exp * 1000);
  });

  it('VideoSDK token with version 2, roles, roomId, participantId (jsonwebtoken)', async () => {
    const token = jwt.sign(
      { apikey: srv.key.sid, permissions: ['allow_join', 'allow_mod'], version: 2, roles: ['rtc'], roomId: 'aaaa-bbbb-cccc', participantId: 'ivan' },
      srv.key.secret,
      { algorithm: 'HS256', expiresIn: '2h', jwtid: randomUUID() },
    );
    const b = assertValid(await validate(srv, token), { identity: 'ivan', keySid: srv.key.sid, roles: ['rtc'] });
    assert.deepEqual(b.grants, { permissions: ['allow_join', 'allow_mod'], roomId: 'aaaa-bbbb-cccc' });
  });

  it('jose-minted (SignJWT) HS512 Twilio-shaped token -> valid:true', async () => {
    const token = await new jose.SignJWT({ grants: { identity: 'judy', video: { room: 'jose' } } })
      .setProtectedHeader({ alg: 'HS512', typ: 'JWT', cty: 'twilio-fpa;v=1' })
      .setIssuer(srv.key.sid)
      .setSubject(srv.account.sid)
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti(`${srv.key.sid}-${now()}`)
      .sign(new TextEncoder().encode(srv.key.secret));
    assertValid(await validate(srv, token), { identity: 'judy', keySid: srv.key.sid });
  });
});

describe('twilio npm REST client against our server', () => {
  it('create, list, fetch, update, delete keys with account credentials', async () => {
    const log = [];
    const client = twilio(srv.account.sid, srv.account.auth_token, { httpClient: makeHttpClient(srv.url, log) });
    const account = client.api.v2010.accounts(srv.account.sid);

    const created = await account.newKeys.create({ friendlyName: 'from-twilio-node' });
    assert.match(created.sid, /^SK[0-9a-f]{32}$/);
    assert.equal(created.friendlyName, 'from-twilio-node');
    assert.equal(typeof created.secret, 'string');
    assert.ok(created.dateCreated instanceof Date && !Number.isNaN(created.dateCreated.getTime()), 'dateCreated parsed from RFC 2822');
    assert.ok(Math.abs(created.dateCreated.getTime() - Date.now()) < 5 * 60 * 1000);

    // make sure paging is exercised: several keys, page size 2
    for (let i = 0; i < 3; i++) await account.newKeys.create({ friendlyName: `bulk-${i}` });
    const listed = await account.keys.list({ pageSize: 2 });
    const sids = listed.map((k) => k.sid);
    assert.ok(sids.includes(created.sid));
    assert.ok(sids.includes(srv.key.sid));
    assert.equal(sids.length, 5);
    assert.equal(new Set(sids).size, 5);
    for (const k of listed) assert.equal(k.secret, undefined);
    assert.ok(log.filter((l) => l.startsWith('GET') && l.includes('Keys.json')).length >= 3, `list should follow next_page_uri: ${log.join(' | ')}`);

    const fetched = await account.keys(created.sid).fetch();
    assert.equal(fetched.sid, created.sid);
    assert.equal(fetched.friendlyName, 'from-twilio-node');
    assert.ok(fetched.dateUpdated instanceof Date && !Number.isNaN(fetched.dateUpdated.getTime()));

    const updated = await account.keys(created.sid).update({ friendlyName: 'renamed-by-twilio-node' });
    assert.equal(updated.friendlyName, 'renamed-by-twilio-node');
    assert.equal((await account.keys(created.sid).fetch()).friendlyName, 'renamed-by-twilio-node');

    assert.equal(await account.keys(created.sid).remove(), true);
    await assert.rejects(account.keys(created.sid).fetch(), (e) => {
      assert.equal(e.status, 404);
      assert.equal(e.code, 20404);
      assert.equal(e.moreInfo, 'https://www.twilio.com/docs/errors/20404');
      return true;
    });
  });

  it('the top-level shortcuts (client.newKeys / client.keys) work too', async () => {
    const client = twilio(srv.account.sid, srv.account.auth_token, { httpClient: makeHttpClient(srv.url, []) });
    const k = await client.newKeys.create({ friendlyName: 'shortcut' });
    const all = await client.keys.list();
    assert.ok(all.some((x) => x.sid === k.sid && x.friendlyName === 'shortcut'));
    assert.equal(await client.keys(k.sid).remove(), true);
  });

  it('works with key credentials (SK + secret, accountSid option)', async () => {
    const client = twilio(srv.key.sid, srv.key.secret, { accountSid: srv.account.sid, httpClient: makeHttpClient(srv.url, []) });
    const k = await client.api.v2010.accounts(srv.account.sid).newKeys.create({ friendlyName: 'by-key-client' });
    assert.equal(k.friendlyName, 'by-key-client');
    const f = await client.api.v2010.accounts(srv.account.sid).keys(k.sid).fetch();
    assert.equal(f.sid, k.sid);
    // the secret returned through twilio-node mints tokens that validate
    const t = await mint(srv, { auth: basic(k.sid, k.secret), identity: 'via-client-key' });
    assertValid(await validate(srv, t.token), { identity: 'via-client-key', keySid: k.sid });
    assert.equal(await client.api.v2010.accounts(srv.account.sid).keys(k.sid).remove(), true);
  });

  it('bad credentials surface as RestException 401 / 20003', async () => {
    const client = twilio(srv.account.sid, 'wrong-token', { httpClient: makeHttpClient(srv.url, []) });
    await assert.rejects(client.api.v2010.accounts(srv.account.sid).keys.list(), (e) => {
      assert.equal(e.status, 401);
      assert.equal(e.code, 20003);
      return true;
    });
  });
});
