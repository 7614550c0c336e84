// Key lifecycle on the Twilio 2010-04-01 Keys routes (docs/api.md "Routes").
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, cliJson } from './lib/server.js';
import { assertError, assert401, assertStatus, assertJsonContentType, assertValid, assertInvalid, validate, mint, assertExit0 } from './lib/check.js';
import { SK_RE, AC_RE, RFC2822_RE } from './lib/jwt.js';

let srv;
let A; // {sid, auth_token}
let B; // second account, created with the CLI
let keyB; // {sid, secret} of B
const keysPath = (ac) => `/2010-04-01/Accounts/${ac}/Keys.json`;
const keyPath = (ac, sk) => `/2010-04-01/Accounts/${ac}/Keys/${sk}.json`;

function assertRecentRfc2822(s) {
  assert.match(s, RFC2822_RE, `RFC 2822 date: ${s}`);
  const t = Date.parse(s);
  assert.ok(Math.abs(t - Date.now()) < 5 * 60 * 1000, `date ${s} should be close to now`);
}

function assertPublicKey(k) {
  assert.match(k.sid, SK_RE);
  assert.equal(typeof k.friendly_name === 'string' || k.friendly_name === null, true, 'friendly_name');
  assert.ok(!('secret' in k), `secret must not be returned: ${JSON.stringify(k)}`);
  assertRecentRfc2822(k.date_created);
  assertRecentRfc2822(k.date_updated);
}

before(async () => {
  srv = await startServer();
  A = srv.account;
  B = cliJson(srv.cli(['account', 'create', '--name', 'second']));
  assert.match(B.sid, AC_RE);
  assert.equal(typeof B.auth_token, 'string');
  keyB = cliJson(srv.cli(['key', 'create', '--account', B.sid, '--name', 'b-key', '--type', 'main']));
  assert.match(keyB.sid, SK_RE);
});
after(async () => {
  if (srv) assertExit0(srv, await srv.stop());
});

describe('create', () => {
  it('form-encoded FriendlyName -> 201 with secret, SK sid, RFC 2822 dates', async () => {
    const res = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, form: { FriendlyName: 'alpha' } });
    assertStatus(res, 201);
    assertJsonContentType(res);
    const k = res.json;
    assert.match(k.sid, SK_RE);
    assert.equal(k.friendly_name, 'alpha');
    assert.equal(typeof k.secret, 'string');
    assert.ok(k.secret.length >= 16, 'secret long enough');
    assertRecentRfc2822(k.date_created);
    assertRecentRfc2822(k.date_updated);
    assert.deepEqual(Object.keys(k).sort(), ['date_created', 'date_updated', 'friendly_name', 'secret', 'sid']);
  });

  it('JSON body with FriendlyName -> 201', async () => {
    const res = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, json: { FriendlyName: 'beta' } });
    assertStatus(res, 201);
    assert.equal(res.json.friendly_name, 'beta');
    assert.match(res.json.sid, SK_RE);
    assert.equal(typeof res.json.secret, 'string');
  });

  it('friendly_name (snake case) accepted in JSON and form', async () => {
    const r1 = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, json: { friendly_name: 'gamma' } });
    assertStatus(r1, 201);
    assert.equal(r1.json.friendly_name, 'gamma');
    const r2 = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, form: { friendly_name: 'delta' } });
    assertStatus(r2, 201);
    assert.equal(r2.json.friendly_name, 'delta');
  });

  it('key credentials can create keys for their own account', async () => {
    const res = await srv.request('POST', keysPath(A.sid), { auth: srv.keyAuth, form: { FriendlyName: 'by-key' } });
    assertStatus(res, 201);
    assert.equal(res.json.friendly_name, 'by-key');
  });

  it('each key gets a distinct sid and secret', async () => {
    const a = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, form: { FriendlyName: 'x' } });
    const b = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, form: { FriendlyName: 'x' } });
    assertStatus(a, 201);
    assertStatus(b, 201);
    assert.notEqual(a.json.sid, b.json.sid);
    assert.notEqual(a.json.secret, b.json.secret);
  });

  it('FriendlyName over 255 bytes -> 400 21603', async () => {
    const res = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, form: { FriendlyName: 'é'.repeat(128) } });
    assertError(res, 400, 21603, { param: 'FriendlyName' });
  });

  it('FriendlyName of exactly 255 bytes is accepted', async () => {
    const name = 'n'.repeat(255);
    const res = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, form: { FriendlyName: name } });
    assertStatus(res, 201);
    assert.equal(res.json.friendly_name, name);
  });

  it('the created secret authenticates', async () => {
    const res = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, form: { FriendlyName: 'auth-me' } });
    assertStatus(res, 201);
    // a standard key (the default): any route but the Keys resource
    const list = await srv.request('GET', '/v1/Rooms', { auth: basic(res.json.sid, res.json.secret) });
    assertStatus(list, 200);
  });
});

