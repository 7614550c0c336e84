// Issue 10 (leftover of item 6): a token presented AS the credential is
// limited like a wrong Basic secret.  POST .../Tokens/validate with
// Authorization: Basic base64("token:" + JWT) and the VideoSDK REST routes
// (/v2/rooms, the raw JWT in Authorization) count each failed token
// against the client address (--auth-fail-limit, shared with failed Basic
// authentications); beyond it: 429/20429 with Retry-After, before any
// token is checked.  Asking validate about a bad token with the account's
// own credentials is not a failure: valid:false is that route's answer.
//
// The server listens on 127.0.0.1; each case comes from its own loopback
// address (localAddress) so the budgets do not mix.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic } from './lib/server.js';
import { assertExit0, assert429 } from './lib/check.js';
import { addressClient } from './lib/from.js';
import { tok } from './lib/signal.js';

const LIMIT = 5;
let srv;
before(async () => {
  srv = await startServer({ args: ['--auth-fail-limit', String(LIMIT), '--access-log', 'off'] });
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

const client = addressClient({ maxSockets: 4 });
after(() => client.destroy());
const req = (method, path, opts) => client.req(srv, method, path, opts);

/** A token of the right shape whose signature is wrong (a forgery). */
function forged(i) {
  const t = tok(srv, `forger-${i}`, undefined);
  const [h, p, s] = t.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[i % sig.length] ^= 1;
  return `${h}.${p}.${sig.toString('base64url')}`;
}

const validatePath = () => `/v1/Accounts/${srv.account.sid}/Tokens/validate`;
const asToken = (jwt) => basic('token', jwt);

async function vsdkToken(permissions = 'allow_join') {
  const res = await srv.request('GET', '/get-token', { auth: srv.keyAuth, query: { permissions } });
  assert.equal(res.status, 200, res.text);
  return res.json.token;
}

describe('failed tokens used as the credential are limited per address', () => {
  it('validate with Basic token:<JWT>: forged tokens answer valid:false, then 429 for every token from that address', async () => {
    const from = '127.0.0.11';
    for (let i = 0; i < LIMIT; i++) {
      const t = forged(i);
      const res = await req('POST', validatePath(), { from, auth: asToken(t), json: { token: t } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.valid, false, res.text);
    }
    const t = forged(LIMIT);
    assert429(await req('POST', validatePath(), { from, auth: asToken(t), json: { token: t } }));
    // refused before it is checked: a good token from there learns nothing
    const good = tok(srv, 'alice', 'room-1');
    assert429(await req('POST', validatePath(), { from, auth: asToken(good), json: { token: good } }));
    // from another address the good token works at once
    const ok = await req('POST', validatePath(), { from: '127.0.0.12', auth: asToken(good), json: { token: good } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.valid, true, ok.text);
  });

  it('validate: a forged header token asking about another token is 401, then 429', async () => {
    const from = '127.0.0.13';
    const subject = tok(srv, 'bob', 'room-2');
    for (let i = 0; i < LIMIT; i++) {
      const res = await req('POST', validatePath(), { from, auth: asToken(forged(100 + i)), json: { token: subject } });
      assert.equal(res.status, 401, res.text);
      assert.equal(res.json.code, 20003, res.text);
    }
    assert429(await req('POST', validatePath(), { from, auth: asToken(forged(200)), json: { token: subject } }));
  });

  it('validate with the account credentials: valid:false is the answer, never counted', async () => {
    const from = '127.0.0.14';
    for (let i = 0; i < LIMIT * 4; i++) {
      const res = await req('POST', validatePath(), { from, auth: srv.accountAuth, json: { token: forged(300 + i) } });
      assert.equal(res.status, 200, `request ${i + 1}: ${res.text}`);
      assert.equal(res.json.valid, false, res.text);
    }
    // nor did it spend the address's budget: a forged token-mode attempt is still answered
    const t = forged(400);
    const res = await req('POST', validatePath(), { from, auth: asToken(t), json: { token: t } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.valid, false, res.text);
  });

  it('VideoSDK REST routes: forged tokens get 401, then 429; a good token from another address works', async () => {
    const from = '127.0.0.15';
    const good = await vsdkToken('allow_join');
    const [h, p, s] = good.split('.');
    for (let i = 0; i < LIMIT; i++) {
      const sig = Buffer.from(s, 'base64url');
      sig[i] ^= 1;
      const res = await req('GET', '/v2/rooms', { from, auth: `${h}.${p}.${sig.toString('base64url')}` });
      assert.equal(res.status, 401, res.text);
    }
    const again = await req('GET', '/v2/rooms', { from, auth: `${h}.${p}.${s.slice(0, -2)}AA` });
    assert429(again);
    assert429(await req('GET', '/v2/rooms', { from, auth: good }));
    // and the address's Basic attempts share the budget: refused too
    assert429(await req('GET', '/v1/Rooms', { from, auth: srv.keyAuth }));
    const ok = await req('GET', '/v2/rooms', { from: '127.0.0.16', auth: good });
    assert.equal(ok.status, 200, ok.text);
  });

  it('an expired token signed by the key is no guess and is not counted', async () => {
    const from = '127.0.0.18';
    const t0 = Math.floor(Date.now() / 1000);
    for (let i = 0; i < LIMIT * 3; i++) {
      const t = tok(srv, `late-${i}`, 'room-3', { iat: t0 - 7200, ttl: 3600 });
      const res = await req('POST', validatePath(), { from, auth: asToken(t), json: { token: t } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.valid, false, res.text);
    }
    const good = tok(srv, 'carol', 'room-3');
    const ok = await req('POST', validatePath(), { from, auth: asToken(good), json: { token: good } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.valid, true, ok.text);
  });

  it('a request without any token is not a guess and is not counted', async () => {
    const from = '127.0.0.17';
    for (let i = 0; i < LIMIT * 3; i++) {
      const res = await req('GET', '/v2/rooms', { from });
      assert.equal(res.status, 401, res.text);
    }
    const ok = await req('GET', '/v2/rooms', { from, auth: await vsdkToken('allow_join') });
    assert.equal(ok.status, 200, ok.text);
  });
});
