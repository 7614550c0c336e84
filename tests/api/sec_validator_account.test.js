// Issue 10 item 3 and "Also": with --playback-validator, a valid answer
// opens recordings of the account it vouches for only: its account_sid
// (roomgate's answers carry one), else the accounts configured with
// --playback-validator-accounts; anything else is 403.  And the whole
// validator exchange has one deadline: an answer trickled a byte at a time
// is a 504, not a grant.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cliJson, basic, runCli } from './lib/server.js';
import { assertError, assertStatus, assertExit0 } from './lib/check.js';
import { startIam, iamExpiration, IAM_INVALID } from './lib/iam.js';
import { startRecServer, prepareDataDir, upload, tokenFor, tokenAuth, secRec, fetchMedia } from './lib/rec.js';

const accounts = {}; // A and Y: the account sids the stand-in speaks of
let iam, iamUrl;

/**
 * A local IAM stand-in.  Token names say what it answers:
 *   acct-A-<who> / acct-Y-<who>  valid, identity <who>, account_sid of A / Y
 *   none-<who>                   valid, identity <who>, no account_sid (Twilio's shape)
 *   badacct                      valid, account_sid not an AC sid
 *   trickle                      a valid answer for alice, one byte every 50 ms
 *   anything else                valid: false
 */
function answerIam(sent, req, res) {
  const token = sent || '';
  const exp = iamExpiration();
  const valid = (who, extra = {}) => ({ valid: true, code: 0, message: null, expiration: exp,
    realm_user_id: who, identity: who, roles: [], ...extra });
  let answer;
  const m = /^(acct-A|acct-Y|none)-(.+)$/.exec(token);
  if (m) {
    const acct = m[1] === 'acct-A' ? accounts.A : m[1] === 'acct-Y' ? accounts.Y : undefined;
    answer = valid(m[2], acct ? { account_sid: acct } : {});
  } else if (token === 'badacct') {
    answer = valid('alice', { account_sid: 'ACnot-a-sid' });
  } else if (token === 'trickle') {
    // every byte comes well within any per-read timeout; the whole
    // answer takes far longer than the deadline
    const text = JSON.stringify(valid('alice', { account_sid: accounts.A, pad: 'x'.repeat(200) }));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    let i = 0;
    const t = setInterval(() => {
      if (i >= text.length) { clearInterval(t); res.end(); return; }
      res.write(text[i++]);
    }, 50);
    res.on('close', () => clearInterval(t));
    return;
  } else {
    answer = IAM_INVALID;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(answer));
}

/** A server on a fresh data dir holding accounts A (the harness's) and Y, a recording of each allowing alice. */
async function startWith(extraArgs) {
  const pre = prepareDataDir();
  const y = cliJson(runCli(pre.dataDir, ['account', 'create', '--name', 'Y']));
  const srv = await startRecServer({ ...pre, args: ['--playback-validator', iamUrl, '--validator-timeout', '1000', ...extraArgs(pre)] });
  srv.y = { sid: y.sid, auth: basic(y.sid, y.auth_token) };
  const a = await upload(srv, Buffer.from('A recording'), { query: { AllowedIdentities: 'alice' } });
  const r = await upload(srv, Buffer.from('Y recording'), { auth: srv.y.auth, query: { AllowedIdentities: 'alice' } });
  assertStatus(a, 201);
  assertStatus(r, 201);
  srv.recA = a.json;
  srv.recY = r.json;
  return srv;
}

async function lastRow(srv, rec, auth) {
  const log = await srv.request('GET', `/v1/Recordings/${rec.sid}/AccessLog`, { auth, query: { PageSize: 1000 } });
  assertStatus(log, 200);
  return log.json.access_log.at(-1);
}

before(async () => {
  iam = await startIam(answerIam);
  iamUrl = `http://127.0.0.1:${iam.address().port}/v1/Accounts/AC${'1'.repeat(32)}/Tokens/validate`;
});
after(() => iam?.close());

describe('answers that carry account_sid (no accounts configured)', () => {
  let srv;
  before(async () => {
    srv = await startWith(() => []);
    accounts.A = srv.account.sid;
    accounts.Y = srv.y.sid;
  });
  after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

  it("an answer for account A opens A's recording, not account Y's that allows the same identity -> 403", async () => {
    const ok = await secRec(srv, srv.recA.sid, 'acct-A-alice');
    assertStatus(ok, 200);
    assert.equal((await fetchMedia(ok.json.media_url)).text, 'A recording');
    // the same (now cached) answer, Y's recording
    const r = await secRec(srv, srv.recY.sid, 'acct-A-alice');
    assertError(r, 403, 20403);
    assert.match(r.json.message, /vouch/);
    const row = await lastRow(srv, srv.recY, srv.y.auth);
    assert.equal(row.action, 'sec_rec');
    assert.equal(row.outcome, 'refused');
    assert.equal(row.identity, 'alice');
    assert.match(row.reason, /vouch/);
  });

  it("an answer for Y opens Y's recording only", async () => {
    assertStatus(await secRec(srv, srv.recY.sid, 'acct-Y-alice'), 200);
    assertError(await secRec(srv, srv.recA.sid, 'acct-Y-alice'), 403, 20403);
  });

  it('an answer without account_sid opens nothing when no account is configured', async () => {
    assertError(await secRec(srv, srv.recA.sid, 'none-alice'), 403, 20403);
    assertError(await secRec(srv, srv.recY.sid, 'none-alice'), 403, 20403);
  });

  it('an account_sid that is not an AC sid is a broken answer -> 502', async () => {
    assertError(await secRec(srv, srv.recA.sid, 'badacct'), 502, 20502);
  });

  it('an unknown recording stays 404; an invalid token stays 401', async () => {
    assertError(await secRec(srv, 'RE' + '0'.repeat(32), 'acct-A-alice'), 404, 20404);
    assertError(await secRec(srv, srv.recA.sid, 'forged'), 401, 20107);
  });

  it('a validator that trickles its answer past the deadline -> 504, audited', async () => {
    const r = await secRec(srv, srv.recA.sid, 'trickle');
    assertError(r, 504, 20504);
    const row = await lastRow(srv, srv.recA, srv.accountAuth);
    assert.equal(row.outcome, 'refused');
    assert.match(row.reason, /in time/);
    // the server is fine afterwards
    assertError(await secRec(srv, srv.recA.sid, 'acct-A-bob'), 403, 20403);
  });
});