describe('list, fetch, rename', () => {
  it('list: no secrets, newest first, Twilio paging fields', async () => {
    // keys in quick succession, at least five, and until two land in the
    // same second with the later one having the smaller sid (a tie broken by
    // sid would then list them in the wrong order)
    const created = [];
    let prev;
    for (let i = 0; i < 40; i++) {
      const r = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, form: { FriendlyName: `l${i}` } });
      assertStatus(r, 201);
      created.push(r.json.sid);
      const tie = prev && prev.date_created === r.json.date_created && r.json.sid < prev.sid;
      if (tie && created.length >= 5) break;
      prev = r.json;
    }
    const res = await srv.request('GET', keysPath(A.sid), { auth: srv.accountAuth });
    assertStatus(res, 200);
    assertJsonContentType(res);
    const b = res.json;
    assert.ok(Array.isArray(b.keys));
    for (const k of b.keys) assertPublicKey(k);
    const sids = b.keys.map((k) => k.sid);
    // newest first: the keys just created, last one first
    assert.deepEqual(sids.slice(0, created.length), [...created].reverse());
    // the harness key (created first, via the CLI) is last
    assert.equal(sids[sids.length - 1], srv.key.sid);
    assert.equal(new Set(sids).size, sids.length, 'no duplicates');
    assert.equal(b.page, 0);
    assert.equal(b.page_size, 50);
    assert.equal(b.start, 0);
    assert.equal(b.end, b.keys.length - 1);
    assert.equal(typeof b.uri, 'string');
    assert.ok(b.uri.startsWith(keysPath(A.sid)), `uri: ${b.uri}`);
    assert.equal(typeof b.first_page_uri, 'string');
    assert.equal(b.previous_page_uri, null);
    assert.equal(b.next_page_uri, null);
    // B's key never shows up in A's list
    assert.ok(!sids.includes(keyB.sid));
  });

  it('paging with PageSize/Page and next_page_uri covers the whole list in order', async () => {
    const full = await srv.request('GET', keysPath(A.sid), { auth: srv.accountAuth, query: { PageSize: 1000 } });
    assertStatus(full, 200);
    const all = full.json.keys.map((k) => k.sid);
    assert.ok(all.length >= 5, `need several keys, have ${all.length}`);
    assert.equal(full.json.page_size, 1000);

    const seen = [];
    let uri = `${keysPath(A.sid)}?PageSize=2&Page=0`;
    let page = 0;
    let prevNull = true;
    while (uri) {
      const res = await srv.request('GET', uri, { auth: srv.accountAuth });
      assertStatus(res, 200);
      const b = res.json;
      assert.equal(b.page, page, `page number on ${uri}`);
      assert.equal(b.page_size, 2);
      assert.equal(b.start, page * 2);
      assert.ok(b.keys.length >= 1 && b.keys.length <= 2);
      assert.equal(b.end, b.start + b.keys.length - 1);
      if (prevNull) assert.equal(b.previous_page_uri, null);
      else assert.equal(typeof b.previous_page_uri, 'string');
      prevNull = false;
      for (const k of b.keys) assertPublicKey(k);
      seen.push(...b.keys.map((k) => k.sid));
      if (b.next_page_uri !== null) {
        assert.equal(typeof b.next_page_uri, 'string');
        assert.ok(b.next_page_uri.startsWith('/2010-04-01/'), `relative next_page_uri: ${b.next_page_uri}`);
      }
      uri = b.next_page_uri;
      page++;
      assert.ok(page < 100, 'paging terminates');
    }
    assert.deepEqual(seen, all);
    assert.equal(page, Math.ceil(all.length / 2));
  });

  it('explicit Page beyond the end -> empty keys, next_page_uri null', async () => {
    const res = await srv.request('GET', keysPath(A.sid), { auth: srv.accountAuth, query: { PageSize: 2, Page: 500 } });
    assertStatus(res, 200);
    assert.deepEqual(res.json.keys, []);
    assert.equal(res.json.next_page_uri, null);
    assert.equal(res.json.page, 500);
  });

  it('PageSize out of range (0, 1001, abc) -> 400 21603', async () => {
    for (const ps of ['0', '1001', 'abc']) {
      const res = await srv.request('GET', keysPath(A.sid), { auth: srv.accountAuth, query: { PageSize: ps } });
      assertError(res, 400, 21603, { param: 'PageSize' });
    }
  });

  it('Page negative -> 400 21603', async () => {
    const res = await srv.request('GET', keysPath(A.sid), { auth: srv.accountAuth, query: { Page: -1 } });
    assertError(res, 400, 21603, { param: 'Page' });
  });

  it('fetch returns the key without secret', async () => {
    const c = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, form: { FriendlyName: 'fetch-me' } });
    assertStatus(c, 201);
    const res = await srv.request('GET', keyPath(A.sid, c.json.sid), { auth: srv.accountAuth });
    assertStatus(res, 200);
    assertPublicKey(res.json);
    assert.equal(res.json.sid, c.json.sid);
    assert.equal(res.json.friendly_name, 'fetch-me');
    assert.equal(res.json.date_created, c.json.date_created);
    assert.deepEqual(Object.keys(res.json).sort(), ['date_created', 'date_updated', 'friendly_name', 'sid']);
  });

  it('fetch with key credentials works', async () => {
    const res = await srv.request('GET', keyPath(A.sid, srv.key.sid), { auth: srv.keyAuth });
    assertStatus(res, 200);
    assert.equal(res.json.sid, srv.key.sid);
    assert.ok(!('secret' in res.json));
  });

  it('rename via POST FriendlyName (form and JSON), no secret in answer', async () => {
    const c = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, form: { FriendlyName: 'old' } });
    assertStatus(c, 201);
    const sk = c.json.sid;
    const r1 = await srv.request('POST', keyPath(A.sid, sk), { auth: srv.accountAuth, form: { FriendlyName: 'renamed' } });
    assertStatus(r1, 200);
    assertPublicKey(r1.json);
    assert.equal(r1.json.sid, sk);
    assert.equal(r1.json.friendly_name, 'renamed');
    const f1 = await srv.request('GET', keyPath(A.sid, sk), { auth: srv.accountAuth });
    assert.equal(f1.json.friendly_name, 'renamed');

    const r2 = await srv.request('POST', keyPath(A.sid, sk), { auth: srv.accountAuth, json: { FriendlyName: 'renamed-json' } });
    assertStatus(r2, 200);
    assert.equal(r2.json.friendly_name, 'renamed-json');
    assert.ok(!('secret' in r2.json));
    const f2 = await srv.request('GET', keyPath(A.sid, sk), { auth: srv.accountAuth });
    assert.equal(f2.json.friendly_name, 'renamed-json');

    const r3 = await srv.request('POST', keyPath(A.sid, sk), { auth: srv.accountAuth, json: { friendly_name: 'snake' } });
    assertStatus(r3, 200);
    assert.equal(r3.json.friendly_name, 'snake');
    // rename keeps the secret working
    const list = await srv.request('GET', '/v1/Rooms', { auth: basic(sk, c.json.secret) });
    assertStatus(list, 200);
  });

  it('fetch / rename / delete of an unknown SK -> 404 20404', async () => {
    const sk = 'SK' + '0'.repeat(32);
    assertError(await srv.request('GET', keyPath(A.sid, sk), { auth: srv.accountAuth }), 404, 20404);
    assertError(await srv.request('POST', keyPath(A.sid, sk), { auth: srv.accountAuth, form: { FriendlyName: 'x' } }), 404, 20404);
    assertError(await srv.request('DELETE', keyPath(A.sid, sk), { auth: srv.accountAuth }), 404, 20404);
  });
});

