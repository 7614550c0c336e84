// Issue 10 "Also": `serve` finds its static files (web/sdk, web/demo) next
// to the executable, not in the current directory; --web and ROOMGATE_WEB
// still name them; without any, it says where it looked and serves the API.
// This file runs from another directory than the repository (process.chdir:
// node --test gives each file its own process).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, BIN, REPO_ROOT, UNDER_VALGRIND } from './lib/server.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-web-'));
before(() => process.chdir(tmp));
after(() => { process.chdir(REPO_ROOT); fs.rmSync(tmp, { recursive: true, force: true }); });

const demoInit = (cli) => { cli(['demo', 'init']); };
const get = (srv, p) => srv.request('GET', p);

/** The plain executable (under valgrind BIN is a wrapper script that finds it by its own path). */
const PLAIN = UNDER_VALGRIND ? path.join(REPO_ROOT, 'build/roomgate') : BIN;

/** A copy of the executable at dir/bin/roomgate. */
function copyBinary(dir) {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  const to = path.join(dir, 'bin', 'roomgate');
  fs.copyFileSync(PLAIN, to);
  fs.chmodSync(to, 0o755);
  return to;
}

describe('static files found from the executable', () => {
  it('run from another directory with --demo: /demo/ and /sdk/ are served', async () => {
    assert.equal(process.cwd(), fs.realpathSync(tmp));
    assert.ok(!fs.existsSync(path.join(tmp, 'web')), 'no ./web here');
    const srv = await startServer({ args: ['--demo', '--access-log', 'off'], beforeServe: demoInit });
    try {
      const page = await get(srv, '/demo/');
      assert.equal(page.status, 200, page.text);
      assert.equal(page.text, fs.readFileSync(path.join(REPO_ROOT, 'web/demo/index.html'), 'utf8'));
      assert.match(page.headers.get('content-type'), /^text\/html\b/);
      // both directories type their files from the host's one MIME map
      const sdk = await get(srv, '/sdk/roomgate.js');
      assert.equal(sdk.status, 200);
      assert.match(sdk.headers.get('content-type'), /^(application|text)\/javascript\b/);
      const root = await get(srv, '/');
      assert.equal(root.status, 302);
      assert.equal(root.headers.get('location'), '/demo/');
      assert.doesNotMatch(srv.stderr(), /no static files/);
    } finally {
      await srv.stop();
    }
  });

  it('an installed layout: <prefix>/bin/roomgate serves <prefix>/share/roomgate/web', async () => {
    const prefix = path.join(tmp, 'prefix');
    const bin = copyBinary(prefix);
    fs.cpSync(path.join(REPO_ROOT, 'web'), path.join(prefix, 'share/roomgate/web'), { recursive: true });
    const srv = await startServer({ bin, args: ['--demo', '--access-log', 'off'], beforeServe: demoInit });
    try {
      assert.equal((await get(srv, '/demo/tokens.html')).status, 200);
      assert.equal((await get(srv, '/sdk/roomgate.js')).status, 200);
    } finally {
      await srv.stop();
    }
  });

  it('none found: stderr says where it looked, the API is served, /demo/ is 404', async () => {
    const lone = path.join(tmp, 'lone');
    const bin = copyBinary(lone);
    const srv = await startServer({ bin, args: ['--demo', '--access-log', 'off'], beforeServe: demoInit });
    try {
      assert.equal((await get(srv, '/healthz')).status, 200);
      assert.equal((await get(srv, '/demo/')).status, 404);
      assert.equal((await get(srv, '/')).status, 200, 'the small page, not a redirect to missing pages');
      const minted = await get(srv, '/token?identity=alice&room=r');
      assert.equal(minted.status, 200, minted.text);
      const msg = srv.stderr().split('\n').find((l) => l.includes('no static files'));
      assert.ok(msg, srv.stderr());
      for (const p of [path.join(lone, 'web'), path.join(lone, 'share/roomgate/web'), path.join(tmp, 'web')]) {
        assert.ok(msg.includes(p), `names ${p}: ${msg}`);
      }
      assert.match(msg, /--web DIR or ROOMGATE_WEB/);
    } finally {
      await srv.stop();
    }
  });

  it('ROOMGATE_WEB and --web override, --web first; a directory without sdk/ or demo/ is reported', async () => {
    const mk = (name, text) => {
      const d = path.join(tmp, name);
      fs.mkdirSync(path.join(d, 'demo'), { recursive: true });
      fs.writeFileSync(path.join(d, 'demo/index.html'), text);
      return d;
    };
    const envDir = mk('env-web', 'from ROOMGATE_WEB\n');
    const optDir = mk('opt-web', 'from --web\n');
    let srv = await startServer({ env: { ROOMGATE_WEB: envDir }, args: ['--demo', '--access-log', 'off'], beforeServe: demoInit });
    try {
      assert.equal((await get(srv, '/demo/')).text, 'from ROOMGATE_WEB\n');
      assert.equal((await get(srv, '/sdk/roomgate.js')).status, 404, 'only what that directory holds');
    } finally {
      await srv.stop();
    }
    srv = await startServer({ env: { ROOMGATE_WEB: envDir }, args: ['--demo', '--web', optDir, '--access-log', 'off'], beforeServe: demoInit });
    try {
      assert.equal((await get(srv, '/demo/')).text, 'from --web\n');
    } finally {
      await srv.stop();
    }
    const empty = path.join(tmp, 'empty-web');
    fs.mkdirSync(empty);
    srv = await startServer({ args: ['--demo', '--web', empty, '--access-log', 'off'], beforeServe: demoInit });
    try {
      assert.equal((await get(srv, '/healthz')).status, 200);
      assert.equal((await get(srv, '/demo/')).status, 404);
      assert.match(srv.stderr(), new RegExp(`--web ${empty.replace(/[.]/g, '\\.')} holds neither sdk/ nor demo/`));
    } finally {
      await srv.stop();
    }
  });
});
