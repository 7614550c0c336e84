// TURN credentials (docs/api.md "TURN"): GET /v1/turn and Twilio's NTS
// POST /2010-04-01/Accounts/{AC}/Tokens.json, checked against a real coturn
// (Debian's turnserver, started here on loopback with the same secrets):
// roomgate's credentials allocate a relay that relays; expired, wrongly
// signed and tampered ones get 401; a credential signed with the second
// (rotation) secret is accepted too.  If coturn cannot start, the suite
// fails loudly: it is installed by scripts/deps.sh test.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import twilio from 'twilio';
import { startServer, basic, cliJson, BIN, waitFor } from './lib/server.js';
import { assertError, assert401, assertStatus, assertJsonContentType, assertExit0 } from './lib/check.js';
import { RFC2822_RE } from './lib/jwt.js';
import { startCoturn, allocate, turnCredential } from './lib/turn.js';
import { makeHttpClient } from './lib/twilio_http.js';

const S1 = 'turn-secret-one-0123456789abcdef'; // signs
const S2 = 'turn-secret-two-0123456789abcdef'; // still accepted (rotation)
const S3 = 'turn-secret-unknown-0123456789ab'; // coturn does not know it
const ntsPath = (ac) => `/2010-04-01/Accounts/${ac}/Tokens.json`;
const now = () => Math.floor(Date.now() / 1000);

let turn; // coturn
let srv; // roomgate with TURN
let bare; // roomgate without TURN
let turnUri;
let stunUri;

before(async () => {
  turn = await startCoturn({ secrets: [S1, S2] });
  turnUri = `turn:127.0.0.1:${turn.port}?transport=udp`;
  stunUri = `stun:127.0.0.1:${turn.port}`;
  srv = await startServer({
    args: ['--turn-uri', turnUri, '--turn-uri', `turn:127.0.0.1:${turn.port}?transport=tcp`,
      '--stun-uri', stunUri, '--turn-secret', S1, '--turn-secret', S2],
  });
  bare = await startServer();
});
after(async () => {
  const done = await Promise.allSettled([srv?.stop(), bare?.stop()]);
  await turn?.stop();
  for (const d of done) if (d.status === 'rejected') throw d.reason;
  if (srv) assertExit0(srv, done[0].value);
  if (bare) assertExit0(bare, done[1].value);
});

function expiryOf(username) {
  const m = /^(\d+):(.+)$/s.exec(username);
  assert.ok(m, `username "<expiry>:<identity>": ${username}`);
  return { expiry: Number(m[1]), identity: m[2] };
}

function assertRecent(expiry, ttl) {
  assert.ok(Math.abs(expiry - (now() + ttl)) <= 5, `expiry ${expiry} should be now + ${ttl}`);
}

