// GET /sec_rec (seed 003's url_provider) with local validation: the
// Authorization shape, the access rules, the audit row of every decision,
// CORS with the preflight.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cliJson, basic, waitFor, waitCredentials } from './lib/server.js';
import { assertError, assertStatus, assertExit0 } from './lib/check.js';
import { twilioToken, now } from './lib/jwt.js';
import { startRecServer, upload, tokenFor, tokenAuth, secRec, fetchMedia } from './lib/rec.js';

const ORIGIN = 'https://flex.twilio.com';
let srv, rec, roomRec, consRec;

before(async () => {
  srv = await startRecServer({ args: ['--cors-origins', `${ORIGIN}, https://other.example`] });
  const up = await upload(srv, Buffer.from('recording bytes'), { query: { AllowedIdentities: 'alice,user@example.com', AllowedRoles: 'rtc' } });
  assertStatus(up, 201);
  rec = up.json;
  const room = cliJson(srv.cli(['room', 'create', '--account', srv.account.sid, '--name', 'consult-room']));
  srv.cli(['participant', 'join', '--account', srv.account.sid, '--room', room.sid, '--identity', 'dora']);
  const r2 = await upload(srv, Buffer.from('room recording'), { query: { RoomSid: room.sid } });
  assertStatus(r2, 201);
  roomRec = r2.json;
  srv.cli(['consultation', 'create', '--account', srv.account.sid, '--consultation-id', 'cons-1', '--detail-id', 'd-1',
    '--client-identity', 'cli', '--provider-identity', 'doc', '--starts-at', new Date(Date.now() + 3600e3).toISOString(),
    '--ends-at', new Date(Date.now() + 7200e3).toISOString()]);
  const r3 = await upload(srv, Buffer.from('consultation recording'), { query: { ConsultationId: 'cons-1' } });
  assertStatus(r3, 201);
  consRec = r3.json;
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

async function accessLog(sid) {
  const r = await srv.request('GET', `/v1/Recordings/${sid}/AccessLog`, { auth: srv.accountAuth, query: { PageSize: 1000 } });
  assertStatus(r, 200);
  return r.json.access_log;
}

describe('granted', () => {
  it('identity in allowed_identities -> 200 {media_url} that serves the bytes; audit row granted', async () => {
    const jwt = await tokenFor(srv, 'alice');
    const before = now();
    const res = await secRec(srv, rec.sid, jwt, { headers: { 'User-Agent': 'flex-player/1.0' } });
    const after = now();
    assertStatus(res, 200);
    assert.deepEqual(Object.keys(res.json), ['media_url']);
    const u = new URL(res.json.media_url);
    assert.equal(u.origin, srv.url);
    assert.equal(u.pathname, `/media/${rec.sid}`);
    assert.match(u.searchParams.get('nonce'), /^[A-Za-z0-9_-]{22}$/);
    assert.match(u.searchParams.get('sig'), /^[A-Za-z0-9_-]{43}$/);
    // exp is the server's clock at the request + --link-ttl (60 s by default):
    // bounded by the clock read before the request and after the answer
    const exp = Number(u.searchParams.get('exp'));
    assert.ok(exp >= before + 60 && exp <= after + 60, `exp ${exp}: 60 s by default (request between ${before} and ${after})`);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const m = await fetchMedia(res.json.media_url);
    assert.equal(m.text, 'recording bytes');
    const row = (await accessLog(rec.sid)).filter((r) => r.action === 'sec_rec').at(-1);
    assert.equal(row.outcome, 'granted');
    assert.equal(row.identity, 'alice');
    assert.equal(row.realm_user_id, 'alice');
    assert.equal(row.client_ip, '127.0.0.1');
    assert.equal(row.user_agent, 'flex-player/1.0');
    assert.equal(row.account_sid, srv.account.sid);
    assert.match(row.hash, /^[0-9a-f]{64}$/);
  });

  it('a role in allowed_roles (VideoSDK token with roles rtc) -> 200', async () => {
    const g = await srv.request('GET', '/get-token', { auth: srv.keyAuth, query: { permissions: 'allow_join', roles: 'rtc', participantId: 'zed' } });
    assertStatus(g, 200);
    assertStatus(await secRec(srv, rec.sid, g.json.token), 200);
  });

  it('a participant of the recording room -> 200, anyone else 403', async () => {
    assertStatus(await secRec(srv, roomRec.sid, await tokenFor(srv, 'dora')), 200);
    assertError(await secRec(srv, roomRec.sid, await tokenFor(srv, 'eve')), 403, 20403);
  });

  it('the client or provider of the consultation -> 200', async () => {
    assertStatus(await secRec(srv, consRec.sid, await tokenFor(srv, 'cli')), 200);
    assertStatus(await secRec(srv, consRec.sid, await tokenFor(srv, 'doc')), 200);
    assertError(await secRec(srv, consRec.sid, await tokenFor(srv, 'alice')), 403, 20403);
  });
});

describe('refused', () => {
  it('an identity not allowed -> 403, audited with the reason', async () => {
    const res = await secRec(srv, rec.sid, await tokenFor(srv, 'mallory'));
    assertError(res, 403, 20403);
    const row = (await accessLog(rec.sid)).at(-1);
    assert.equal(row.outcome, 'refused');
    assert.equal(row.identity, 'mallory');
    assert.match(row.reason, /may not play/);
  });

  it('missing, malformed or non-token credentials -> 401', async () => {
    assertError(await secRec(srv, rec.sid), 401, 20003);
    assertError(await secRec(srv, rec.sid, undefined, { headers: { Authorization: 'Bearer abc' } }), 401, 20003);
    assertError(await secRec(srv, rec.sid, undefined, { headers: { Authorization: srv.accountAuth } }), 401, 20003);
    assertError(await secRec(srv, rec.sid, undefined, { headers: { Authorization: 'Basic !!!' } }), 401, 20003);
    const row = (await accessLog(rec.sid)).at(-1);
    assert.equal(row.outcome, 'refused');
    assert.match(row.reason, /Missing credentials/);
  });

  it('a forged, expired or foreign-key token -> 401 with the validation code', async () => {
    const forged = twilioToken({ keySid: srv.key.sid, secret: 'wrong', accountSid: srv.account.sid, identity: 'alice' });
    assertError(await secRec(srv, rec.sid, forged), 401, 20107);
    const expired = twilioToken({ keySid: srv.key.sid, secret: srv.key.secret, accountSid: srv.account.sid, identity: 'alice', iat: now() - 7200, ttl: 600 });
    assertError(await secRec(srv, rec.sid, expired), 401, 20104);
    assertError(await secRec(srv, rec.sid, 'not.a.jwt'), 401, 20101);
    const row = (await accessLog(rec.sid)).at(-1);
    assert.match(row.reason, /invalid token \(20101\)/);
  });

  it('a token of another account cannot reach this account\'s recording (404)', async () => {
    const other = cliJson(srv.cli(['account', 'create']));
    const key = cliJson(srv.cli(['key', 'create', '--account', other.sid]));
    await waitCredentials(srv, key.sid, key.secret); // the server polls the store every 100 ms
    const tok = await srv.request('POST', '/v1/AccessTokens', { auth: basic(key.sid, key.secret), json: { identity: 'alice' } });
    assertStatus(tok, 200);
    assertError(await secRec(srv, rec.sid, tok.json.token), 404, 20404);
  });

  it('unknown or deleted recording -> 404 (audited), malformed sid -> 400', async () => {
    const ghost = `RE${'a'.repeat(32)}`;
    assertError(await secRec(srv, ghost, await tokenFor(srv, 'alice')), 404, 20404);
    const row = (await srv.request('GET', '/v1/Recordings/' + ghost + '/AccessLog', { auth: srv.accountAuth }));
    assertError(row, 404, 20404); // the log of a recording that never existed is not anyone's
    const up = await upload(srv, Buffer.from('bye'), { query: { AllowedIdentities: 'alice' } });
    assertStatus(await srv.request('DELETE', `/v1/Recordings/${up.json.sid}`, { auth: srv.accountAuth }), 204);
    assertError(await secRec(srv, up.json.sid, await tokenFor(srv, 'alice')), 404, 20404);
    assertError(await secRec(srv, 'REnope', await tokenFor(srv, 'alice')), 400, 21603);
    assertError(await srv.request('GET', '/sec_rec', { headers: { Authorization: tokenAuth('x') } }), 400, 21602);
  });
});

describe('CORS', () => {
  it('preflight from a configured origin -> 204 allowing GET and Authorization', async () => {
    const r = await srv.request('OPTIONS', '/sec_rec', { headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
    assertStatus(r, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(r.headers.get('access-control-allow-methods'), /GET/);
    assert.match(r.headers.get('access-control-allow-headers'), /Authorization/i);
    assert.match(r.headers.get('vary'), /Origin/);
    const m = await srv.request('OPTIONS', `/media/${rec.sid}`, { headers: { Origin: 'https://other.example', 'Access-Control-Request-Method': 'GET' } });
    assertStatus(m, 204);
    assert.equal(m.headers.get('access-control-allow-origin'), 'https://other.example');
  });

  it('preflight from another origin -> 403 without CORS headers', async () => {
    const r = await srv.request('OPTIONS', '/sec_rec', { headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' } });
    assertError(r, 403, 20403);
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  });

  it('GET with an allowed Origin carries Access-Control-Allow-Origin (also on refusals)', async () => {
    const ok = await secRec(srv, rec.sid, await tokenFor(srv, 'alice'), { headers: { Origin: ORIGIN } });
    assertStatus(ok, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
    const no = await secRec(srv, rec.sid, await tokenFor(srv, 'mallory'), { headers: { Origin: ORIGIN } });
    assert.equal(no.headers.get('access-control-allow-origin'), ORIGIN);
    const evil = await secRec(srv, rec.sid, await tokenFor(srv, 'alice'), { headers: { Origin: 'https://evil.example' } });
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    const m = await fetchMedia(ok.json.media_url, { headers: { Origin: ORIGIN } });
    assert.equal(m.headers.get('access-control-allow-origin'), ORIGIN);
  });

  it('other routes still answer 405 to OPTIONS', async () => {
    const r = await srv.request('OPTIONS', '/v1/Recordings', { headers: { Origin: ORIGIN } });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  });

  it('without --cors-origins no origin is allowed', async () => {
    const s = await startRecServer();
    try {
      const up = await upload(s, Buffer.from('no cors'), { query: { AllowedIdentities: 'alice' } });
      assertStatus(up, 201);
      const pre = await s.request('OPTIONS', '/sec_rec', { headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
      assertError(pre, 403, 20403);
      assert.equal(pre.headers.get('access-control-allow-origin'), null);
      const ok = await secRec(s, up.json.sid, await tokenFor(s, 'alice'), { headers: { Origin: ORIGIN } });
      assertStatus(ok, 200);
      assert.equal(ok.headers.get('access-control-allow-origin'), null);
      const m = await fetchMedia(ok.json.media_url, { headers: { Origin: ORIGIN } });
      assert.equal(m.status, 200);
      assert.equal(m.headers.get('access-control-allow-origin'), null);
    } finally {
      assertExit0(s, await s.stop());
    }
  });
});

describe('links', () => {
  it('--link-ttl 1: the link expires -> 403', async () => {
    const s = await startRecServer({ args: ['--link-ttl', '1'] });
    try {
      const up = await upload(s, Buffer.from('short'), { query: { AllowedIdentities: 'alice' } });
      const res = await secRec(s, up.json.sid, await tokenFor(s, 'alice'));
      assertStatus(res, 200);
      assert.equal((await fetchMedia(res.json.media_url)).status, 200);
      // wait for the clock, not a fixed time: once it is past exp the link is expired
      const exp = Number(new URL(res.json.media_url).searchParams.get('exp'));
      await waitFor(() => now() > exp, `the clock to pass exp ${exp}`);
      const late = await fetchMedia(res.json.media_url);
      assert.equal(late.status, 403);
      assert.match(late.text, /expired/);
    } finally {
      assertExit0(s, await s.stop());
    }
  });

  it('--single-use-links: the second fetch -> 410, also after a restart of the link holder', async () => {
    const s = await startRecServer({ args: ['--single-use-links'] });
    try {
      const up = await upload(s, Buffer.from('once'), { query: { AllowedIdentities: 'alice' } });
      const res = await secRec(s, up.json.sid, await tokenFor(s, 'alice'));
      const a = await fetchMedia(res.json.media_url);
      assert.equal(a.status, 200);
      assert.equal(a.text, 'once');
      const b = await fetchMedia(res.json.media_url);
      assert.equal(b.status, 410);
      assert.equal(JSON.parse(b.text).code, 20410);
      const log = (await s.request('GET', `/v1/Recordings/${up.json.sid}/AccessLog`, { auth: s.accountAuth })).json.access_log;
      assert.deepEqual(log.filter((r) => r.action === 'media').map((r) => r.outcome), ['served', 'refused']);
      assert.equal(log.at(-1).reason, 'link already used');
      // a fresh link works
      const res2 = await secRec(s, up.json.sid, await tokenFor(s, 'alice'));
      assert.equal((await fetchMedia(res2.json.media_url)).status, 200);
    } finally {
      assertExit0(s, await s.stop());
    }
  });
});