describe('--playback-validator-accounts: what answers without account_sid speak for', () => {
  let srv;
  before(async () => {
    srv = await startWith((pre) => ['--playback-validator-accounts', ` ${pre.account.sid} `]);
    accounts.A = srv.account.sid;
    accounts.Y = srv.y.sid;
  });
  after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

  it("an answer without account_sid opens the configured account's recordings only", async () => {
    assertStatus(await secRec(srv, srv.recA.sid, 'none-alice'), 200);
    assertError(await secRec(srv, srv.recY.sid, 'none-alice'), 403, 20403);
  });

  it("an answer naming an account outside the list opens nothing, not even that account's", async () => {
    assertError(await secRec(srv, srv.recY.sid, 'acct-Y-alice'), 403, 20403);
    assertError(await secRec(srv, srv.recA.sid, 'acct-Y-alice'), 403, 20403);
    assertStatus(await secRec(srv, srv.recA.sid, 'acct-A-alice'), 200);
  });

  it('the option is checked at start', async () => {
    await assert.rejects(startRecServer({ args: ['--playback-validator', iamUrl, '--playback-validator-accounts', 'ACnope'] }));
    await assert.rejects(startRecServer({ args: ['--playback-validator-accounts', accounts.A] }), /exited early/);
  });

  it('the environment variable works as the flag', async () => {
    const pre = prepareDataDir();
    const s = await startRecServer({ ...pre, args: ['--playback-validator', iamUrl],
      env: { ROOMGATE_PLAYBACK_VALIDATOR_ACCOUNTS: pre.account.sid } });
    try {
      const up = await upload(s, Buffer.from('env'), { query: { AllowedIdentities: 'alice' } });
      assertStatus(await secRec(s, up.json.sid, 'none-alice'), 200);
    } finally {
      assertExit0(s, await s.stop());
    }
  });
});

describe('roomgate as the validator of another roomgate', () => {
  it("roomgate's validate answer carries the token's account_sid", async () => {
    const a = await startRecServer();
    try {
      const tok = await tokenFor(a, 'alice');
      const r = await a.request('POST', `/v1/Accounts/${a.account.sid}/Tokens/validate`, { headers: { Authorization: tokenAuth(tok) } });
      assertStatus(r, 200);
      assert.equal(r.json.valid, true);
      assert.equal(r.json.account_sid, a.account.sid);
      // cached answers too
      const again = await a.request('POST', `/v1/Accounts/${a.account.sid}/Tokens/validate`, { headers: { Authorization: tokenAuth(tok) } });
      assert.equal(again.json.account_sid, a.account.sid);
    } finally {
      assertExit0(a, await a.stop());
    }
  });

  it("server B on A's data: A's tokens open A's account's recordings, not account Y's allowing the same identity", async () => {
    const a = await startRecServer();
    let b;
    try {
      const y = cliJson(a.cli(['account', 'create', '--name', 'Y']));
      b = await startRecServer({ dataDir: a.dataDir, account: a.account, key: a.key, keys: false,
        args: ['--playback-validator', `${a.url}/v1/Accounts/${a.account.sid}/Tokens/validate`] });
      const recA = await upload(b, Buffer.from('on B, account A'), { query: { AllowedIdentities: 'alice' } });
      const recY = await upload(b, Buffer.from('on B, account Y'), { auth: basic(y.sid, y.auth_token), query: { AllowedIdentities: 'alice' } });
      assertStatus(recA, 201);
      assertStatus(recY, 201);
      const tok = await tokenFor(a, 'alice');
      const ok = await secRec(b, recA.json.sid, tok);
      assertStatus(ok, 200);
      assert.equal((await fetchMedia(ok.json.media_url)).text, 'on B, account A');
      assertError(await secRec(b, recY.json.sid, tok), 403, 20403);
      assertError(await secRec(b, recA.json.sid, await tokenFor(a, 'mallory')), 403, 20403);
    } finally {
      if (b) assertExit0(b, await b.stop({ keepData: true }));
      assertExit0(a, await a.stop());
    }
  });

  it("servers with separate data: A's tokens do not open B's account's recordings", async () => {
    const a = await startRecServer();
    let b;
    try {
      b = await startRecServer({ args: ['--playback-validator', `${a.url}/v1/Accounts/${a.account.sid}/Tokens/validate`] });
      const up = await upload(b, Buffer.from('on B'), { query: { AllowedIdentities: 'alice' } });
      assertStatus(up, 201);
      assertError(await secRec(b, up.json.sid, await tokenFor(a, 'alice')), 403, 20403);
      // B's own tokens are not A's: A says invalid
      assertError(await secRec(b, up.json.sid, await tokenFor(b, 'alice')), 401, 20103);
    } finally {
      if (b) assertExit0(b, await b.stop());
      assertExit0(a, await a.stop());
    }
  });
});
