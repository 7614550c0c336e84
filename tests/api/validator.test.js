// /sec_rec with --playback-validator against a test double: a local HTTP
// server that answers in the IAM shape (valid, invalid, never, held until
// the test releases it, broken, down); the cache of positive answers; and
// one roomgate validating for another (the real thing on both sides).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, STARTUP_MS } from './lib/server.js';
import { assertError, assertStatus, assertExit0 } from './lib/check.js';
import { startIam, iamExpiration, IAM_INVALID } from './lib/iam.js';
import { startRecServer, prepareDataDir, upload, tokenAuth, secRec, fetchMedia } from './lib/rec.js';

const calls = [];
const held = []; // answers the double holds until the test calls them
let iam, iamPort, srv, rec;

function answerIam(token, req, res) {
  calls.push({ method: req.method, url: req.url, auth: req.headers.authorization, token });
  const answer = (code, obj) => { res.writeHead(code, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(obj)); };
  const exp = iamExpiration();
  if (token.startsWith('valid-')) {
    const who = token.slice(6);
    answer(200, { valid: true, code: 0, message: null, expiration: exp, realm_user_id: `${who}@example.com`,
      identity: `${who}_40example_2Dcom`, worker_sid: 'WK' + '0'.repeat(32),
      roles: who === 'sup' ? ['supervisor'] : who === 'many' ? Array.from({ length: 40 }, (_, i) => `role-${i}-${'x'.repeat(12)}`) : ['agent'] });
  } else if (token === 'never') {
    // no answer at all: only the validator timeout can end this one
  } else if (token.startsWith('held-')) {
    const who = token.slice(5);
    held.push(() => answer(200, { valid: true, code: 0, message: null, expiration: exp, realm_user_id: `${who}@example.com`,
      identity: who, roles: ['agent'] }));
  } else if (token === 'garbage') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('<html>oops</html>');
  } else if (token === 'boom') {
    answer(500, { error: 'boom' });
  } else {
    answer(200, IAM_INVALID);
  }
}

before(async () => {
  iam = await startIam(answerIam);
  iamPort = iam.address().port;
  // the stand-in answers as Twilio does, without account_sid: it speaks for
  // this server's account (sec_validator_account.test.js has the rules)
  const pre = prepareDataDir();
  srv = await startRecServer({ ...pre, args: ['--playback-validator', `http://127.0.0.1:${iamPort}/v1/Accounts/AC${'1'.repeat(32)}/Tokens/validate`,
    '--validator-timeout', '700', '--playback-validator-accounts', pre.account.sid] });
  const up = await upload(srv, Buffer.from('remote'), { query: { AllowedIdentities: 'ann@example.com', AllowedRoles: 'supervisor' } });
  assertStatus(up, 201);
  rec = up.json;
});
after(async () => {
  if (srv) assertExit0(srv, await srv.stop());
  iam?.closeAllConnections();
  iam?.close();
});

/** Resolves once the double has received n calls (a positive marker, no sleep). */
async function callsReached(n) {
  for (const deadline = Date.now() + 20000; calls.length < n;) {
    assert.ok(Date.now() < deadline, `the validator saw ${calls.length} calls, expected ${n}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

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

  it('a validator that never answers -> 504 (the timeout); broken answers -> 502; all audited', async () => {
    // the double never answers 'never': a 504 can only come from --validator-timeout
    assertError(await secRec(srv, rec.sid, 'never'), 504, 20504);
    assertError(await secRec(srv, rec.sid, 'garbage'), 502, 20502);
    assertError(await secRec(srv, rec.sid, 'boom'), 502, 20502);
    const log = (await srv.request('GET', `/v1/Recordings/${rec.sid}/AccessLog`, { auth: srv.accountAuth })).json.access_log;
    assert.deepEqual(log.slice(-3).map((r) => r.outcome), ['refused', 'refused', 'refused']);
    assert.match(log.at(-3).reason, /in time/);
  });

  it('a one-loop server keeps serving other requests while a validation waits on its loop', async () => {
    // --threads 1: the request below can only be answered by the loop that
    // is waiting for the validator, so an answer proves the wait is not blocking
    const pre = prepareDataDir();
    const one = await startRecServer({ ...pre, threads: 1, args: ['--playback-validator', `http://127.0.0.1:${iamPort}/validate`, '--validator-timeout', '60000',
      '--playback-validator-accounts', pre.account.sid] });
    try {
      const up = await upload(one, Buffer.from('one loop'), { query: { AllowedIdentities: 'hal@example.com' } });
      assertStatus(up, 201);
      calls.length = 0;
      held.length = 0;
      let done = false;
      const waiting = secRec(one, up.json.sid, 'held-hal').finally(() => { done = true; });
      await callsReached(1); // the validation is now waiting for the double
      assertStatus(await one.request('GET', '/healthz'), 200);
      assertStatus(await one.request('GET', `/v1/Recordings/${up.json.sid}`, { auth: one.accountAuth }), 200);
      assert.equal(done, false, 'the validation was still waiting while the loop answered');
      assert.equal(held.length, 1);
      held[0]();
      const res = await waiting;
      assertStatus(res, 200);
      assert.equal((await fetchMedia(res.json.media_url)).text, 'one loop');
    } finally {
      assertExit0(one, await one.stop());
    }
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

  it('a bad validator URL is refused at start, with exit 1 and the reason', () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-validator-'));
    try {
      const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', d, '--playback-validator', 'ftp://x'], { encoding: 'utf8', timeout: STARTUP_MS });
      assert.equal(r.status, 1, `exit status: ${r.stderr}`);
      assert.match(r.stderr, /^roomgate: --playback-validator: not an http\(s\) URL: ftp:\/\/x\n/);
      assert.equal(r.stdout, '', 'never announced');
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

// roomgate as the validator of another roomgate: sec_validator_account.test.js