describe('coturn accepts what roomgate signs', () => {
  it('GET /v1/turn credential allocates a relay that relays', async () => {
    const res = await srv.request('GET', '/v1/turn', { auth: srv.accountAuth, query: { identity: 'alice' } });
    assertStatus(res, 200);
    const r = await allocate({ port: turn.port, username: res.json.username, password: res.json.password });
    assert.ok(r.ok, `allocation refused: ${r.code} ${r.reason}; coturn log:\n${turn.log().slice(-2000)}`);
    assert.equal(r.relay.address, '127.0.0.1');
    assert.ok(r.relay.port > 0);
    assert.deepEqual(r.relayed, r.relay, 'the peer got the datagram from the relayed address');
  });

  it('the NTS token (Twilio shape) allocates too, with the ice_servers credential', async () => {
    const res = await srv.request('POST', ntsPath(srv.account.sid), { auth: srv.keyAuth });
    assertStatus(res, 201);
    const t = res.json.ice_servers.find((e) => e.urls === turnUri);
    const r = await allocate({ port: turn.port, username: t.username, password: t.credential, relayTo: false });
    assert.ok(r.ok, `allocation refused: ${r.code} ${r.reason}`);
  });

  it('roomgate signs with the first secret', async () => {
    const res = await srv.request('GET', '/v1/turn', { auth: srv.accountAuth, query: { identity: 'bob' } });
    const { expiry } = expiryOf(res.json.username);
    assert.deepEqual(turnCredential(S1, 'bob', expiry), { username: res.json.username, password: res.json.password });
  });

  it('rotation: a credential signed with the second secret is accepted', async () => {
    const c = turnCredential(S2, 'carol', now() + 300);
    const r = await allocate({ port: turn.port, ...c, relayTo: false });
    assert.ok(r.ok, `allocation refused: ${r.code} ${r.reason}`);
  });

  it('an expired credential is refused (401)', async () => {
    const c = turnCredential(S1, 'alice', now() - 60);
    const r = await allocate({ port: turn.port, ...c });
    assert.equal(r.ok, false);
    assert.equal(r.code, 401);
  });

  it('a credential minted with Ttl=1 is refused once it has expired', async () => {
    const res = await srv.request('GET', '/v1/turn', { auth: srv.accountAuth, query: { identity: 'dave', ttl: 1 } });
    assertStatus(res, 200);
    // coturn refuses once its clock is past the expiry in the username; its
    // clock is a cached second updated by a timer, so it may lag ours by one
    const { expiry } = expiryOf(res.json.username);
    await waitFor(() => now() > expiry + 1, `the clock to pass ${expiry} + 1`);
    const r = await allocate({ port: turn.port, username: res.json.username, password: res.json.password });
    assert.equal(r.code, 401, `expected 401, got ${JSON.stringify(r)}`);
  });

  it('a credential signed with an unknown secret is refused (401)', async () => {
    const r = await allocate({ port: turn.port, ...turnCredential(S3, 'alice', now() + 300) });
    assert.equal(r.ok, false);
    assert.equal(r.code, 401);
  });

  it('a tampered username (other identity, later expiry) is refused (401)', async () => {
    const res = await srv.request('GET', '/v1/turn', { auth: srv.accountAuth, query: { identity: 'alice', ttl: 60 } });
    const { expiry } = expiryOf(res.json.username);
    for (const username of [`${expiry}:mallory`, `${expiry + 86400}:alice`]) {
      const r = await allocate({ port: turn.port, username, password: res.json.password });
      assert.equal(r.code, 401, `${username}: ${JSON.stringify(r)}`);
    }
  });
});

describe('GET /v1/turn', () => {
  it('shape: username, password, ttl, uris, ice_servers', async () => {
    const res = await srv.request('GET', '/v1/turn', { auth: srv.accountAuth, query: { identity: 'alice' } });
    assertStatus(res, 200);
    assertJsonContentType(res);
    const b = res.json;
    assert.deepEqual(Object.keys(b).sort(), ['ice_servers', 'password', 'ttl', 'uris', 'username']);
    assert.equal(b.ttl, 3600);
    const { expiry, identity } = expiryOf(b.username);
    assert.equal(identity, 'alice');
    assertRecent(expiry, 3600);
    assert.match(b.password, /^[A-Za-z0-9+/]{27}=$/);
    assert.deepEqual(b.uris, [turnUri, `turn:127.0.0.1:${turn.port}?transport=tcp`]);
    assert.deepEqual(b.ice_servers, [
      { urls: [stunUri] },
      { urls: b.uris, username: b.username, credential: b.password },
    ]);
  });

  it('ttl and identity from a JSON body or the query; key auth works', async () => {
    const res = await srv.request('GET', '/v1/turn', { auth: srv.keyAuth, query: { Identity: 'zoë:x', Ttl: 86400 } });
    assertStatus(res, 200);
    assert.equal(res.json.ttl, 86400);
    const { expiry, identity } = expiryOf(res.json.username);
    assert.equal(identity, 'zoë:x');
    assertRecent(expiry, 86400);
    assert.equal(res.json.password, turnCredential(S1, 'zoë:x', expiry).password);
  });

  it('ttl bounds and bad identities -> 400', async () => {
    for (const ttl of [0, -1, 86401, 'abc', '1.5']) {
      const res = await srv.request('GET', '/v1/turn', { auth: srv.accountAuth, query: { identity: 'a', ttl } });
      assertError(res, 400, 21603, { param: 'ttl' });
    }
    assertError(await srv.request('GET', '/v1/turn', { auth: srv.accountAuth }), 400, 21602, { param: 'identity' });
    for (const identity of ['', 'x'.repeat(257), 'a\nb', 'a\u0000b']) {
      const res = await srv.request('GET', '/v1/turn', { auth: srv.accountAuth, query: { identity } });
      assert.equal(res.status, 400, `identity ${JSON.stringify(identity)}: ${res.text}`);
    }
    const ok = await srv.request('GET', '/v1/turn', { auth: srv.accountAuth, query: { identity: 'x'.repeat(256) } });
    assertStatus(ok, 200);
  });

  it('needs Basic auth', async () => {
    assert401(await srv.request('GET', '/v1/turn', { query: { identity: 'a' } }));
    assert401(await srv.request('GET', '/v1/turn', { auth: basic(srv.account.sid, 'wrong'), query: { identity: 'a' } }));
    assert401(await srv.request('GET', '/v1/turn', { auth: basic(srv.key.sid, 'wrong'), query: { identity: 'a' } }));
  });

  it('wrong method -> 405', async () => {
    const res = await srv.request('POST', '/v1/turn', { auth: srv.accountAuth, form: { identity: 'a' } });
    assertStatus(res, 405);
  });
});

