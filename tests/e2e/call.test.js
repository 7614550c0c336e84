// A 1:1 call through the demo page: two Chromium pages with fake media
// join a `go` room and see each other peer to peer; a third is refused
// (53105); the same identity again replaces the old page (53205); a page
// that dies is reported as left.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startE2E, skipReason, waitInCall, waitConnected, waitRemoteVideo, waitErrorCode,
  remoteIdentities, artifact,
} from './lib/e2e.js';
import { twilioToken, now } from '../api/lib/jwt.js';

describe('1:1 call in a go room', { skip: skipReason }, () => {
  let env;
  let alice;
  let bob;
  before(async () => {
    env = await startE2E({ rooms: [{ name: 'consult-1', type: 'go' }, { name: 'consult-2', type: 'go' }] });
  });
  after(async () => { if (env) assert.equal(await env.stop(), 0, 'server exit code'); });

  it('two pages connect peer to peer and play each other\'s video', async () => {
    alice = await env.join({ identity: 'alice', room: 'consult-1' });
    await waitInCall(alice);
    bob = await env.join({ identity: 'bob', room: 'consult-1' });
    await waitInCall(bob);
    await Promise.all([waitConnected(alice, 1), waitConnected(bob, 1)]);
    const [va, vb] = await Promise.all([waitRemoteVideo(alice, 'bob'), waitRemoteVideo(bob, 'alice')]);
    assert.ok(va.width > 0 && vb.width > 0, 'remote video has frames');
    assert.deepEqual(await remoteIdentities(alice), ['bob']);
    assert.deepEqual(await remoteIdentities(bob), ['alice']);
    // the room is a go room, and the SDK used the server's ice_servers
    const info = await alice.evaluate(() => ({ type: window.roomgateDemo.room.type, ice: window.roomgateDemo.room.iceServers }));
    assert.equal(info.type, 'go');
    assert.ok(Array.isArray(info.ice));
    // media really is peer to peer: the selected candidate pair is direct
    const pair = await alice.evaluate(async () => {
      const pc = [...window.roomgateDemo.room.participants.values()][0].pc;
      const stats = await pc.getStats();
      for (const s of stats.values()) {
        if (s.type === 'transport' && s.selectedCandidatePairId) {
          const p = stats.get(s.selectedCandidatePairId);
          return { local: stats.get(p.localCandidateId).candidateType, remote: stats.get(p.remoteCandidateId).candidateType, dtls: s.dtlsState };
        }
      }
      return null;
    });
    assert.equal(pair?.dtls, 'connected', 'DTLS-SRTP is up');
    assert.notEqual(pair?.local, 'relay');
    await alice.screenshot({ path: artifact('call-alice.png') });
    await bob.screenshot({ path: artifact('call-bob.png') });
    assert.deepEqual(alice.errors || [], []);
    assert.deepEqual(bob.errors || [], []);
  });

  it('mute and camera buttons reach the other side', async () => {
    await alice.click('#mic-btn');
    await bob.waitForSelector('.tile[data-identity="alice"].audio-off', { timeout: 5000 });
    await alice.click('#mic-btn');
    await bob.waitForSelector('.tile[data-identity="alice"]:not(.audio-off)', { timeout: 5000 });
    await alice.click('#cam-btn');
    await bob.waitForSelector('.tile[data-identity="alice"].video-off', { timeout: 5000 });
    assert.equal(await alice.evaluate(() => window.roomgateDemo.room.localParticipant.videoEnabled), false);
    await alice.click('#cam-btn');
    await bob.waitForSelector('.tile[data-identity="alice"]:not(.video-off)', { timeout: 5000 });
  });

  it('a third page is refused: room full (53105)', async () => {
    const carol = await env.join({ identity: 'carol', room: 'consult-1' });
    const err = await waitErrorCode(carol);
    assert.equal(err.code, 53105);
    assert.match(err.text, /full/i);
    assert.equal(await carol.isVisible('#join-view'), true, 'back on the join form');
    await carol.screenshot({ path: artifact('room-full.png') });
    await carol.close();
    // the call goes on
    assert.equal(await alice.evaluate(() => window.roomgateDemo.room.participants.size), 1);
    await waitConnected(alice, 1, 2000);
  });

  it('the same identity again replaces the old page (53205)', async () => {
    const bob2 = await env.join({ identity: 'bob', room: 'consult-1' });
    const err = await waitErrorCode(bob);
    assert.equal(err.code, 53205);
    assert.match(err.text, /another tab or device/);
    await waitInCall(bob2);
    await Promise.all([waitConnected(alice, 1), waitConnected(bob2, 1)]);
    await waitRemoteVideo(bob2, 'alice');
    await waitRemoteVideo(alice, 'bob');
    assert.deepEqual(await remoteIdentities(alice), ['bob']);
    await bob.close();
    bob = bob2;
  });

  it('a page that dies is reported as left', async () => {
    const dan = await env.join({ identity: 'dan', room: 'consult-2' });
    await waitInCall(dan);
    const erin = await env.join({ identity: 'erin', room: 'consult-2' });
    await waitConnected(dan, 1);
    // crash erin's renderer: no goodbye, the socket just goes away
    const cdp = await erin.context().newCDPSession(erin);
    const crashed = new Promise((r) => erin.once('crash', r));
    cdp.send('Page.crash').catch(() => {}); // never answers: the renderer is gone
    await crashed;
    await dan.waitForFunction(() => window.roomgateDemo.room.participants.size === 0, null, { timeout: 15000, polling: 50 });
    await dan.waitForSelector('#banner.info', { timeout: 5000 });
    assert.match(await dan.textContent('#banner'), /erin left/);
    assert.equal(await dan.locator('.tile').count(), 1, 'only the local tile is left');
    await erin.close().catch(() => {});
  });

  it('leaving ends the call for both sides', async () => {
    await bob.click('#leave-btn');
    await bob.waitForSelector('#join-view:not([hidden])');
    assert.match(await bob.textContent('#banner'), /You left/);
    await alice.waitForFunction(() => window.roomgateDemo.room.participants.size === 0, null, { timeout: 10000, polling: 50 });
  });
});

