// Issue 10, item 5: key types.  A standard key (the default) cannot touch
// the Keys resource (401/20003, as Twilio answers); the auth token and main
// keys can; only the auth token creates main keys.  And ("Also") a key the
// CLI creates while the server runs works on the very next request.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, cliJson } from './lib/server.js';
import { assertError, assert401, assertStatus, assertExit0, mint, validate, assertValid } from './lib/check.js';

let srv;
let A;
let std; // a standard key, from the CLI default
let main; // a main key, from the CLI
const keysPath = () => `/2010-04-01/Accounts/${A.sid}/Keys.json`;
const keyPath = (sk) => `/2010-04-01/Accounts/${A.sid}/Keys/${sk}.json`;
// The REST Key resource is Twilio's (no type field); `roomgate key list` shows it.
const typeOf = (sk) => {
  const rows = srv.cli(['key', 'list', '--account', A.sid]).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return rows.find((r) => r.sid === sk)?.key_type;
};

before(async () => {
  srv = await startServer({ keyType: 'standard' });
  A = srv.account;
  std = srv.key;
  main = cliJson(srv.cli(['key', 'create', '--account', A.sid, '--name', 'ops', '--type', 'main']));
});
after(async () => {
  if (srv) assertExit0(srv, await srv.stop());
});

describe('standard keys cannot manage keys', () => {
  it('create, list, fetch, update and delete with a standard key -> 401/20003, nothing changes', async () => {
    const auth = basic(std.sid, std.secret);
    const before = await srv.request('GET', keysPath(), { auth: srv.accountAuth, query: { PageSize: 1000 } });
    assertStatus(before, 200);
    assert401(await srv.request('POST', keysPath(), { auth, form: { FriendlyName: 'successor' } }));
    assert401(await srv.request('GET', keysPath(), { auth }));
    assert401(await srv.request('GET', keyPath(main.sid), { auth }));
    assert401(await srv.request('GET', keyPath(std.sid), { auth }));
    assert401(await srv.request('POST', keyPath(main.sid), { auth, form: { FriendlyName: 'pwned' } }));
    assert401(await srv.request('DELETE', keyPath(main.sid), { auth }));
    assert401(await srv.request('DELETE', keyPath(std.sid), { auth }));
    const after = await srv.request('GET', keysPath(), { auth: srv.accountAuth, query: { PageSize: 1000 } });
    assert.deepEqual(after.json.keys, before.json.keys, 'no key created, renamed or deleted');
    // the message says why
    const r = await srv.request('GET', keysPath(), { auth });
    assert.match(r.json.message, /standard API key/);
  });

  it('a standard key cannot create a main key either', async () => {
    const auth = basic(std.sid, std.secret);
    assert401(await srv.request('POST', keysPath(), { auth, form: { FriendlyName: 'root', KeyType: 'main' } }));
  });

  it('a standard key still works everywhere else (minting, rooms)', async () => {
    const t = await mint(srv, { auth: basic(std.sid, std.secret), identity: 'std-user' });
    assertValid(await validate(srv, t.token), { identity: 'std-user', keySid: std.sid });
    assertStatus(await srv.request('GET', '/v1/Rooms', { auth: basic(std.sid, std.secret) }), 200);
  });
});

