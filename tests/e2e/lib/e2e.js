// Browser e2e harness: a roomgate server in demo mode (tests/api/lib/server.js)
// and Debian's Chromium driven by playwright-core, with fake camera and
// microphone.  Never downloads a browser: CHROMIUM (default /usr/bin/chromium)
// must exist, else the suites skip with the reason.
//
//   const env = await startE2E();              // server + browser
//   const alice = await env.join({ identity: 'alice', room: 'r1' });
//   await waitConnected(alice, 1);
//   await env.stop();
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, cliJson, REPO_ROOT } from '../../api/lib/server.js';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(REPO_ROOT, 'tests/e2e/artifacts');
export const skipReason = fs.existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (apt-get install chromium)`;

const ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
];

/** A Chromium with a fresh profile; close() removes the profile. */
export async function launchBrowser() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
    permissions: ['camera', 'microphone'],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Server (--demo, demo account) + browser.  rooms: [{name, type}] created up front. */
export async function startE2E({ args = [], rooms = [] } = {}) {
  let demo;
  const srv = await startServer({
    args: ['--demo', '--web', path.join(REPO_ROOT, 'web'), ...args],
    beforeServe: (cli) => {
      demo = cliJson(cli(['demo', 'init']));
      for (const r of rooms) cli(['room', 'create', '--account', demo.account_sid, '--name', r.name, '--type', r.type]);
    },
  });
  let browser;
  try {
    browser = await launchBrowser();
  } catch (e) {
    await srv.stop().catch((se) => { e.message += `\n${se.message}`; });
    throw e;
  }
  const pages = new Set();
  const env = {
    srv,
    demo,
    browser,
    /** A page on /demo/ that has filled the form and clicked Join. */
    async join({ identity, room, role = 'twilio', audio = true, video = true }) {
      const page = await browser.context.newPage();
      pages.add(page);
      page.on('pageerror', (e) => { page.errors = [...(page.errors || []), String(e)]; });
      // Only the front page gets animation frames, and Playwright's
      // actionability checks wait for them: acting on a page in the back
      // costs seconds.  Bring it to front first.
      for (const name of ['click', 'hover']) {
        const orig = page[name].bind(page);
        page[name] = async (...a) => { await page.bringToFront(); return orig(...a); };
      }
      await page.goto(`${srv.url}/demo/`);
      await page.fill('#identity', identity);
      await page.fill('#room', room);
      await page.selectOption('#role', role);
      if (!audio) await page.uncheck('#use-audio');
      if (!video) await page.uncheck('#use-video');
      await page.click('#join-btn');
      return page;
    },
    /** Closes the browser, then stops the server: resolves to its exit
     *  code 0, rejects on any other exit or a sanitizer report (server.js). */
    async stop() {
      try {
        for (const p of pages) await p.close().catch(() => {});
        await browser.close();
      } finally {
        await srv.stop();
      }
      return srv.stop();
    },
  };
  return env;
}

/** Waits until the page is in the call (the local tile is up). */
export async function waitInCall(page, timeout = 15000) {
  await page.waitForFunction(() => window.roomgateDemo?.room?.state === 'connected', null, { timeout, polling: 50 });
}

/** Waits until the page has n remote peers whose RTCPeerConnection is connected. */
export async function waitConnected(page, n, timeout = 20000) {
  await page.waitForFunction(
    (want) => {
      const room = window.roomgateDemo?.room;
      if (!room) return false;
      const ok = [...room.participants.values()].filter((p) => p.pc?.connectionState === 'connected');
      return ok.length >= want;
    },
    n,
    { timeout, polling: 50 },
  );
}

/** Waits until the remote tile of `identity` plays video: frames with a size, time advancing. */
export async function waitRemoteVideo(page, identity, timeout = 20000) {
  const sel = `.tile[data-identity="${identity}"] video`;
  await page.waitForFunction(
    (s) => { const v = document.querySelector(s); return v && v.videoWidth > 0 && v.currentTime > 0; },
    sel,
    { timeout, polling: 50 },
  );
  const t0 = await page.$eval(sel, (v) => v.currentTime);
  await page.waitForFunction(
    ({ s, t }) => document.querySelector(s).currentTime > t + 0.2,
    { s: sel, t: t0 },
    { timeout, polling: 50 },
  );
  return page.$eval(sel, (v) => ({ width: v.videoWidth, height: v.videoHeight, time: v.currentTime }));
}

/** The error banner's code once it shows one. */
export async function waitErrorCode(page, timeout = 15000) {
  await page.waitForFunction(() => {
    const b = document.getElementById('banner');
    return b.classList.contains('error') && b.dataset.code !== '';
  }, null, { timeout, polling: 50 });
  return page.$eval('#banner', (b) => ({ code: Number(b.dataset.code), text: b.textContent }));
}

/** Identities of the remote participants the page knows. */
export function remoteIdentities(page) {
  return page.evaluate(() => [...(window.roomgateDemo?.room?.participants.values() || [])].map((p) => p.identity).sort());
}

export function artifact(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}