describe('delete', () => {
  it('204 empty body; then 404; its tokens become invalid (20103); its creds stop working', async () => {
    const c = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, form: { FriendlyName: 'doomed' } });
    assertStatus(c, 201);
    const sk = c.json.sid;
    const kAuth = basic(sk, c.json.secret);
    const minted = await mint(srv, { auth: kAuth, identity: 'doomed-user', room: 'r' });
    assertValid(await validate(srv, minted.token), { identity: 'doomed-user', keySid: sk });

    const del = await srv.request('DELETE', keyPath(A.sid, sk), { auth: srv.accountAuth });
    assertStatus(del, 204);
    assert.equal(del.text, '');

    assertError(await srv.request('GET', keyPath(A.sid, sk), { auth: srv.accountAuth }), 404, 20404);
    assertError(await srv.request('DELETE', keyPath(A.sid, sk), { auth: srv.accountAuth }), 404, 20404);
    assertInvalid(await validate(srv, minted.token), 20103);
    assert401(await srv.request('GET', keysPath(A.sid), { auth: kAuth }));
    const list = await srv.request('GET', keysPath(A.sid), { auth: srv.accountAuth, query: { PageSize: 1000 } });
    assert.ok(!list.json.keys.some((k) => k.sid === sk), 'deleted key not listed');
  });

  it('a key can be deleted with key credentials (another key of the same account)', async () => {
    const c = await srv.request('POST', keysPath(A.sid), { auth: srv.accountAuth, form: { FriendlyName: 'del-by-key' } });
    const del = await srv.request('DELETE', keyPath(A.sid, c.json.sid), { auth: srv.keyAuth });
    assertStatus(del, 204);
    assert.equal(del.text, '');
  });
});