describe('the auth token and main keys manage keys', () => {
  it('auth token: create (standard by default), list, fetch, update, delete; Twilio\'s fields unchanged', async () => {
    const c = await srv.request('POST', keysPath(), { auth: srv.accountAuth, form: { FriendlyName: 'by-token' } });
    assertStatus(c, 201);
    assert.deepEqual(Object.keys(c.json).sort(), ['date_created', 'date_updated', 'friendly_name', 'secret', 'sid']);
    assert.equal(typeOf(c.json.sid), 'standard');
    assert401(await srv.request('GET', keysPath(), { auth: basic(c.json.sid, c.json.secret) }));
    assert.equal(typeOf(std.sid), 'standard');
    assert.equal(typeOf(main.sid), 'main');
    assertStatus(await srv.request('GET', keysPath(), { auth: srv.accountAuth }), 200);
    assertStatus(await srv.request('GET', keyPath(c.json.sid), { auth: srv.accountAuth }), 200);
    const u = await srv.request('POST', keyPath(c.json.sid), { auth: srv.accountAuth, form: { FriendlyName: 'renamed' } });
    assertStatus(u, 200);
    assert.equal(typeOf(c.json.sid), 'standard');
    assertStatus(await srv.request('DELETE', keyPath(c.json.sid), { auth: srv.accountAuth }), 204);
  });

  it('KeyType=main with the auth token creates a main key, which can manage keys', async () => {
    const c = await srv.request('POST', keysPath(), { auth: srv.accountAuth, form: { FriendlyName: 'm2', KeyType: 'main' } });
    assertStatus(c, 201);
    assert.equal(typeOf(c.json.sid), 'main');
    const mAuth = basic(c.json.sid, c.json.secret);
    assertStatus(await srv.request('GET', keysPath(), { auth: mAuth }), 200);
    const s = await srv.request('POST', keysPath(), { auth: mAuth, json: { friendly_name: 'child', key_type: 'standard' } });
    assertStatus(s, 201);
    assert.equal(typeOf(s.json.sid), 'standard');
    assertStatus(await srv.request('DELETE', keyPath(s.json.sid), { auth: mAuth }), 204);
    assertStatus(await srv.request('DELETE', keyPath(c.json.sid), { auth: srv.accountAuth }), 204);
  });

  it('a main key creates, lists, fetches, renames and deletes standard keys', async () => {
    const auth = basic(main.sid, main.secret);
    const c = await srv.request('POST', keysPath(), { auth, form: { FriendlyName: 'by-main' } });
    assertStatus(c, 201);
    assert.equal(typeOf(c.json.sid), 'standard');
    assertStatus(await srv.request('GET', keysPath(), { auth }), 200);
    const f = await srv.request('GET', keyPath(c.json.sid), { auth });
    assertStatus(f, 200);
    assertStatus(await srv.request('POST', keyPath(c.json.sid), { auth, form: { FriendlyName: 'x' } }), 200);
    assertStatus(await srv.request('DELETE', keyPath(c.json.sid), { auth }), 204);
  });

  it('a main key cannot create a main key (403/20403): only the auth token can', async () => {
    const auth = basic(main.sid, main.secret);
    const n = (await srv.request('GET', keysPath(), { auth: srv.accountAuth, query: { PageSize: 1000 } })).json.keys.length;
    assertError(await srv.request('POST', keysPath(), { auth, form: { FriendlyName: 'peer', KeyType: 'main' } }), 403, 20403);
    const after = (await srv.request('GET', keysPath(), { auth: srv.accountAuth, query: { PageSize: 1000 } })).json.keys.length;
    assert.equal(after, n);
  });

  it('a bad KeyType -> 400/21603 and no key', async () => {
    for (const t of ['root', 'Main', 'restricted', '']) {
      assertError(await srv.request('POST', keysPath(), { auth: srv.accountAuth, form: { KeyType: t } }), 400, 21603, { param: 'KeyType' });
    }
  });
});

describe('CLI', () => {
  it('key create --type main|standard; default standard; key list shows the type; bad type refused', async () => {
    const m = cliJson(srv.cli(['key', 'create', '--account', A.sid, '--type', 'main']));
    const s = cliJson(srv.cli(['key', 'create', '--account', A.sid, '--type', 'standard']));
    const rows = srv.cli(['key', 'list', '--account', A.sid]).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const types = Object.fromEntries(rows.map((r) => [r.sid, r.key_type]));
    assert.equal(types[m.sid], 'main');
    assert.equal(types[s.sid], 'standard');
    assert.throws(() => srv.cli(['key', 'create', '--account', A.sid, '--type', 'root']), (e) => e.status === 2 && /--type/.test(e.stderr));
    // created by the CLI while the server runs, used at once (no wait): works with its powers
    assertStatus(await srv.request('GET', keysPath(), { auth: basic(m.sid, m.secret) }), 200);
    assert401(await srv.request('GET', keysPath(), { auth: basic(s.sid, s.secret) }));
  });
});

describe('a key created by the CLI while the server runs works at once', () => {
  it('create with the CLI, use immediately, many times in a row -> 200 every time', async () => {
    for (let i = 0; i < 10; i++) {
      const k = cliJson(srv.cli(['key', 'create', '--account', A.sid]));
      const r = await srv.request('GET', '/v1/Rooms', { auth: basic(k.sid, k.secret) });
      assertStatus(r, 200);
    }
  });

  it('an account created by the CLI works at once too, and a token signed by a fresh key validates', async () => {
    const acct = cliJson(srv.cli(['account', 'create']));
    assertStatus(await srv.request('GET', '/v1/Rooms', { auth: basic(acct.sid, acct.auth_token) }), 200);
    const k = cliJson(srv.cli(['key', 'create', '--account', A.sid]));
    const t = srv.cli(['token', '--account', A.sid, '--key', k.sid, '--identity', 'fresh']).trim();
    assertValid(await validate(srv, t), { identity: 'fresh', keySid: k.sid });
  });

  it('a wrong secret for a fresh key is still 401', async () => {
    const k = cliJson(srv.cli(['key', 'create', '--account', A.sid]));
    assert401(await srv.request('GET', '/v1/Rooms', { auth: basic(k.sid, k.secret.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'))) }));
  });
});
