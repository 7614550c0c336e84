// The CLI (docs/api.md "CLI"), and how the running server sees its changes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, startServer, basic, cliJson, runCli, STARTUP_MS } from './lib/server.js';
import { assert401, assertStatus, assertValid, assertInvalid, validate, assertExit0 } from './lib/check.js';
import { decode, now, AC_RE, SK_RE, ISO_MS_RE } from './lib/jwt.js';

const TWILIO_HEADER = '{"alg":"HS256","typ":"JWT","cty":"twilio-fpa;v=1"}';
const tmpDirs = [];
const mkTmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-cli-'));
  tmpDirs.push(d);
  return d;
};
after(() => { for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true }); });

const lines = (out) => out.split('\n').filter((l) => l.trim() !== '');

describe('offline commands', () => {
  let dir;
  before(() => { dir = mkTmp(); });

  it('--help exits 0 with a usage text; an unknown command fails', () => {
    const out = execFileSync(BIN, ['--help'], { encoding: 'utf8' });
    assert.match(out, /usage/i);
    for (const cmd of [['account', '--help'], ['key', '--help'], ['serve', '--help'], ['token', '--help']]) {
      const r = spawnSync(BIN, cmd, { encoding: 'utf8' });
      assert.equal(r.status, 0, `${cmd.join(' ')} exit code`);
      assert.match(r.stdout + r.stderr, /usage/i);
    }
    const bad = spawnSync(BIN, ['no-such-command', '--data', dir], { encoding: 'utf8' });
    assert.equal(bad.status, 2, `usage error is exit 2: ${bad.stderr}`);
    assert.match(bad.stderr, /^roomgate: unknown command no-such-command\nusage: roomgate COMMAND/);
    assert.equal(bad.stdout, '');
  });

  it('account create prints {sid, auth_token}; creates roomgate.db and master.key (0600)', () => {
    const a = cliJson(runCli(dir, ['account', 'create', '--name', 'cli acct']));
    assert.deepEqual(Object.keys(a).sort(), ['auth_token', 'sid']);
    assert.match(a.sid, AC_RE);
    assert.ok(a.auth_token.length >= 16);
    assert.ok(fs.existsSync(path.join(dir, 'roomgate.db')));
    const mk = fs.statSync(path.join(dir, 'master.key'));
    assert.equal(mk.mode & 0o777, 0o600, `master.key mode ${(mk.mode & 0o777).toString(8)}`);
    const b = cliJson(runCli(dir, ['account', 'create']));
    assert.notEqual(a.sid, b.sid);
    assert.notEqual(a.auth_token, b.auth_token);
  });

  it('key create / list / delete', () => {
    const a = cliJson(runCli(dir, ['account', 'create']));
    const k1 = cliJson(runCli(dir, ['key', 'create', '--account', a.sid, '--name', 'first']));
    const k2 = cliJson(runCli(dir, ['key', 'create', '--account', a.sid]));
    for (const k of [k1, k2]) {
      assert.deepEqual(Object.keys(k).sort(), ['secret', 'sid']);
      assert.match(k.sid, SK_RE);
    }
    const listed = lines(runCli(dir, ['key', 'list', '--account', a.sid])).map((l) => JSON.parse(l));
    assert.deepEqual(listed.map((r) => r.sid).sort(), [k1.sid, k2.sid].sort());
    for (const r of listed) {
      assert.deepEqual(Object.keys(r).sort(), ['date_created', 'friendly_name', 'key_type', 'sid']);
      assert.ok(!('secret' in r));
    }
    assert.equal(listed.find((r) => r.sid === k1.sid).friendly_name, 'first');
    const del = cliJson(runCli(dir, ['key', 'delete', k1.sid]));
    assert.deepEqual(del, { sid: k1.sid, deleted: true });
    assert.deepEqual(lines(runCli(dir, ['key', 'list', '--account', a.sid])).map((l) => JSON.parse(l).sid), [k2.sid]);
    const again = spawnSync(BIN, ['key', 'delete', k1.sid, '--data', dir], { encoding: 'utf8' });
    assert.equal(again.status, 1, `deleting a deleted key is exit 1: ${again.stderr}`);
    assert.equal(again.stderr, `roomgate: no such key: ${k1.sid}\n`);
    assert.equal(again.stdout, '');
  });

  it('key list dates follow the conventions (ISO 8601 UTC with milliseconds outside the 2010-04-01 API)', () => {
    const a = cliJson(runCli(dir, ['account', 'create']));
    cliJson(runCli(dir, ['key', 'create', '--account', a.sid]));
    const [r] = lines(runCli(dir, ['key', 'list', '--account', a.sid])).map((l) => JSON.parse(l));
    assert.match(String(r.date_created), ISO_MS_RE, `date_created ${JSON.stringify(r.date_created)}`);
  });

  it('key create for an unknown account fails', () => {
    const r = spawnSync(BIN, ['key', 'create', '--account', 'AC' + '0'.repeat(32), '--data', dir], { encoding: 'utf8' });
    assert.equal(r.status, 1, `exit status: ${r.stderr}`);
    assert.equal(r.stderr, `roomgate: no such account: AC${'0'.repeat(32)}\n`);
    assert.equal(r.stdout, '');
  });

  it('token prints the token alone on one line, Twilio format', () => {
    const a = cliJson(runCli(dir, ['account', 'create']));
    const k = cliJson(runCli(dir, ['key', 'create', '--account', a.sid]));
    const out = runCli(dir, ['token', '--account', a.sid, '--key', k.sid, '--identity', 'cli-user', '--room', 'cli-room', '--ttl', '120']);
    assert.equal(lines(out).length, 1);
    const token = out.trim();
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const { headerJson, payload } = decode(token);
    assert.equal(headerJson, TWILIO_HEADER);
    assert.equal(payload.iss, k.sid);
    assert.equal(payload.sub, a.sid);
    assert.equal(payload.jti, `${k.sid}-${payload.iat}`);
    assert.equal(payload.nbf, payload.iat);
    assert.equal(payload.exp - payload.iat, 120);
    assert.ok(Math.abs(payload.iat - now()) <= 5);
    assert.deepEqual(payload.grants, { identity: 'cli-user', video: { room: 'cli-room' } });
    // default ttl 3600
    const t2 = runCli(dir, ['token', '--account', a.sid, '--key', k.sid, '--identity', 'u', '--room', 'r']).trim();
    const p2 = decode(t2).payload;
    assert.equal(p2.exp - p2.iat, 3600);
  });

  it('ROOMGATE_DATA is the data dir when --data is absent', () => {
    const d = mkTmp();
    const out = execFileSync(BIN, ['account', 'create'], { encoding: 'utf8', env: { ...process.env, ROOMGATE_DATA: d } });
    const a = cliJson(out);
    assert.match(a.sid, AC_RE);
    assert.ok(fs.existsSync(path.join(d, 'roomgate.db')), 'db created under ROOMGATE_DATA');
    const k = cliJson(execFileSync(BIN, ['key', 'create', '--account', a.sid], { encoding: 'utf8', env: { ...process.env, ROOMGATE_DATA: d } }));
    assert.match(k.sid, SK_RE);
  });

  it('demo init creates once, writes demo.json (0600) and prints it', () => {
    const d = mkTmp();
    const first = cliJson(runCli(d, ['demo', 'init']));
    const file = path.join(d, 'demo.json');
    const st = fs.statSync(file);
    assert.equal(st.mode & 0o777, 0o600, `demo.json mode ${(st.mode & 0o777).toString(8)}`);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), first);
    const vals = Object.values(first).map(String);
    assert.ok(vals.some((v) => AC_RE.test(v)), 'an account sid in demo.json');
    assert.ok(vals.some((v) => SK_RE.test(v)), 'a key sid in demo.json');
    const second = cliJson(runCli(d, ['demo', 'init']));
    assert.deepEqual(second, first, 'demo init is idempotent');
  });
});

