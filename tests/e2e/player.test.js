// The secure recording player (/demo/player.html) in Debian's Chromium: it
// lists the demo account's recordings, gets a demo token, calls /sec_rec,
// plays the media_url in an <audio> element and seeks (HTTP ranges through
// the decrypting /media route).  Never downloads a browser.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, cliJson, basic, REPO_ROOT, waitCredentials } from '../api/lib/server.js';
import { CHROMIUM, ARTIFACTS, skipReason } from './lib/e2e.js';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required'];

/** A 16 kHz mono 16-bit WAV of `seconds` of a 440 Hz tone. */
function wav(seconds) {
  const rate = 16000, n = rate * seconds, b = Buffer.alloc(44 + 2 * n);
  b.write('RIFF', 0); b.writeUInt32LE(36 + 2 * n, 4); b.write('WAVE', 8); b.write('fmt ', 12);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34); b.write('data', 36);
  b.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + 2 * i);
  return b;
}

describe('secure recording player', { skip: skipReason }, () => {
  let srv, browser, rec;
  before(async () => {
    let demo;
    srv = await startServer({
      args: ['--demo', '--web', path.join(REPO_ROOT, 'web')],
      beforeServe: (cli) => {
        demo = cliJson(cli(['demo', 'init']));
        cliJson(cli(['keys', 'generate-recording-keypair']));
      },
    });
    srv.demo = demo;
    await waitCredentials(srv, demo.account_sid, demo.auth_token);
    const auth = basic(demo.account_sid, demo.auth_token);
    const up = await srv.request('POST', '/v1/Recordings', { auth, body: wav(10), headers: { 'Content-Type': 'audio/wav' },
      query: { AllowedIdentities: 'alice' } });
    assert.equal(up.status, 201, up.text);
    rec = up.json;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  });
  after(async () => {
    try {
      await browser?.close();
    } finally {
      if (srv) assert.equal(await srv.stop(), 0, 'server exit code');
    }
  });

  it('lists, authorizes, plays and seeks', async () => {
    const page = await browser.newPage();
    const seen = [];
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/sec_rec' || u.pathname.startsWith('/media/')) seen.push({ path: u.pathname, status: r.status() });
    });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${srv.url}/demo/player.html`);
    await page.click(`tr[data-sid="${rec.sid}"]`);
    assert.equal(await page.inputValue('#sid'), rec.sid);
    await page.fill('#identity', 'alice');
    await page.click('#mint');
    await page.waitForFunction(() => document.querySelector('#token').value.split('.').length === 3);
    await page.click('#go');
    await page.waitForSelector('#media');
    await page.waitForFunction(() => { const m = document.querySelector('#media'); return m.readyState >= 1 && m.duration > 9; }, null, { timeout: 15000 });
    const duration = await page.$eval('#media', (m) => m.duration);
    assert.ok(Math.abs(duration - 10) < 0.2, `duration ${duration}`);
    await page.waitForFunction(() => document.querySelector('#media').currentTime > 0.2, null, { timeout: 15000 });
    // seek near the end: the element fetches a later range
    await page.$eval('#media', (m) => new Promise((resolve) => { m.addEventListener('seeked', resolve, { once: true }); m.currentTime = 7.5; }));
    await page.waitForFunction(() => document.querySelector('#media').currentTime > 7.6, null, { timeout: 15000 });
    const state = await page.$eval('#media', (m) => ({ error: m.error && m.error.code, t: m.currentTime }));
    assert.equal(state.error, null);
    assert.ok(state.t > 7.5);
    assert.match(await page.textContent('#status'), /Granted/);
    assert.ok(seen.some((s) => s.path === '/sec_rec' && s.status === 200), JSON.stringify(seen));
    assert.ok(seen.some((s) => s.path === `/media/${rec.sid}` && (s.status === 206 || s.status === 200)), JSON.stringify(seen));
    assert.deepEqual(errors, []);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'player.png'), fullPage: true });
    // the audit log saw the grant and the fetches
    const log = await srv.request('GET', `/v1/Recordings/${rec.sid}/AccessLog`, { auth: basic(srv.demo.account_sid, srv.demo.auth_token) });
    const actions = log.json.access_log.map((r) => `${r.action}:${r.outcome}`);
    assert.ok(actions.includes('sec_rec:granted') && actions.includes('media:served'), actions.join(' '));
  });

  it('shows a refusal for an identity that may not play', async () => {
    const page = await browser.newPage();
    await page.goto(`${srv.url}/demo/player.html?sid=${rec.sid}`);
    await page.fill('#identity', 'mallory');
    await page.click('#mint');
    await page.waitForFunction(() => document.querySelector('#token').value.split('.').length === 3);
    await page.click('#go');
    await page.waitForFunction(() => /Refused: 403/.test(document.querySelector('#status').textContent));
    assert.equal(await page.$('#media'), null);
  });

  it('a refusal after a grant ends the countdown of the earlier link (issue 17)', async () => {
    const page = await browser.newPage();
    await page.clock.install(); // the page's timers run only when told to
    await page.goto(`${srv.url}/demo/player.html?sid=${rec.sid}`);
    await page.fill('#identity', 'alice');
    await page.click('#mint');
    await page.waitForFunction(() => document.querySelector('#token').value.split('.').length === 3);
    await page.click('#go');
    await page.waitForFunction(() => /Granted/.test(document.querySelector('#status').textContent));
    assert.match(await page.textContent('#expiry'), /link valid \d+s more/);
    await page.fill('#identity', 'mallory');
    await page.click('#mint');
    await page.waitForFunction(() => JSON.parse(atob(document.querySelector('#token').value.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).grants.identity === 'mallory');
    await page.click('#go');
    await page.waitForFunction(() => /Refused: 403/.test(document.querySelector('#status').textContent));
    assert.equal(await page.textContent('#expiry'), '', 'no stale "link valid" next to the refusal');
    // and it stays empty: the interval was stopped, not just overwritten once
    await page.clock.runFor(3000);
    assert.equal(await page.textContent('#expiry'), '');
  });
});