describe('SDK against the server: expired token, group mesh', { skip: skipReason }, () => {
  let env;
  before(async () => { env = await startE2E(); });
  after(async () => { if (env) assert.equal(await env.stop(), 0, 'server exit code'); });

  it('the SDK rejects an expired token with 20104', async () => {
    const { key_sid: keySid, key_secret: secret, account_sid: accountSid } = env.demo;
    const expired = twilioToken({ keySid, secret, accountSid, identity: 'late', room: 'r', iat: now() - 7200, ttl: 600 });
    const page = await env.browser.context.newPage();
    await page.goto(`${env.srv.url}/demo/`);
    const got = await page.evaluate(async (token) => {
      const sdk = await import('/sdk/roomgate.js');
      try {
        await sdk.connect(location.origin, token, { audio: false, video: false });
        return 'resolved';
      } catch (e) {
        return { code: e.code, message: e.message };
      }
    }, expired);
    assert.equal(got.code, 20104, JSON.stringify(got));
    await page.close();
  });

  it('three pages in a group room mesh: each is connected to the two others', async () => {
    const pages = [];
    for (const identity of ['ann', 'ben', 'cat']) {
      const p = await env.join({ identity, room: 'team', audio: false });
      await waitInCall(p);
      pages.push(p);
    }
    await Promise.all(pages.map((p) => waitConnected(p, 2)));
    assert.deepEqual(await remoteIdentities(pages[0]), ['ben', 'cat']);
    assert.deepEqual(await remoteIdentities(pages[2]), ['ann', 'ben']);
    await waitRemoteVideo(pages[0], 'cat');
    await waitRemoteVideo(pages[2], 'ann');
    for (const p of pages) await p.close();
  });
});
