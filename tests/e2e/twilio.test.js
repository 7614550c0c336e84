// Twilio's own browser SDK on roomgate: web/examples/twilio-video/ (the
// unmodified twilio-video.js bundle from its npm package, served by
// roomgate at /vendor/twilio-video/) connects to GET /signaling with
// roomgate-minted tokens, in Debian Chromium with fake media.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startE2E, skipReason, artifact } from './lib/e2e.js';
import { REPO_ROOT, basic } from '../api/lib/server.js';
import { twilioToken, now } from '../api/lib/jwt.js';

const DIST = path.join(REPO_ROOT, 'tests/node_modules/twilio-video/dist');

describe('twilio-video.js 2.36.0 on GET /signaling', { skip: skipReason }, () => {
  let env;
  const pages = {};
  before(async () => {
    env = await startE2E({ args: ['--twilio-video', DIST], rooms: [{ name: 'tw-go', type: 'go' }, { name: 'tw-end', type: 'go' }] });
  });
  after(async () => { if (env) assert.equal(await env.stop(), 0, 'server exit code'); });

  const token = (identity, room, opts = {}) => twilioToken({
    keySid: env.demo.key_sid, secret: env.demo.key_secret, accountSid: env.demo.account_sid, identity, room, ...opts,
  });

  async function open(identity, room, tok = token(identity, room)) {
    const page = await env.browser.context.newPage();
    page.on('pageerror', (e) => { page.errors = [...(page.errors || []), String(e)]; });
    // the page's WebSockets, so a test can drop the signaling socket
    await page.addInitScript(() => {
      const Base = window.WebSocket;
      window.testSockets = [];
      window.WebSocket = class extends Base {
        constructor(...args) { super(...args); window.testSockets.push(this); }
      };
    });
    await page.goto(`${env.srv.url}/examples/twilio-video/`);
    await page.fill('#identity', identity);
    await page.fill('#room', room);
    await page.fill('#token', tok);
    await page.click('#join-btn');
    pages[identity] = page;
    return page;
  }
  const inRoom = (page) => page.waitForFunction(() => window.twApp.room?.state === 'connected', null, { timeout: 20000, polling: 50 });
  const failed = async (page) => {
    await page.waitForFunction(() => window.twApp.error, null, { timeout: 20000, polling: 50 });
    return page.evaluate(() => window.twApp.error);
  };
  const remotes = (page) => page.evaluate(() => [...window.twApp.room.participants.values()].map((p) => p.identity).sort());

  const rest = (method, p, form) => env.srv.request(method, p, { auth: basic(env.demo.account_sid, env.demo.auth_token), form });
  /** identity -> status of the room's participants, as REST lists them. */
  async function restList(room) {
    const res = await rest('GET', `/v1/Rooms/${room}/Participants`);
    assert.equal(res.status, 200);
    return Object.fromEntries(res.json.participants.map((p) => [p.identity, p.status]));
  }
  const events = (page) => page.evaluate(() => window.twApp.events);
  /** Waits until the page logged text more than `seen` times (what it had before the action). */
  const waitEvent = (page, text, seen = 0) => page.waitForFunction(
    ({ t, n }) => window.twApp.events.filter((e) => e === t).length > n, { t: text, n: seen }, { timeout: 20000, polling: 50 })
    .catch(async (e) => { console.log(`events of the page waiting for "${text}":`, JSON.stringify(await page.evaluate(() => window.twApp.events))); throw e; });
  const seenEvents = (page, text) => page.evaluate((t) => window.twApp.events.filter((e) => e === t).length, text);
  /** The remote participant's publications: kind -> {enabled, subscribed}. */
  const remotePubs = (page) => page.evaluate(() => {
    const p = [...window.twApp.room.participants.values()][0];
    return p ? [...p.tracks.values()].map((t) => ({ kind: t.kind, enabled: t.isTrackEnabled, subscribed: t.isSubscribed, sid: t.trackSid })) : null;
  });

  async function playsVideo(page, identity) {
    const sel = `.tile[data-identity="${identity}"] video`;
    await page.waitForFunction((s) => { const v = document.querySelector(s); return v && v.videoWidth > 0 && v.currentTime > 0; },
      sel, { timeout: 20000, polling: 100 });
    const t0 = await page.$eval(sel, (v) => v.currentTime);
    await page.waitForFunction(({ s, t }) => document.querySelector(s).currentTime > t + 0.2, { s: sel, t: t0 }, { timeout: 20000, polling: 100 });
    return page.$eval(sel, (v) => v.videoWidth);
  }

  it('two pages see each other, play each other\'s audio and video, and exchange data', async () => {
    const alice = await open('alice', 'tw-go');
    await inRoom(alice);
    const bob = await open('bob', 'tw-go');
    await inRoom(bob);
    await alice.waitForFunction(() => window.twApp.room.participants.size === 1, null, { timeout: 20000 });
    assert.deepEqual(await remotes(alice), ['bob']);
    assert.deepEqual(await remotes(bob), ['alice']);
    assert.ok(await playsVideo(alice, 'bob') > 0);
    assert.ok(await playsVideo(bob, 'alice') > 0);
    // both remote audio tracks arrived as subscribed tracks
    for (const page of [alice, bob]) {
      await page.waitForFunction(() => [...window.twApp.room.participants.values()][0].audioTracks.size === 1 &&
        [...[...window.twApp.room.participants.values()][0].audioTracks.values()][0].isSubscribed, null, { timeout: 20000 });
    }
    // room and participant sids are roomgate's
    const info = await alice.evaluate(() => ({ sid: window.twApp.room.sid, me: window.twApp.room.localParticipant.sid,
      pub: [...window.twApp.room.localParticipant.tracks.values()].map((p) => p.trackSid) }));
    assert.match(info.sid, /^RM[0-9a-f]{32}$/);
    assert.match(info.me, /^PA[0-9a-f]{32}$/);
    assert.equal(info.pub.length, 3);
    for (const s of info.pub) assert.match(s, /^MT[0-9a-f]{32}$/);
    // the data track, both ways (it opens once the peer connection is up)
    await alice.waitForFunction(() => [...window.twApp.room.participants.values()][0].dataTracks.size === 1, null, { timeout: 20000 });
    await bob.waitForFunction(() => [...window.twApp.room.participants.values()][0].dataTracks.size === 1, null, { timeout: 20000 });
    await alice.evaluate(() => window.twApp.dataTrack.send('hello bob'));
    await bob.evaluate(() => window.twApp.dataTrack.send('hello alice'));
    await bob.waitForFunction(() => window.twApp.messages.some((m) => m.from === 'alice' && m.text === 'hello bob'), null, { timeout: 10000 });
    await alice.waitForFunction(() => window.twApp.messages.some((m) => m.from === 'bob' && m.text === 'hello alice'), null, { timeout: 10000 });
    await alice.screenshot({ path: artifact('twilio-alice.png') });
    assert.deepEqual(alice.errors || [], []);
    assert.deepEqual(bob.errors || [], []);
  });

  it('a third page in the go room is refused with 53105 while the call goes on', async () => {
    const carol = await open('carol', 'tw-go');
    const err = await failed(carol);
    assert.equal(err.code, 53105);
    await carol.close();
    assert.deepEqual(await remotes(pages.alice), ['bob']);
  });

  it('the REST Participants list agrees with the pages', async () => {
    assert.deepEqual(await restList('tw-go'), { alice: 'connected', bob: 'connected' });
    const sids = await Promise.all([pages.alice, pages.bob].map((p) => p.evaluate(() => window.twApp.room.localParticipant.sid)));
    const res = await rest('GET', '/v1/Rooms/tw-go/Participants');
    assert.deepEqual(res.json.participants.map((p) => p.sid).sort(), [...sids].sort());
    // PublishedTracks: alice's tracks as her SDK knows them; SubscribedTracks: bob's view of them
    const mine = await pages.alice.evaluate(() => [...window.twApp.room.localParticipant.tracks.values()]
      .map((p) => ({ sid: p.trackSid, kind: p.kind, name: p.trackName })));
    const pub = await rest('GET', `/v1/Rooms/tw-go/Participants/alice/PublishedTracks`);
    assert.equal(pub.status, 200);
    const byKind = (a, b) => a.kind.localeCompare(b.kind);
    assert.deepEqual(pub.json.published_tracks.map((t) => ({ sid: t.sid, kind: t.kind, name: t.name })).sort(byKind), mine.sort(byKind));
    for (const t of pub.json.published_tracks) assert.equal(t.participant_sid, sids[0]);
    const sub = await rest('GET', `/v1/Rooms/tw-go/Participants/${sids[1]}/SubscribedTracks`);
    assert.deepEqual(sub.json.subscribed_tracks.map((t) => t.sid).sort(), mine.map((t) => t.sid).sort());
    for (const t of sub.json.subscribed_tracks) {
      assert.equal(t.publisher_sid, sids[0]);
      assert.equal(t.subscriber_sid, sids[1]);
    }
  });

  it('disabling and enabling a track, unpublishing and publishing are seen by the other page', async () => {
    const { alice, bob } = pages;
    await alice.evaluate(() => window.twApp.room.localParticipant.audioTracks.forEach((p) => p.track.disable()));
    await waitEvent(bob, 'trackDisabled alice audio');
    assert.equal((await remotePubs(bob)).find((t) => t.kind === 'audio').enabled, false);
    await alice.evaluate(() => window.twApp.room.localParticipant.audioTracks.forEach((p) => p.track.enable()));
    await waitEvent(bob, 'trackEnabled alice audio');
    assert.equal((await remotePubs(bob)).find((t) => t.kind === 'audio').enabled, true);
    // unpublish the camera: bob loses the publication
    const before = (await remotePubs(bob)).find((t) => t.kind === 'video').sid;
    await alice.evaluate(() => window.twApp.room.localParticipant.videoTracks.forEach((p) => {
      window.twApp.room.localParticipant.unpublishTrack(p.track); p.track.stop();
    }));
    await waitEvent(bob, 'trackUnpublished alice video');
    assert.equal((await remotePubs(bob)).filter((t) => t.kind === 'video').length, 0);
    await bob.waitForFunction(() => !document.querySelector('.tile[data-identity="alice"] video'), null, { timeout: 10000 });
    // a new camera track: published (a new MT sid), subscribed, and playing
    const sid = await alice.evaluate(async () => {
      const t = await Twilio.Video.createLocalVideoTrack({ width: 320, height: 240 });
      return (await window.twApp.room.localParticipant.publishTrack(t)).trackSid;
    });
    assert.match(sid, /^MT[0-9a-f]{32}$/);
    assert.notEqual(sid, before);
    await waitEvent(bob, 'trackPublished alice video');
    assert.ok(await playsVideo(bob, 'alice') > 0);
    assert.equal((await remotePubs(bob)).find((t) => t.kind === 'video').sid, sid);
  });

  it('a dropped signaling socket: the other page sees reconnecting, then reconnected; media flows', async () => {
    const { alice, bob } = pages;
    const sid = await alice.evaluate(() => window.twApp.room.localParticipant.sid);
    // not a normal close (1000 would mean "leave"): the SDK resumes its session
    await alice.evaluate(() => window.testSockets.filter((w) => w.readyState === 1).forEach((w) => w.close(4000, 'test')));
    await waitEvent(alice, 'room reconnecting');
    await waitEvent(bob, 'reconnecting alice');
    await waitEvent(alice, 'room reconnected');
    await waitEvent(bob, 'reconnected alice');
    assert.equal(await alice.evaluate(() => window.twApp.room.localParticipant.sid), sid);
    assert.deepEqual(await remotes(alice), ['bob']);
    assert.deepEqual(await remotes(bob), ['alice']);
    assert.deepEqual(await restList('tw-go'), { alice: 'connected', bob: 'connected' });
    assert.ok(await playsVideo(bob, 'alice') > 0);
    assert.ok(await playsVideo(alice, 'bob') > 0);
    // the resumed session still relays: a track change reaches bob
    const [off, on] = [await seenEvents(bob, 'trackDisabled alice audio'), await seenEvents(bob, 'trackEnabled alice audio')];
    assert.ok(off > 0 && on > 0, 'the earlier test disabled and enabled it once');
    await alice.evaluate(() => window.twApp.room.localParticipant.audioTracks.forEach((p) => p.track.disable()));
    await waitEvent(bob, 'trackDisabled alice audio', off);
    await alice.evaluate(() => window.twApp.room.localParticipant.audioTracks.forEach((p) => p.track.enable()));
    await waitEvent(bob, 'trackEnabled alice audio', on);
  });

  it('the same identity again: the first page gets 53205, the new one is in', async () => {
    const first = await open('dora', 'tw-dup');
    await inRoom(first);
    const second = await open('dora', 'tw-dup');
    await inRoom(second);
    assert.equal((await failed(first)).code, 53205);
    assert.deepEqual(await restList('tw-dup'), { dora: 'connected' });
    await first.close();
    await second.close();
  });

  it('a REST kick disconnects the page; the other sees participantDisconnected', async () => {
    const { alice, bob } = pages;
    const res = await rest('POST', '/v1/Rooms/tw-go/Participants/bob', { Status: 'disconnected' });
    assert.equal(res.status, 200);
    await bob.waitForFunction(() => window.twApp.room.state === 'disconnected', null, { timeout: 20000 });
    assert.ok((await events(bob)).some((e) => e.startsWith('disconnected')));
    await waitEvent(alice, 'participantDisconnected bob');
    assert.equal(await alice.evaluate(() => window.twApp.room.participants.size), 0);
    assert.deepEqual(await restList('tw-go'), { alice: 'connected', bob: 'disconnected' });
    await bob.close();
  });

  it('completing the room over REST ends the call: both pages get 53118', async () => {
    const a = await open('erin', 'tw-end');
    await inRoom(a);
    const b = await open('frank', 'tw-end');
    await inRoom(b);
    await a.waitForFunction(() => window.twApp.room.participants.size === 1, null, { timeout: 20000 });
    assert.equal((await rest('POST', '/v1/Rooms/tw-end', { Status: 'completed' })).status, 200);
    assert.equal((await failed(a)).code, 53118);
    assert.equal((await failed(b)).code, 53118);
    assert.deepEqual(await restList('tw-end'), { erin: 'disconnected', frank: 'disconnected' });
  });

  it('with an empty token field the example page asks the --demo server for one', async () => {
    const page = await open('gina', 'tw-demo-token', '');
    await inRoom(page);
    assert.equal(await page.evaluate(() => window.twApp.room.localParticipant.identity), 'gina');
    assert.deepEqual(await restList('tw-demo-token'), { gina: 'connected' });
    await page.close();
  });

  it('tokens: a bad signature (20107), an expired token (20104), another room (20101)', async () => {
    // another signature: a character in the middle of it (the last one also holds padding bits)
    const good = token('mallory', 'tw-go');
    const at = good.length - 10;
    const forged = good.slice(0, at) + (good[at] === 'A' ? 'B' : 'A') + good.slice(at + 1);
    const p1 = await open('mallory', 'tw-go', forged);
    assert.equal((await failed(p1)).code, 20107);
    const p2 = await open('old', 'tw-go', token('old', 'tw-go', { iat: now() - 7200, ttl: 3600 }));
    assert.equal((await failed(p2)).code, 20104);
    const p3 = await open('elsewhere', 'tw-go', token('elsewhere', 'another-room'));
    assert.equal((await failed(p3)).code, 20101);
    for (const p of [p1, p2, p3]) await p.close();
  });
});
