// The browser SDK (/sdk/roomgate.js) against an in-page fake signaling hub
// (lib/fakehub.js): situations the real server does not create on demand,
// offer glare and simultaneous ICE restarts, plus the SDK's own contract
// (rejections with .code, the lobby's waiting/denied path, moderator mute,
// disconnection after joining).  Only the static files come from roomgate.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, skipReason } from './lib/e2e.js';
import { installFakeHub } from './lib/fakehub.js';

// Runs in the page: two SDK rooms ("a" and "b") joined through the fake hub.
async function twoRooms() {
  const sdk = await import('/sdk/roomgate.js');
  const tok = (sid, identity) => window.fakeToken({ sid, identity });
  // PA...1 sorts after PA...0: "a" (PA..0) is polite
  const a = await sdk.connect(location.origin, tok('PA' + '0'.repeat(32), 'a'), { audio: false, video: true });
  const b = await sdk.connect(location.origin, tok('PA' + '0'.repeat(31) + '1', 'b'), { audio: false, video: true });
  window.rooms = { a, b };
}

function bothConnected(page, timeout = 20000) {
  return page.waitForFunction(() => {
    const { a, b } = window.rooms;
    const st = (r) => [...r.participants.values()][0]?.pc?.connectionState;
    return st(a) === 'connected' && st(b) === 'connected';
  }, null, { timeout, polling: 50 });
}

// Both sides receive frames of the other's fake camera.
function bothPlaying(page) {
  return page.evaluate(async () => {
    const play = async (room) => {
      const v = document.createElement('video');
      v.muted = true;
      v.srcObject = [...room.participants.values()][0].stream;
      document.body.append(v);
      await v.play();
      const t0 = performance.now();
      while (v.videoWidth === 0 && performance.now() - t0 < 15000) await new Promise((r) => setTimeout(r, 100));
      return v.videoWidth;
    };
    return Promise.all([play(window.rooms.a), play(window.rooms.b)]);
  });
}

describe('SDK: perfect negotiation and ICE restart', { skip: skipReason }, () => {
  let env;
  let page;
  before(async () => { env = await startE2E(); });
  after(async () => { if (env) assert.equal(await env.stop(), 0, 'server exit code'); });

  it('an offer glare (both sides offer at once) still connects', async () => {
    page = await env.browser.context.newPage();
    await page.goto(`${env.srv.url}/demo/tokens.html`);
    await page.evaluate(installFakeHub, { glare: true });
    await page.evaluate(twoRooms);
    await bothConnected(page);
    assert.equal(await page.evaluate(() => window.fakeHub.glared), true, 'both sides did offer');
    const offers = await page.evaluate(() => window.fakeHub.log.filter((l) => l.msg.data?.description?.type === 'offer').map((l) => l.from));
    assert.equal(new Set(offers).size, 2, 'offers from both sides');
    const widths = await bothPlaying(page);
    assert.ok(widths.every((w) => w > 0), `video both ways: ${widths}`);
  });

  it('a network change restarts ICE on both sides at once and reconnects', async () => {
    const ufrag = () => page.evaluate(() => Object.values(window.rooms).map((r) => {
      const pc = [...r.participants.values()][0].pc;
      return /a=ice-ufrag:(\S+)/.exec(pc.localDescription.sdp)[1];
    }));
    const before = await ufrag();
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await page.waitForFunction((old) => Object.values(window.rooms).every((r, i) => {
      const pc = [...r.participants.values()][0].pc;
      return pc.signalingState === 'stable' && !pc.localDescription.sdp.includes(`a=ice-ufrag:${old[i]}`);
    }), before, { timeout: 15000, polling: 50 });
    await bothConnected(page);
    const after = await ufrag();
    assert.notEqual(after[0], before[0]);
    assert.notEqual(after[1], before[1]);
  });

  it('a moderator mute disables the track and emits muted', async () => {
    const got = await page.evaluate(async () => {
      const { b } = window.rooms;
      const ev = new Promise((r) => b.once('muted', r));
      window.fakeHub.send(b.localParticipant.sid, { type: 'mute', kind: 'video' });
      const e = await ev;
      return { kind: e.kind, enabled: b.localParticipant.videoTrack.enabled };
    });
    assert.deepEqual(got, { kind: 'video', enabled: false });
    // the other side hears about it
    await page.waitForFunction(() => [...window.rooms.a.participants.values()][0].videoEnabled === false, null, { polling: 50 });
  });

  it('an error after joining disconnects with its code; the other side sees the participant leave', async () => {
    const got = await page.evaluate(async () => {
      const { a, b } = window.rooms;
      const left = new Promise((r) => a.once('participantDisconnected', (p) => r(p.identity)));
      const ev = new Promise((r) => b.once('disconnected', (room, err) => r({ code: err.code, state: room.state })));
      window.fakeHub.send(b.localParticipant.sid, { type: 'error', code: 53205, message: 'replaced' });
      const e = await ev;
      b._ws.close(); // the server closes after an error
      return { ...e, left: await left, track: b.localParticipant.videoTrack.readyState };
    });
    assert.deepEqual(got, { code: 53205, state: 'disconnected', left: 'b', track: 'ended' });
    await page.evaluate(() => window.rooms.a.disconnect());
    await page.close();
  });

  it('connect rejects with the server\'s code and releases the camera', async () => {
    page = await env.browser.context.newPage();
    await page.goto(`${env.srv.url}/demo/tokens.html`);
    await page.evaluate(installFakeHub, {});
    const got = await page.evaluate(async () => {
      const sdk = await import('/sdk/roomgate.js');
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      try {
        await sdk.connect(location.origin, window.fakeToken({ error: 53105 }), { stream });
        return 'resolved';
      } catch (e) {
        return { name: e.name, code: e.code, track: stream.getVideoTracks()[0].readyState };
      }
    });
    // a caller's own stream is the caller's to stop
    assert.deepEqual(got, { name: 'RoomError', code: 53105, track: 'live' });
  });

  for (const decision of ['denied', 'allowed']) {
    it(`an ask_join token emits waiting, then is ${decision}`, async () => {
      const got = await page.evaluate(async (answer) => {
        const sdk = await import('/sdk/roomgate.js');
        const sid = 'PA' + (answer === 'denied' ? '2' : '3').repeat(32);
        const events = [];
        const p = sdk.connect(location.origin, window.fakeToken({ sid, identity: 'g', permissions: ['ask_join'] }), {
          audio: false, video: false,
          on: {
            waiting: () => {
              events.push('waiting');
              // a host answers once the hub has the guest in its lobby
              const t = setInterval(() => { if (window.fakeHub.lobby.has(sid)) { clearInterval(t); window.fakeHub.decide(sid, answer); } }, 10);
            },
            entryResponded: (e) => events.push(e.decision),
          },
        });
        try {
          const room = await p;
          events.push(`joined:${room.state}`);
          room.disconnect();
        } catch (e) {
          events.push(`rejected:${e.code}`);
        }
        return events;
      }, decision);
      assert.deepEqual(got, decision === 'denied' ? ['waiting', 'denied', 'rejected:53217'] : ['waiting', 'allowed', 'joined:connected']);
    });
  }
});