describe('account isolation', () => {
  it('second account (CLI-created) manages its own keys', async () => {
    const auth = basic(B.sid, B.auth_token);
    const list = await srv.request('GET', keysPath(B.sid), { auth });
    assertStatus(list, 200);
    assert.deepEqual(list.json.keys.map((k) => k.sid), [keyB.sid]);
    assert.equal(list.json.keys[0].friendly_name, 'b-key');
    const c = await srv.request('POST', keysPath(B.sid), { auth: basic(keyB.sid, keyB.secret), form: { FriendlyName: 'b2' } });
    assertStatus(c, 201);
  });

  it('account A credentials on account B paths -> 401', async () => {
    assert401(await srv.request('GET', keysPath(B.sid), { auth: srv.accountAuth }));
    assert401(await srv.request('POST', keysPath(B.sid), { auth: srv.accountAuth, form: { FriendlyName: 'evil' } }));
    assert401(await srv.request('GET', keyPath(B.sid, keyB.sid), { auth: srv.accountAuth }));
    assert401(await srv.request('DELETE', keyPath(B.sid, keyB.sid), { auth: srv.accountAuth }));
  });

  it('a key of account A cannot manage account B (401), and B\'s key survives', async () => {
    assert401(await srv.request('GET', keysPath(B.sid), { auth: srv.keyAuth }));
    assert401(await srv.request('POST', keysPath(B.sid), { auth: srv.keyAuth, form: { FriendlyName: 'evil' } }));
    assert401(await srv.request('GET', keyPath(B.sid, keyB.sid), { auth: srv.keyAuth }));
    assert401(await srv.request('POST', keyPath(B.sid, keyB.sid), { auth: srv.keyAuth, form: { FriendlyName: 'pwned' } }));
    assert401(await srv.request('DELETE', keyPath(B.sid, keyB.sid), { auth: srv.keyAuth }));
    const f = await srv.request('GET', keyPath(B.sid, keyB.sid), { auth: basic(B.sid, B.auth_token) });
    assertStatus(f, 200);
    assert.equal(f.json.friendly_name, 'b-key');
  });

  it('another account\'s key under one\'s own path -> 404', async () => {
    const auth = basic(B.sid, B.auth_token);
    assertError(await srv.request('GET', keyPath(B.sid, srv.key.sid), { auth }), 404, 20404);
    assertError(await srv.request('DELETE', keyPath(B.sid, srv.key.sid), { auth }), 404, 20404);
    assertError(await srv.request('POST', keyPath(B.sid, srv.key.sid), { auth, form: { FriendlyName: 'x' } }), 404, 20404);
    // A's key is untouched
    const f = await srv.request('GET', keyPath(A.sid, srv.key.sid), { auth: srv.accountAuth });
    assertStatus(f, 200);
  });

  it('CLI key list shows the account keys, one JSON object per line', async () => {
    const out = srv.cli(['key', 'list', '--account', B.sid]);
    const rows = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.ok(rows.some((r) => r.sid === keyB.sid && r.friendly_name === 'b-key'));
    for (const r of rows) {
      assert.match(r.sid, SK_RE);
      assert.ok(!('secret' in r));
      assert.ok('date_created' in r);
    }
  });
});