describe('CLI changes seen by a running server', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

  it('a CLI-minted token validates on the server', async () => {
    const t = srv.cli(['token', '--account', srv.account.sid, '--key', srv.key.sid, '--identity', 'from-cli', '--room', 'x']).trim();
    assertValid(await validate(srv, t), { identity: 'from-cli', keySid: srv.key.sid, grants: { identity: 'from-cli', video: { room: 'x' } } });
  });

  it('key created by the CLI authenticates; key deleted by the CLI stops (tokens -> 20103, creds -> 401)', async () => {
    const k = cliJson(srv.cli(['key', 'create', '--account', srv.account.sid]));
    const auth = basic(k.sid, k.secret);
    let res;
    for (let i = 0; i < 40; i++) {
      res = await srv.request('POST', '/v1/AccessTokens', { auth, json: { identity: 'cli-key' } });
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assertStatus(res, 200);
    const token = res.json.token;
    assertValid(await validate(srv, token), { identity: 'cli-key', keySid: k.sid });
    assert.deepEqual(cliJson(srv.cli(['key', 'delete', k.sid])), { sid: k.sid, deleted: true });
    let v;
    for (let i = 0; i < 40; i++) {
      v = await validate(srv, token);
      if (v.json?.valid === false) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assertInvalid(v, 20103);
    assert401(await srv.request('GET', `/2010-04-01/Accounts/${srv.account.sid}/Keys.json`, { auth }));
  });
});

describe('serve --demo', () => {
  let srv;
  let demo;
  before(async () => {
    srv = await startServer({
      args: ['--demo'],
      beforeServe: (cli) => { demo = cliJson(cli(['demo', 'init'])); },
    });
  });
  after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

  it('GET /token needs no credentials and mints with the demo key', async () => {
    const res = await srv.request('GET', '/token', { query: { identity: 'visitor', room: 'demo-room' } });
    assertStatus(res, 200);
    assert.equal(res.json.identity, 'visitor');
    const { headerJson, payload } = decode(res.json.token);
    assert.equal(headerJson, TWILIO_HEADER);
    const vals = Object.values(demo).map(String);
    assert.ok(vals.includes(payload.iss), 'iss is the demo key');
    assert.ok(vals.includes(payload.sub), 'sub is the demo account');
    assert.deepEqual(payload.grants, { identity: 'visitor', video: { room: 'demo-room' } });
  });

  it('other routes still need credentials', async () => {
    assert401(await srv.request('POST', '/v1/AccessTokens', { json: { identity: 'x' } }));
    assert401(await srv.request('GET', `/2010-04-01/Accounts/${srv.account.sid}/Keys.json`));
  });

  it('GET /get-token needs no credentials either (the demo lobby roles)', async () => {
    const res = await srv.request('GET', '/get-token', {
      query: { permissions: 'ask_join', roomId: 'demo-room', participantId: 'guest' },
    });
    assertStatus(res, 200);
    const { payload } = decode(res.json.token);
    assert.ok(Object.values(demo).map(String).includes(payload.apikey), 'apikey is the demo key');
    assert.deepEqual(payload.permissions, ['ask_join']);
    assert.equal(payload.roomId, 'demo-room');
    assert.equal(payload.participantId, 'guest');
    // the same rules as with credentials
    const bad = await srv.request('GET', '/get-token', { query: { permissions: 'ask_join,allow_mod' } });
    assertStatus(bad, 400);
    assert.equal(bad.json.code, 4008);
  });

  it('/token with credentials still works under --demo', async () => {
    const res = await srv.request('GET', '/token', { auth: srv.keyAuth, query: { identity: 'v', room: 'r' } });
    assertStatus(res, 200);
    assert.ok(decode(res.json.token).payload.iss);
  });
});

describe('serve refusals', () => {
  it('--demo on a non-loopback address is a usage error (exit 2)', () => {
    const d = mkTmp();
    runCli(d, ['demo', 'init']);
    const r = spawnSync(BIN, ['serve', '--demo', '--listen', '0.0.0.0:0', '--data', d], { encoding: 'utf8', timeout: STARTUP_MS });
    assert.equal(r.status, 2, `exit status: ${r.stderr}`);
    assert.match(r.stderr, /^roomgate: --demo serves anonymous tokens: loopback only\nusage: roomgate serve /);
    assert.equal(r.stdout, '', 'never announced');
  });

  it('--demo without demo init exits 1 and says what to run', () => {
    const d = mkTmp();
    const r = spawnSync(BIN, ['serve', '--demo', '--listen', '127.0.0.1:0', '--data', d], { encoding: 'utf8', timeout: STARTUP_MS });
    assert.equal(r.status, 1, `exit status: ${r.stderr}`);
    assert.equal(r.stderr, `roomgate: --demo needs ${d}/demo.json: run \`roomgate demo init\` first\n`);
    assert.equal(r.stdout, '', 'never announced');
  });
});
