// Issue 15 in a browser: two roomgate nodes on one throw-away PostgreSQL
// (scripts/pg.sh) and one throw-away redis-server (tests/api/lib/redis.js),
// each serving the demo pages; one Chromium page on node A and one on node
// B join the same room, their offers, answers and candidates relayed
// between the nodes through Redis, connect peer to peer and play each
// other's video.  Then the same with Twilio's twilio-video.js on GET
// /signaling, one page per node.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, skipReason, waitInCall, waitConnected, waitRemoteVideo, remoteIdentities, artifact } from './lib/e2e.js';
import { startServer, cliJson, REPO_ROOT } from '../api/lib/server.js';
import { startRedis } from '../api/lib/redis.js';
import { readiness, until } from '../api/lib/multinode.js';
import { twilioToken } from '../api/lib/jwt.js';

const PG_SH = path.join(REPO_ROOT, 'scripts/pg.sh');
const DIST = path.join(REPO_ROOT, 'tests/node_modules/twilio-video/dist');

describe('a call across two nodes on PostgreSQL and Redis', { skip: skipReason }, () => {
  let pgDir;
  let redis;
  let a;
  let b;
  let demo;
  let browser;
  const pages = [];

  before(async () => {
    const out = execFileSync('bash', [PG_SH, 'start'], { encoding: 'utf8', timeout: 120000 });
    pgDir = /RG_TEST_PG_DIR='([^']+)'/.exec(out)[1];
    const port = /port=(\d+)/.exec(out)[1];
    redis = await startRedis();
    const env = {
      ROOMGATE_DB: `postgres://roomgate@127.0.0.1:${port}/postgres?connect_timeout=5`,
      ROOMGATE_MASTER_KEY: randomBytes(32).toString('hex'), // one key for the cluster
    };
    const args = ['--access-log', 'off', '--redis', redis.url, '--demo', '--web', path.join(REPO_ROOT, 'web'),
      '--twilio-video', DIST];
    a = await startServer({
      env, args, beforeServe: (cli) => {
        demo = cliJson(cli(['demo', 'init']));
        cli(['room', 'create', '--account', demo.account_sid, '--name', 'mn-go', '--type', 'go']);
      },
    });
    // node B serves the same demo account: A's demo.json, in a data dir of
    // its own (which the server owns and removes on stop)
    const dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-e2e-node-b-'));
    fs.copyFileSync(path.join(a.dataDir, 'demo.json'), path.join(dirB, 'demo.json'));
    b = await startServer({ env, args, dataDir: dirB, account: a.account, key: a.key });
    for (const s of [a, b]) await until(async () => (await readiness(s)) === 'ready', `${s.url} ready`);
    browser = await launchBrowser();
  });

  after(async () => {
    try {
      for (const p of pages) await p.close().catch(() => {});
      if (browser) await browser.close();
    } finally {
      const codes = [];
      for (const s of [b, a]) if (s) codes.push(await s.stop());
      if (redis) await redis.close();
      if (pgDir) execFileSync('bash', [PG_SH, 'stop', pgDir], { timeout: 120000 });
      assert.deepEqual(codes, [0, 0], 'server exit codes');
    }
  });

  async function newPage(srv, url) {
    const page = await browser.context.newPage();
    pages.push(page);
    page.on('pageerror', (e) => { page.errors = [...(page.errors || []), String(e)]; });
    // only the front page gets animation frames, which clicks wait for
    for (const name of ['click']) {
      const orig = page[name].bind(page);
      page[name] = async (...x) => { await page.bringToFront(); return orig(...x); };
    }
    await page.goto(`${srv.url}${url}`);
    return page;
  }

  /** A demo page on srv that has filled the form and clicked Join. */
  async function demoJoin(srv, identity, room) {
    const page = await newPage(srv, '/demo/');
    await page.fill('#identity', identity);
    await page.fill('#room', room);
    await page.click('#join-btn');
    return page;
  }

  it('roomgate SDK: a page on node A and one on node B connect peer to peer and play each other\'s video', async () => {
    const alice = await demoJoin(a, 'alice', 'mn-go');
    await waitInCall(alice);
    const bob = await demoJoin(b, 'bob', 'mn-go');
    await waitInCall(bob);
    await Promise.all([waitConnected(alice, 1), waitConnected(bob, 1)]);
    const [va, vb] = await Promise.all([waitRemoteVideo(alice, 'bob'), waitRemoteVideo(bob, 'alice')]);
    assert.ok(va.width > 0 && vb.width > 0, 'remote video has frames');
    assert.deepEqual(await remoteIdentities(alice), ['bob']);
    assert.deepEqual(await remoteIdentities(bob), ['alice']);
    // both pages are in one room (one sid), each through its own node
    const sids = await Promise.all([alice, bob].map((p) => p.evaluate(() => window.roomgateDemo.room.sid)));
    assert.match(sids[0], /^RM[0-9a-f]{32}$/);
    assert.equal(sids[0], sids[1]);
    assert.notEqual(a.url, b.url);
    // the go room's capacity holds across nodes: a third page on B is refused
    const carol = await demoJoin(b, 'carol', 'mn-go');
    await carol.waitForFunction(() => document.getElementById('banner').dataset.code === '53105', null, { timeout: 20000, polling: 50 });
    await alice.screenshot({ path: artifact('multinode-alice.png') });
    // leaving on B is heard on A
    await bob.click('#leave-btn');
    await alice.waitForFunction(() => window.roomgateDemo.room.participants.size === 0, null, { timeout: 20000, polling: 50 });
    assert.deepEqual(alice.errors || [], []);
    assert.deepEqual(bob.errors || [], []);
  });

  it('twilio-video.js: a page on node A and one on node B see and play each other', async () => {
    const token = (identity, room) => twilioToken({
      keySid: demo.key_sid, secret: demo.key_secret, accountSid: demo.account_sid, identity, room,
    });
    async function open(srv, identity, room) {
      const page = await newPage(srv, '/examples/twilio-video/');
      await page.fill('#identity', identity);
      await page.fill('#room', room);
      await page.fill('#token', token(identity, room));
      await page.click('#join-btn');
      await page.waitForFunction(() => window.twApp.room?.state === 'connected', null, { timeout: 20000, polling: 50 });
      return page;
    }
    async function playsVideo(page, identity) {
      const sel = `.tile[data-identity="${identity}"] video`;
      await page.waitForFunction((s) => { const v = document.querySelector(s); return v && v.videoWidth > 0 && v.currentTime > 0; },
        sel, { timeout: 20000, polling: 100 });
      const t0 = await page.$eval(sel, (v) => v.currentTime);
      await page.waitForFunction(({ s, t }) => document.querySelector(s).currentTime > t + 0.2, { s: sel, t: t0 }, { timeout: 20000, polling: 100 });
      return page.$eval(sel, (v) => v.videoWidth);
    }
    const remotes = (page) => page.evaluate(() => [...window.twApp.room.participants.values()].map((p) => p.identity).sort());
    const erin = await open(a, 'erin', 'mn-tw');
    const frank = await open(b, 'frank', 'mn-tw');
    await frank.waitForFunction(() => window.twApp.room.participants.size === 1, null, { timeout: 20000, polling: 50 });
    assert.deepEqual(await remotes(frank), ['erin']);
    await erin.waitForFunction(() => window.twApp.room.participants.size === 1, null, { timeout: 20000, polling: 50 });
    assert.deepEqual(await remotes(erin), ['frank']);
    assert.ok(await playsVideo(erin, 'frank') > 0);
    assert.ok(await playsVideo(frank, 'erin') > 0);
    const sids = await Promise.all([erin, frank].map((p) => p.evaluate(() => window.twApp.room.sid)));
    assert.equal(sids[0], sids[1]);
    // leaving on A is heard on B
    await erin.evaluate(() => window.twApp.room.disconnect());
    await frank.waitForFunction(() => window.twApp.room.participants.size === 0, null, { timeout: 20000, polling: 50 });
    assert.deepEqual(erin.errors || [], []);
    assert.deepEqual(frank.errors || [], []);
  });
});
