// HTTP Basic auth rules (docs/api.md "Auth") and secret hygiene in logs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic } from './lib/server.js';
import { assert401, assertStatus, assertValid, validate, mint, assertExit0 } from './lib/check.js';

let srv;
const keysPath = () => `/2010-04-01/Accounts/${srv.account.sid}/Keys.json`;
const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');

// Every secret that passes through the server in this file; none may be logged.
const secrets = new Set();

before(async () => {
  srv = await startServer();
  secrets.add(srv.account.auth_token);
  secrets.add(srv.key.secret);
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

describe('missing or bad credentials -> 401 20003 with WWW-Authenticate', () => {
  it('no Authorization header', async () => {
    assert401(await srv.request('GET', keysPath()));
    assert401(await srv.request('POST', keysPath(), { form: { FriendlyName: 'x' } }));
  });

  it('wrong auth token', async () => {
    assert401(await srv.request('GET', keysPath(), { auth: basic(srv.account.sid, 'wrong-token') }));
    // right length, wrong content
    const t = srv.account.auth_token;
    const flipped = t.slice(0, -1) + (t.endsWith('0') ? '1' : '0');
    assert401(await srv.request('GET', keysPath(), { auth: basic(srv.account.sid, flipped) }));
    // token with a suffix / prefix
    assert401(await srv.request('GET', keysPath(), { auth: basic(srv.account.sid, t + 'x') }));
    assert401(await srv.request('GET', keysPath(), { auth: basic(srv.account.sid, t.slice(0, -1)) }));
  });

  it('empty password', async () => {
    assert401(await srv.request('GET', keysPath(), { auth: basic(srv.account.sid, '') }));
    assert401(await srv.request('GET', keysPath(), { auth: basic(srv.key.sid, '') }));
  });

  it('wrong key secret', async () => {
    assert401(await srv.request('GET', keysPath(), { auth: basic(srv.key.sid, 'not-the-secret') }));
    assert401(await srv.request('GET', keysPath(), { auth: basic(srv.key.sid, srv.account.auth_token) }));
  });

  it('unknown account / key sids', async () => {
    assert401(await srv.request('GET', keysPath(), { auth: basic('AC' + 'f'.repeat(32), srv.account.auth_token) }));
    assert401(await srv.request('GET', keysPath(), { auth: basic('SK' + 'f'.repeat(32), srv.key.secret) }));
    assert401(await srv.request('GET', keysPath(), { auth: basic('nobody', 'nothing') }));
  });

  it('malformed Basic: not base64, no colon, empty, missing value', async () => {
    for (const h of [
      'Basic !!!not-base64***',
      'Basic ' + b64(srv.account.sid + srv.account.auth_token), // no colon
      'Basic ' + b64(''),
      'Basic ',
      'Basic',
      'Basic ' + b64(':'),
      'Basic ' + b64(':' + srv.account.auth_token),
      'Basic ' + b64(srv.account.sid + ':' + srv.account.auth_token).slice(0, -3), // truncated
      'Basic' + b64(srv.account.sid + ':' + srv.account.auth_token), // no space
    ]) {
      const res = await srv.request('GET', keysPath(), { auth: h });
      assert401(res);
    }
  });

  it('other schemes (Bearer with the auth token, Digest) -> 401', async () => {
    assert401(await srv.request('GET', keysPath(), { auth: 'Bearer ' + srv.account.auth_token }));
    assert401(await srv.request('GET', keysPath(), { auth: 'Bearer ' + b64(srv.account.sid + ':' + srv.account.auth_token) }));
    assert401(await srv.request('GET', keysPath(), { auth: 'Digest username="x"' }));
  });

  it('token routes require credentials (no --demo)', async () => {
    assert401(await srv.request('POST', '/v1/AccessTokens', { json: { identity: 'a' } }));
    assert401(await srv.request('GET', '/token', { query: { identity: 'a', room: 'r' } }));
    assert401(await srv.request('GET', '/get-token'));
    assert401(await srv.request('POST', `/v1/Accounts/${srv.account.sid}/Tokens/validate`, { json: { token: 'x.y.z' } }));
    assert401(await srv.request('POST', '/v1/AccessTokens', { auth: basic(srv.key.sid, 'bad'), json: { identity: 'a' } }));
  });
});

describe('working credentials', () => {
  it('account credentials work on keys routes', async () => {
    assertStatus(await srv.request('GET', keysPath(), { auth: srv.accountAuth }), 200);
  });

  it('key credentials work on keys routes (list, create, fetch)', async () => {
    assertStatus(await srv.request('GET', keysPath(), { auth: srv.keyAuth }), 200);
    const c = await srv.request('POST', keysPath(), { auth: srv.keyAuth, form: { FriendlyName: 'k' } });
    assertStatus(c, 201);
    secrets.add(c.json.secret);
    assertStatus(await srv.request('GET', `/2010-04-01/Accounts/${srv.account.sid}/Keys/${c.json.sid}.json`, { auth: srv.keyAuth }), 200);
  });

  it('key and account credentials work on token routes', async () => {
    const t1 = await mint(srv, { auth: srv.keyAuth, identity: 'k-user' });
    const t2 = await mint(srv, { auth: srv.accountAuth, identity: 'a-user' });
    secrets.add(t1.token);
    secrets.add(t2.token);
    const g = await srv.request('GET', '/token', { auth: srv.keyAuth, query: { identity: 'g', room: 'r' } });
    assertStatus(g, 200);
    secrets.add(g.json.token);
    const v = await srv.request('GET', '/get-token', { auth: srv.keyAuth });
    assertStatus(v, 200);
    secrets.add(v.json.token);
    assertValid(await validate(srv, t1.token), { identity: 'k-user' });
  });

  it('/healthz needs no credentials', async () => {
    const res = await srv.request('GET', '/healthz');
    assertStatus(res, 200);
    assert.deepEqual(res.json, { status: 'ok' });
  });
});

describe('secrets are never logged', () => {
  it('the server\'s whole stderr, read after it exited, holds no auth token, key secret, Basic header or minted token', async () => {
    // token-auth validate mode and a few failing attempts, so all paths ran
    const t = await mint(srv, { identity: 'logcheck' });
    secrets.add(t.token);
    const res = await srv.request('POST', `/v1/Accounts/${srv.account.sid}/Tokens/validate`, {
      auth: 'Basic ' + b64('token:' + t.token),
    });
    assertStatus(res, 200);
    await srv.request('GET', keysPath(), { auth: basic(srv.account.sid, srv.account.auth_token + 'zz') });
    await srv.request('GET', keysPath(), { auth: 'Bearer ' + srv.key.secret });
    await srv.request('GET', '/token', { auth: srv.accountAuth, query: { identity: 'q', room: 'r' } });
    // the last test of the file: stop the server so that everything it will
    // ever write is in (the harness waits for the pipes to close), rather
    // than reading after a fixed delay and missing later lines
    assertExit0(srv, await srv.stop());
    const log = srv.stderr();
    // the access log is really there, up to the last request (so the checks
    // below cover every line)
    assert.ok(log.includes('/v1/AccessTokens'), 'stderr carries an access log line for /v1/AccessTokens');
    assert.match(log.trimEnd().split('\n').filter((l) => l.startsWith('{')).at(-1), /"path":"\/token/, 'the last request\'s line is there');
    const headers = [srv.accountAuth, srv.keyAuth].map((h) => h.slice('Basic '.length));
    for (const s of [...secrets, ...headers]) {
      assert.ok(!log.includes(s), `stderr leaks a secret (${s.slice(0, 12)}...)`);
    }
    // the JWT signatures alone must not appear either
    for (const s of secrets) {
      if (s.split('.').length === 3) assert.ok(!log.includes(s.split('.')[2]), 'stderr leaks a token signature');
    }
  });
});
