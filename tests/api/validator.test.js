// /sec_rec with --playback-validator: a local stand-in that answers in the
// IAM shape (valid, invalid, slow, broken, down), the cache of positive
// answers, and one roomgate validating for another.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { assertError, assertStatus, assertExit0 } from './lib/check.js';
import { startRecServer, upload, tokenFor, tokenAuth, secRec, fetchMedia } from './lib/rec.js';

const calls = [];
let iam, iamPort, srv, rec;

function startIam() {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        const token = JSON.parse(body || '{}').token;
        calls.push({ method: req.method, url: req.url, auth: req.headers.authorization, token });
        const answer = (code, obj) => { res.writeHead(code, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(obj)); };
        const exp = new Date(Date.now() + 3600e3).toISOString();
        if (token.startsWith('valid-')) {
          const who = token.slice(6);
          answer(200, { valid: true, code: 0, message: null, expiration: exp, realm_user_id: `${who}@example.com`,
            identity: `${who}_40example_2Dcom`, worker_sid: 'WK' + '0'.repeat(32),
            roles: who === 'sup' ? ['supervisor'] : who === 'many' ? Array.from({ length: 40 }, (_, i) => `role-${i}-${'x'.repeat(12)}`) : ['agent'] });
        } else if (token === 'slow') {
          setTimeout(() => answer(200, { valid: true, code: 0, expiration: exp, identity: 'x', roles: [] }), 3000);
        } else if (token === 'garbage') {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.end('<html>oops</html>');
        } else if (token === 'boom') {
          answer(500, { error: 'boom' });
        } else {
          answer(200, { valid: false, code: 20107, message: 'Invalid signature', expiration: null });
        }
      });
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

before(async () => {
  iam = await startIam();
  iamPort = iam.address().port;
  srv = await startRecServer({ args: ['--playback-validator', `http://127.0.0.1:${iamPort}/v1/Accounts/AC${'1'.repeat(32)}/Tokens/validate`, '--validator-timeout', '700'] });
  const up = await upload(srv, Buffer.from('remote'), { query: { AllowedIdentities: 'ann@example.com', AllowedRoles: 'supervisor' } });
  assertStatus(up, 201);
  rec = up.json;
});
after(async () => {
  if (srv) assertExit0(srv, await srv.stop());
  iam?.close();
});

