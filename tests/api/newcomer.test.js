// Issue 17, a newcomer's first hour: `roomgate demo init` repairs a demo
// account whose key was deleted (and refuses, exit 1, when it cannot),
// `roomgate routes --help` prints help, and GET / answers a page or a
// redirect to the demo pages instead of a JSON 404.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, startServer, runCli, cliJson, basic } from './lib/server.js';
import { startRecServer, upload } from './lib/rec.js';

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-newcomer-'));

describe('roomgate demo init', () => {
  it('replaces a deleted demo key, rewrites demo.json (0600) and the new key works', () => {
    const d = tmpDir();
    try {
      const first = cliJson(runCli(d, ['demo', 'init']));
      runCli(d, ['key', 'delete', first.key_sid]);
      const r = spawnSync(BIN, ['demo', 'init', '--data', d], { encoding: 'utf8', timeout: 20000 });
      assert.equal(r.status, 0, r.stderr);
      const second = cliJson(r.stdout);
      assert.equal(second.account_sid, first.account_sid, 'same account');
      assert.equal(second.auth_token, first.auth_token, 'same auth token');
      assert.notEqual(second.key_sid, first.key_sid, 'a new key');
      assert.match(second.key_sid, /^SK[0-9a-f]{32}$/);
      assert.match(r.stderr, /no longer works/);
      const file = path.join(d, 'demo.json');
      assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), second, 'demo.json is what was printed');
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.ok(!fs.existsSync(file + '.tmp'), 'no temporary file left');
      const keys = runCli(d, ['key', 'list', '--account', second.account_sid]);
      assert.ok(keys.includes(second.key_sid), 'the new key is listed');
      assert.ok(!keys.includes(first.key_sid), 'the deleted one is not');
      // a third run changes nothing
      assert.deepEqual(cliJson(runCli(d, ['demo', 'init'])), second);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('a key secret that does not match is replaced too', () => {
    const d = tmpDir();
    try {
      const first = cliJson(runCli(d, ['demo', 'init']));
      const file = path.join(d, 'demo.json');
      fs.writeFileSync(file, JSON.stringify({ ...first, key_secret: 'x'.repeat(32) }), { mode: 0o600 });
      const second = cliJson(runCli(d, ['demo', 'init']));
      assert.notEqual(second.key_sid, first.key_sid);
      assert.equal(second.account_sid, first.account_sid);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('an auth token that does not match is an error (exit 1), not a reprint', () => {
    const d = tmpDir();
    try {
      const first = cliJson(runCli(d, ['demo', 'init']));
      const file = path.join(d, 'demo.json');
      const bad = { ...first, auth_token: '0'.repeat(32) };
      fs.writeFileSync(file, JSON.stringify(bad), { mode: 0o600 });
      const r = spawnSync(BIN, ['demo', 'init', '--data', d], { encoding: 'utf8', timeout: 20000 });
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '', 'nothing printed');
      assert.match(r.stderr, /auth token does not match/);
      assert.ok(!r.stderr.includes(first.auth_token) && !r.stderr.includes(first.key_secret), 'no secret on stderr');
      assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), bad, 'demo.json untouched');
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('an unreadable demo.json is an error (exit 1)', () => {
    const d = tmpDir();
    try {
      runCli(d, ['demo', 'init']);
      fs.writeFileSync(path.join(d, 'demo.json'), '{"account_sid": 1}', { mode: 0o600 });
      const r = spawnSync(BIN, ['demo', 'init', '--data', d], { encoding: 'utf8', timeout: 20000 });
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '');
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('demo init repairs the demo while serve --demo runs', () => {
  let srv;
  let demo;
  before(async () => {
    srv = await startServer({ args: ['--demo'], beforeServe: (cli) => { demo = cliJson(cli(['demo', 'init'])); } });
  });
  after(async () => { assert.equal(await srv.stop(), 0); });

  it('after the demo key is deleted over REST, the repaired key mints tokens', async () => {
    const acAuth = basic(demo.account_sid, demo.auth_token);
    const del = await srv.request('DELETE', `/2010-04-01/Accounts/${demo.account_sid}/Keys/${demo.key_sid}.json`, { auth: acAuth });
    assert.equal(del.status, 204);
    const broken = await srv.request('GET', '/token', { query: { identity: 'a' }, auth: basic(demo.key_sid, demo.key_secret) });
    assert.equal(broken.status, 401);
    const fixed = cliJson(srv.cli(['demo', 'init']));
    const auth = basic(fixed.key_sid, fixed.key_secret);
    // the server sees the CLI's key within 100 ms: poll with a deadline
    const deadline = Date.now() + 5000;
    let res;
    do {
      res = await srv.request('GET', '/token', { query: { identity: 'a' }, auth });
    } while (res.status !== 200 && Date.now() < deadline && await new Promise((r) => setTimeout(r, 20, true)));
    assert.equal(res.status, 200, res.text);
    const payload = JSON.parse(Buffer.from(res.json.token.split('.')[1], 'base64url'));
    assert.equal(payload.iss, fixed.key_sid);
    // the anonymous demo token is signed with the account's newest key: the new one
    const anon = await srv.request('GET', '/token', { query: { identity: 'b', room: 'r' } });
    assert.equal(anon.status, 200, anon.text);
  });
});

describe('roomgate routes --help', () => {
  it('prints help on stdout and exits 0, not the routes', () => {
    const r = spawnSync(BIN, ['routes', '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^usage: roomgate routes/);
    assert.doesNotMatch(r.stdout, /^GET \/healthz$/m);
  });
  it('an unknown argument is a usage error (exit 2)', () => {
    const r = spawnSync(BIN, ['routes', '--bogus'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /usage: roomgate routes/);
  });
  it('without arguments prints the routes', () => {
    const r = spawnSync(BIN, ['routes'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^GET \/healthz$/m);
  });
});

describe('GET /', () => {
  it('without --demo: a small HTML page with links to /healthz and the demo pages', async () => {
    const srv = await startServer();
    try {
      const res = await srv.request('GET', '/');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^text\/html/);
      assert.match(res.text, /<h1>roomgate<\/h1>/);
      assert.match(res.text, /href="\/healthz"/);
      assert.match(res.text, /\/demo\//);
      const head = await srv.request('HEAD', '/');
      assert.equal(head.status, 200);
      const post = await srv.request('POST', '/');
      assert.equal(post.status, 405);
      assert.equal(post.json.code, 20004);
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });
  it('with --demo: a redirect to /demo/, which serves the call page', async () => {
    const srv = await startServer({ args: ['--demo'], beforeServe: (cli) => cli(['demo', 'init']) });
    try {
      const res = await srv.request('GET', '/');
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), '/demo/');
      const page = await srv.request('GET', '/demo/');
      assert.equal(page.status, 200);
      assert.match(page.text, /<html/i);
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });
});

describe('recordings: PageSize bound and absolute urls', () => {
  let srv;
  before(async () => { srv = await startRecServer(); });
  after(async () => { assert.equal(await srv.stop(), 0); });

  it('GET /v1/Recordings: PageSize 100 is served, 101 is a 400 naming the bound (not silently capped)', async () => {
    const ok = await srv.request('GET', '/v1/Recordings', { auth: srv.accountAuth, query: { PageSize: 100 } });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.meta.page_size, 100);
    const over = await srv.request('GET', '/v1/Recordings', { auth: srv.accountAuth, query: { PageSize: 101 } });
    assert.equal(over.status, 400);
    assert.equal(over.json.code, 21603);
    assert.match(over.json.message, /PageSize: expected an integer from 1 to 100$/);
    const dflt = await srv.request('GET', '/v1/Recordings', { auth: srv.accountAuth });
    assert.equal(dflt.json.meta.page_size, 50);
  });

  it('AccessLog takes PageSize up to 1000, as documented', async () => {
    const up = await upload(srv, Buffer.from('RIFF....WAVE'), { contentType: 'audio/wav' });
    assert.equal(up.status, 201);
    const ok = await srv.request('GET', `/v1/Recordings/${up.json.sid}/AccessLog`, { auth: srv.accountAuth, query: { PageSize: 1000 } });
    assert.equal(ok.status, 200);
    const over = await srv.request('GET', `/v1/Recordings/${up.json.sid}/AccessLog`, { auth: srv.accountAuth, query: { PageSize: 1001 } });
    assert.equal(over.status, 400);
    assert.match(over.json.message, /from 1 to 1000$/);
  });

  it("a recording's url and links are absolute, as a room's", async () => {
    const up = await upload(srv, Buffer.from('OggS'), { contentType: 'audio/ogg' });
    assert.equal(up.status, 201);
    assert.equal(up.json.url, `${srv.url}/v1/Recordings/${up.json.sid}`);
    assert.equal(up.json.links.access_log, `${srv.url}/v1/Recordings/${up.json.sid}/AccessLog`);
    const got = await srv.request('GET', up.json.url, { auth: srv.accountAuth });
    assert.equal(got.status, 200);
    assert.equal(got.json.sid, up.json.sid);
    const log = await srv.request('GET', up.json.links.access_log, { auth: srv.accountAuth });
    assert.equal(log.status, 200);
  });
});
