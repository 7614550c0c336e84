// The demo pages as a newcomer meets them (issue 17): every page links to
// the others and loads without a failed request (no /favicon.ico 404); the
// call page says what its encryption is; the token inspector decodes a
// pasted Twilio or VideoSDK token and validates both.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, skipReason, artifact } from './lib/e2e.js';

const PAGES = ['/demo/', '/demo/tokens.html', '/demo/player.html'];

describe('demo pages', { skip: skipReason }, () => {
  let env;
  before(async () => { env = await startE2E(); });
  after(async () => { if (env) assert.equal(await env.stop(), 0, 'server exit code'); });

  /** A page loaded with every failed response and page error recorded. */
  async function open(p) {
    const page = await env.browser.context.newPage();
    const failed = [];
    page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`); });
    page.on('requestfailed', (r) => failed.push(`failed ${new URL(r.url()).pathname}`));
    page.on('pageerror', (e) => failed.push(`pageerror ${e}`));
    await page.goto(env.srv.url + p, { waitUntil: 'load' });
    return { page, failed };
  }

  it('GET / leads to the demo pages', async () => {
    const { page, failed } = await open('/');
    assert.equal(new URL(page.url()).pathname, '/demo/');
    assert.deepEqual(failed, []);
    await page.close();
  });

  for (const p of PAGES) {
    it(`${p} links to the other pages, has an icon, and loads without a failed request`, async () => {
      const { page, failed } = await open(p);
      const links = await page.$$eval('a[href]', (as) => as.map((a) => new URL(a.href).pathname));
      for (const other of PAGES.filter((o) => o !== p)) assert.ok(links.includes(other), `${p} links to ${other}: ${links}`);
      const icon = await page.$eval('link[rel="icon"]', (l) => l.href);
      const res = await env.srv.request('GET', new URL(icon).pathname);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^image\/svg\+xml/);
      // the list of the player and the icon have loaded: wait for the network to settle
      await page.waitForLoadState('networkidle');
      assert.deepEqual(failed, [], `failed requests on ${p}`);
      await page.close();
    });
  }

  it('the call page says what its encryption covers, not "end-to-end"', async () => {
    const { page } = await open('/demo/');
    const info = await page.textContent('#room-info');
    assert.doesNotMatch(info, /end-to-end/i);
    assert.match(info, /DTLS-SRTP/);
    assert.match(await page.getAttribute('#room-info', 'title'), /roomgate sees only the signaling/);
    await page.close();
  });

  it('the token inspector decodes a pasted Twilio token and validates it', async () => {
    const minted = await env.srv.request('GET', '/token', { query: { identity: 'paste-me', room: 'r-9' } });
    assert.equal(minted.status, 200, minted.text);
    const { page, failed } = await open('/demo/tokens.html');
    await page.fill('#token', minted.json.token);
    await page.waitForFunction(() => /Twilio Video token/.test(document.querySelector('#status').textContent));
    const rows = await page.$$eval('#summary tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent])));
    assert.equal(rows.Format, 'Twilio Video');
    assert.equal(rows.Identity, 'paste-me');
    assert.equal(rows.Room, 'r-9');
    assert.equal(rows['Account (sub)'], env.demo.account_sid);
    assert.match(rows.Expires, /^\d{4}-\d\d-\d\dT.*\(in \d+ s\)$/);
    await page.click('#validate');
    await page.waitForFunction(() => /^Valid$/.test(document.querySelector('#status').textContent));
    const verdict = JSON.parse(await page.textContent('#validation'));
    assert.equal(verdict.valid, true);
    assert.equal(verdict.identity, 'paste-me');
    await page.screenshot({ path: artifact('tokens-twilio.png'), fullPage: true });
    assert.deepEqual(failed, []);
    await page.close();
  });

  it('the token inspector decodes a pasted VideoSDK token and validates it', async () => {
    const minted = await env.srv.request('GET', '/get-token', { query: { permissions: 'ask_join', roomId: 'lobby-1', participantId: 'guest-7' } });
    assert.equal(minted.status, 200, minted.text);
    const { page } = await open('/demo/tokens.html');
    await page.fill('#token', minted.json.token);
    await page.waitForFunction(() => /VideoSDK token/.test(document.querySelector('#status').textContent));
    const rows = await page.$$eval('#summary tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent])));
    assert.equal(rows.Format, 'VideoSDK');
    assert.equal(rows.Participant, 'guest-7');
    assert.equal(rows.Room, 'lobby-1');
    assert.equal(rows.Permissions, 'ask_join');
    assert.equal(rows['Key (apikey)'], env.demo.key_sid);
    await page.click('#validate');
    await page.waitForFunction(() => /^Valid$/.test(document.querySelector('#status').textContent));
    assert.equal(JSON.parse(await page.textContent('#validation')).valid, true);
    await page.screenshot({ path: artifact('tokens-videosdk.png'), fullPage: true });
    await page.close();
  });

  it('the token inspector says why a pasted text is not a token, and a tampered one is not valid', async () => {
    const { page } = await open('/demo/tokens.html');
    await page.fill('#token', 'hello world');
    await page.waitForFunction(() => /not a JWT/.test(document.querySelector('#status').textContent));
    assert.equal(await page.$$eval('#summary tr', (t) => t.length), 0);
    const minted = await env.srv.request('GET', '/token', { query: { identity: 'alice' } });
    const [h, p, s] = minted.json.token.split('.');
    const forged = Buffer.from(p, 'base64url').toString().replace('"alice"', '"admin"');
    await page.fill('#token', [h, Buffer.from(forged).toString('base64url'), s].join('.'));
    await page.waitForFunction(() => /Twilio Video token/.test(document.querySelector('#status').textContent));
    await page.click('#validate');
    await page.waitForFunction(() => /^Not valid \(code 20107\)/.test(document.querySelector('#status').textContent));
    await page.close();
  });

  it('the mint form fills the inspector, in both formats', async () => {
    const { page } = await open('/demo/tokens.html');
    await page.fill('#identity', 'bob');
    await page.selectOption('#kind', 'videosdk');
    await page.click('#mint button[type=submit]');
    await page.waitForFunction(() => /VideoSDK token/.test(document.querySelector('#status').textContent));
    await page.selectOption('#kind', 'twilio');
    await page.click('#mint button[type=submit]');
    await page.waitForFunction(() => /Twilio Video token/.test(document.querySelector('#status').textContent));
    await page.close();
  });
});