describe('POST /2010-04-01/Accounts/{AC}/Tokens.json (Twilio NTS)', () => {
  it('201 in Twilio\'s shape: ttl as a string, url and urls per server', async () => {
    const res = await srv.request('POST', ntsPath(srv.account.sid), { auth: srv.accountAuth });
    assertStatus(res, 201);
    assertJsonContentType(res);
    const b = res.json;
    assert.deepEqual(Object.keys(b).sort(),
      ['account_sid', 'date_created', 'date_updated', 'ice_servers', 'password', 'ttl', 'username']);
    assert.equal(b.account_sid, srv.account.sid);
    assert.match(b.date_created, RFC2822_RE);
    assert.equal(b.date_updated, b.date_created);
    assert.equal(b.ttl, '3600');
    const { expiry, identity } = expiryOf(b.username);
    assert.equal(identity, srv.account.sid);
    assertRecent(expiry, 3600);
    assert.equal(b.password, turnCredential(S1, identity, expiry).password);
    const cred = { username: b.username, credential: b.password };
    assert.deepEqual(b.ice_servers, [
      { url: stunUri, urls: stunUri },
      { url: turnUri, urls: turnUri, ...cred },
      { url: `turn:127.0.0.1:${turn.port}?transport=tcp`, urls: `turn:127.0.0.1:${turn.port}?transport=tcp`, ...cred },
    ]);
  });

  it('Ttl parameter and its bounds', async () => {
    const res = await srv.request('POST', ntsPath(srv.account.sid), { auth: srv.accountAuth, form: { Ttl: '120' } });
    assertStatus(res, 201);
    assert.equal(res.json.ttl, '120');
    assertRecent(expiryOf(res.json.username).expiry, 120);
    for (const Ttl of ['0', '86401', 'x']) {
      const bad = await srv.request('POST', ntsPath(srv.account.sid), { auth: srv.accountAuth, form: { Ttl } });
      assertError(bad, 400, 21603, { param: 'Ttl' });
    }
  });

  it('auth: the account in the path must be the caller\'s', async () => {
    const other = cliJson(srv.cli(['account', 'create']));
    // the server picks up CLI changes within ~100 ms (key cache poll)
    for (let i = 0; i < 50; i++) {
      const r = await srv.request('POST', ntsPath(other.sid), { auth: basic(other.sid, other.auth_token) });
      if (r.status !== 401) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert401(await srv.request('POST', ntsPath(srv.account.sid), {}));
    assert401(await srv.request('POST', ntsPath(srv.account.sid), { auth: basic(srv.account.sid, 'nope') }));
    assert401(await srv.request('POST', ntsPath(other.sid), { auth: srv.accountAuth }));
    assert401(await srv.request('POST', ntsPath(srv.account.sid), { auth: basic(other.sid, other.auth_token) }));
    assertStatus(await srv.request('POST', ntsPath(other.sid), { auth: basic(other.sid, other.auth_token) }), 201);
  });

  it('the twilio npm client: client.tokens.create()', async () => {
    const client = twilio(srv.account.sid, srv.account.auth_token, { httpClient: makeHttpClient(srv.url) });
    const t = await client.tokens.create({ ttl: 600 });
    assert.equal(t.accountSid, srv.account.sid);
    assert.equal(String(t.ttl), '600');
    assert.ok(t.dateCreated instanceof Date && !Number.isNaN(t.dateCreated.getTime()));
    assert.equal(t.iceServers.length, 3);
    assert.equal(t.iceServers[1].username, t.username);
    const r = await allocate({ port: turn.port, username: t.username, password: t.password, relayTo: false });
    assert.ok(r.ok, `allocation refused: ${r.code} ${r.reason}`);
  });
});

describe('without TURN configured', () => {
  it('both routes answer 503/20503 after authentication', async () => {
    assert401(await bare.request('GET', '/v1/turn', { query: { identity: 'a' } }));
    assertError(await bare.request('GET', '/v1/turn', { auth: bare.accountAuth, query: { identity: 'a' } }), 503, 20503);
    assertError(await bare.request('POST', ntsPath(bare.account.sid), { auth: bare.accountAuth }), 503, 20503);
  });
});

describe('configuration', () => {
  it('secrets never appear in the logs', () => {
    for (const s of [S1, S2]) assert.ok(!srv.stderr().includes(s) && !srv.stdout().includes(s), 'secret logged');
  });

  const serveFails = (args, env = {}) => {
    const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', bare.dataDir, ...args], {
      env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10000,
    });
    assert.equal(r.status, 2, `serve ${args.join(' ')} should fail with usage (2): ${r.stderr}`);
    return r.stderr;
  };

  it('bad options are refused at startup, without echoing secrets', () => {
    assert.match(serveFails(['--turn-uri', turnUri]), /secret/);
    assert.match(serveFails(['--turn-secret', S1]), /--turn-uri/);
    const err = serveFails(['--turn-uri', turnUri, '--turn-secret', 'too-short']);
    assert.match(err, /16\.\.256/);
    assert.ok(!err.includes('too-short'));
    assert.match(serveFails(['--turn-uri', 'http://example.com', '--turn-secret', S1]), /--turn-uri/);
    assert.match(serveFails(['--stun-uri', 'turn:example.com']), /--stun-uri/);
    assert.match(serveFails(['--turn-uri', turnUri, '--turn-secret', S1, '--turn-ttl', '86401']), /--turn-ttl/);
    assert.match(serveFails(['--turn-uri', turnUri], { ROOMGATE_TURN_SECRETS: `${S1},bad secret` }), /TURN secret/);
  });

  it('secrets from ROOMGATE_TURN_SECRETS and --turn-secret-file; --turn-ttl', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-turn-'));
    const file = path.join(dir, 'secrets');
    fs.writeFileSync(file, `# newest first\n${S2}\n${S1}\n`, { mode: 0o600 });
    const fromEnv = await startServer({ args: ['--turn-uri', turnUri, '--turn-ttl', '90'], env: { ROOMGATE_TURN_SECRETS: `${S2},${S1}` } });
    const fromFile = await startServer({ args: ['--turn-uri', turnUri, '--turn-secret-file', file] });
    try {
      for (const [s, ttl] of [[fromEnv, 90], [fromFile, 3600]]) {
        const res = await s.request('GET', '/v1/turn', { auth: s.accountAuth, query: { identity: 'erin' } });
        assertStatus(res, 200);
        assert.equal(res.json.ttl, ttl);
        const { expiry } = expiryOf(res.json.username);
        assert.equal(res.json.password, turnCredential(S2, 'erin', expiry).password, 'the first secret signs');
        assert.deepEqual(res.json.ice_servers.map((e) => e.urls), [[turnUri]], 'no STUN configured');
        const r = await allocate({ port: turn.port, username: res.json.username, password: res.json.password, relayTo: false });
        assert.ok(r.ok, `allocation refused: ${r.code}`);
      }
      fs.chmodSync(file, 0o644);
      assert.match(serveFails(['--turn-uri', turnUri, '--turn-secret-file', file]), /readable by others/);
    } finally {
      const codes = await Promise.all([fromEnv.stop(), fromFile.stop()]);
      assertExit0(fromEnv, codes[0]);
      assertExit0(fromFile, codes[1]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the coturn harness (lib/turn.js)', () => {
  // the port is picked by binding and closing it; another process may take
  // it (either transport) before coturn binds it: that is retried, not a
  // failure of the suite
  for (const kind of ['tcp', 'udp']) {
    it(`a ${kind.toUpperCase()} port taken by someone else is retried on another port`, async () => {
      const blocker = kind === 'tcp' ? net.createServer() : dgram.createSocket('udp4');
      await new Promise((r) => (kind === 'tcp' ? blocker.listen(0, '127.0.0.1', r) : blocker.bind(0, '127.0.0.1', r)));
      const taken = blocker.address().port;
      let t;
      try {
        t = await startCoturn({ secrets: [S1], firstPort: taken });
        assert.equal(t.tried[0], taken);
        assert.notEqual(t.port, taken);
        assert.equal(t.tried.at(-1), t.port);
        const expiry = Math.floor(Date.now() / 1000) + 600;
        const cred = turnCredential(S1, 'retry', expiry);
        const r = await allocate({ port: t.port, ...cred, relayTo: false });
        assert.ok(r.ok, `allocation on the new port: ${r.code}`);
      } finally {
        await t?.stop();
        blocker.close();
      }
    });
  }
});