describe('remote validator', () => {
  it('valid answer for an allowed realm_user_id -> 200; the request is IAM-shaped', async () => {
    calls.length = 0;
    const res = await secRec(srv, rec.sid, 'valid-ann');
    assertStatus(res, 200);
    assert.equal((await fetchMedia(res.json.media_url)).text, 'remote');
    assert.equal(calls.length, 1);
    assert.equal(calls[0].method, 'POST');
    assert.equal(calls[0].url, `/v1/Accounts/AC${'1'.repeat(32)}/Tokens/validate`);
    assert.equal(calls[0].auth, tokenAuth('valid-ann'));
    assert.equal(calls[0].token, 'valid-ann');
    const log = (await srv.request('GET', `/v1/Recordings/${rec.sid}/AccessLog`, { auth: srv.accountAuth })).json.access_log;
    const row = log.filter((r) => r.action === 'sec_rec').at(-1);
    assert.equal(row.outcome, 'granted');
    assert.equal(row.identity, 'ann_40example_2Dcom');
    assert.equal(row.realm_user_id, 'ann@example.com');
    assert.deepEqual(row.roles, ['agent']);
  });

  it('positive answers are cached until the expiration', async () => {
    calls.length = 0;
    assertStatus(await secRec(srv, rec.sid, 'valid-ann'), 200);
    assertStatus(await secRec(srv, rec.sid, 'valid-ann'), 200);
    assert.equal(calls.length, 0, 'served from the cache');
  });

  it('a role from the validator grants; an identity not allowed is 403', async () => {
    assertStatus(await secRec(srv, rec.sid, 'valid-sup'), 200);
    assertError(await secRec(srv, rec.sid, 'valid-bob'), 403, 20403);
  });

  it('long role lists are kept in the audit row (not a failed commit)', async () => {
    assertError(await secRec(srv, rec.sid, 'valid-many'), 403, 20403);
    const log = (await srv.request('GET', `/v1/Recordings/${rec.sid}/AccessLog`, { auth: srv.accountAuth })).json.access_log;
    assert.equal(log.at(-1).roles.length, 40);
  });

  it('valid:false -> 401 with its code, and is not cached', async () => {
    calls.length = 0;
    assertError(await secRec(srv, rec.sid, 'forged'), 401, 20107);
    assertError(await secRec(srv, rec.sid, 'forged'), 401, 20107);
    assert.equal(calls.length, 2);
  });

  it('slow validator -> 504; broken answers -> 502; all audited', async () => {
    const t0 = Date.now();
    assertError(await secRec(srv, rec.sid, 'slow'), 504, 20504);
    assert.ok(Date.now() - t0 < 2500, 'the timeout applies');
    assertError(await secRec(srv, rec.sid, 'garbage'), 502, 20502);
    assertError(await secRec(srv, rec.sid, 'boom'), 502, 20502);
    const log = (await srv.request('GET', `/v1/Recordings/${rec.sid}/AccessLog`, { auth: srv.accountAuth })).json.access_log;
    assert.deepEqual(log.slice(-3).map((r) => r.outcome), ['refused', 'refused', 'refused']);
    assert.match(log.at(-3).reason, /in time/);
  });

  it('the server keeps serving other requests while a validation waits', async () => {
    const slow = secRec(srv, rec.sid, 'slow');
    const t0 = Date.now();
    assertStatus(await srv.request('GET', '/healthz'), 200);
    assert.ok(Date.now() - t0 < 300, 'the loop was blocked');
    assertError(await slow, 504, 20504);
  });

  it('validator down -> 502', async () => {
    const dead = http.createServer();
    const port = await new Promise((r) => dead.listen(0, '127.0.0.1', () => r(dead.address().port)));
    await new Promise((r) => dead.close(r));
    const s = await startRecServer({ args: ['--playback-validator', `http://127.0.0.1:${port}/validate`] });
    try {
      const up = await upload(s, Buffer.from('x'), { query: { AllowedIdentities: 'ann@example.com' } });
      assertError(await secRec(s, up.json.sid, 'valid-ann'), 502, 20502);
    } finally {
      assertExit0(s, await s.stop());
    }
  });

  it('a bad validator URL is refused at start', async () => {
    await assert.rejects(startRecServer({ args: ['--playback-validator', 'ftp://x'] }));
  });
});

describe('roomgate as the validator of another roomgate', () => {
  it('tokens of server A open recordings on server B', async () => {
    const a = await startRecServer();
    let b;
    try {
      b = await startRecServer({ args: ['--playback-validator', `${a.url}/v1/Accounts/${a.account.sid}/Tokens/validate`] });
      const up = await upload(b, Buffer.from('on B'), { query: { AllowedIdentities: 'alice' } });
      const tok = await tokenFor(a, 'alice');
      const res = await secRec(b, up.json.sid, tok);
      assertStatus(res, 200);
      assert.equal((await fetchMedia(res.json.media_url)).text, 'on B');
      assertError(await secRec(b, up.json.sid, await tokenFor(a, 'mallory')), 403, 20403);
      const [h, p, sig] = tok.split('.');
      const forged = `${h}.${p}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
      assertError(await secRec(b, up.json.sid, forged), 401, 20107);
      // B's own tokens are not A's: A says invalid
      assertError(await secRec(b, up.json.sid, await tokenFor(b, 'alice')), 401, 20103);
    } finally {
      if (b) assertExit0(b, await b.stop());
      assertExit0(a, await a.stop());
    }
  });
});
