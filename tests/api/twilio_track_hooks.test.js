// Issue 13, track events (docs/webhooks.md): a Twilio-protocol participant
// (GET /signaling) that publishes, disables, enables and unpublishes tracks
// makes roomgate record track-added, track-disabled, track-enabled and
// track-removed with Twilio's parameters, after participant-connected and
// before participant-disconnected, each accepted by `twilio.webhook()`.
// Tracks still published when it leaves get track-removed before its
// participant-disconnected (api/twilio_track_leave.test.js: kicks, a
// completed room, a resumed session's changes).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { tok } from './lib/signal.js';
import { startReceiver } from './lib/hooks.js';

const FAST = ['--access-log', 'off', '--webhook-allow-private', '--webhook-retry-base', '50'];
const MT_RE = /^MT[0-9a-f]{32}$/;

let srv;
let rx;
before(async () => {
  srv = await startServer({ args: FAST });
  rx = await startReceiver(srv.account.auth_token);
  const set = await srv.request('POST', '/v1/StatusCallback', { auth: srv.keyAuth, form: { StatusCallback: `${rx.base}/hook` } });
  assert.equal(set.status, 200, set.text);
});
after(async () => {
  try {
    if (srv) assertExit0(srv, await srv.stop());
  } finally {
    if (rx) await rx.close();
  }
});

/** A raw /signaling client: hello with a room message, then msg(body); body(type) waits. */
async function openTw(firstBody) {
  const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + '/signaling');
  const inbox = [];
  const waiters = [];
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    inbox.push(m);
    for (const w of [...waiters]) w();
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const beat = setInterval(() => ws.send(JSON.stringify({ type: 'heartbeat' })), 200);
  const closed = new Promise((resolve) => ws.on('close', () => { clearInterval(beat); resolve(); }));
  ws.send(JSON.stringify({ type: 'hello', id: 'x', timeout: 5000, version: 2, body: firstBody }));
  const c = {
    closed,
    msg(body) { ws.send(JSON.stringify({ type: 'msg', body })); },
    /** The next room message pred accepts (taken from the inbox). */
    next(pred) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = inbox.findIndex((m) => m.type === 'msg' && pred(m.body));
          if (i < 0) return;
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(t);
          resolve(inbox.splice(i, 1)[0].body);
        };
        const t = setTimeout(() => { waiters.splice(waiters.indexOf(check), 1); reject(new Error(`no such message; inbox ${JSON.stringify(inbox).slice(0, 600)}`)); }, 10000);
        waiters.push(check);
        check();
      });
    },
    close() { ws.close(); return closed; },
  };
  return c;
}

const track = (id, kind, enabled = true) => ({ id, kind, name: id, enabled, priority: 'standard' });
const connectMsg = (identity, room, tracks) => ({
  type: 'connect', version: 2, name: room, token: tok(srv, identity, room),
  participant: { revision: 1, tracks }, peer_connections: [], ice_servers: 'acquire', format: 'unified',
});
const roomIs = (name) => (e) => e.params.RoomName === name;

describe('track events of a Twilio-protocol participant', () => {
  it('added x2, disabled, enabled, removed, added, in order between connected and disconnected, with Twilio\'s parameters', async () => {
    const c = await openTw(connectMsg('ann', 'trk-1', [track('mic', 'audio'), track('cam', 'video')]));
    const connected = await c.next((b) => b.type === 'connected');
    const sids = Object.fromEntries(connected.published.tracks.map((t) => [t.id, t.sid]));
    assert.match(sids.mic, MT_RE);
    assert.match(sids.cam, MT_RE);
    const update = async (revision, tracks) => {
      c.msg({ type: 'update', participant: { revision, tracks } });
      return (await c.next((b) => b.type === 'update' && b.published && b.published.tracks.length === tracks.length)).published;
    };
    await update(2, [track('mic', 'audio', false), track('cam', 'video')]);
    // an old revision changes nothing, so it records nothing
    c.msg({ type: 'update', participant: { revision: 2, tracks: [track('mic', 'audio'), track('cam', 'video', false)] } });
    await update(3, [track('mic', 'audio'), track('cam', 'video')]);
    // the same state again: no event
    await update(4, [track('mic', 'audio'), track('cam', 'video')]);
    await update(5, [track('mic', 'audio')]);
    const pub = await update(6, [track('mic', 'audio'), track('chat', 'data')]);
    const chatSid = pub.tracks.find((t) => t.id === 'chat').sid;
    assert.match(chatSid, MT_RE);
    c.msg({ type: 'disconnect', version: 2, session: connected.session }); // leaves now, not after session_timeout
    await c.closed;

    await rx.seen((e) => roomIs('trk-1')(e) && e.params.StatusCallbackEvent === 'participant-disconnected', 1);
    const evs = rx.events.filter(roomIs('trk-1'));
    assert.deepEqual(evs.map((e) => [e.params.StatusCallbackEvent, e.params.TrackName]), [
      ['room-created', undefined], ['participant-connected', undefined],
      ['track-added', 'mic'], ['track-added', 'cam'], ['track-disabled', 'mic'], ['track-enabled', 'mic'],
      ['track-removed', 'cam'], ['track-added', 'chat'],
      // still published when it leaves: removed first, as Twilio reports them
      ['track-removed', 'mic'], ['track-removed', 'chat'], ['participant-disconnected', undefined]]);
    assert.deepEqual(evs.map((e) => e.params.SequenceNumber), evs.map((_, i) => String(i)));
    const tracks = evs.filter((e) => e.params.StatusCallbackEvent.startsWith('track-'));
    assert.deepEqual(tracks.map((e) => [e.params.TrackSid, e.params.TrackKind]), [
      [sids.mic, 'audio'], [sids.cam, 'video'], [sids.mic, 'audio'], [sids.mic, 'audio'], [sids.cam, 'video'], [chatSid, 'data'],
      [sids.mic, 'audio'], [chatSid, 'data']]);
    for (const e of tracks) {
      assert.equal(e.path, '/hook', 'accepted by twilio.webhook()');
      assert.equal(e.params.AccountSid, srv.account.sid);
      assert.equal(e.params.RoomSid, connected.sid);
      assert.equal(e.params.RoomName, 'trk-1');
      assert.equal(e.params.RoomStatus, 'in-progress');
      assert.equal(e.params.ParticipantSid, connected.participant.sid);
      assert.equal(e.params.ParticipantIdentity, 'ann');
      assert.equal(e.params.ParticipantStatus, 'connected');
      assert.match(e.params.Timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
    assert.equal(new Set(evs.map((e) => e.eventId)).size, evs.length, 'one id per event');
  });

  it('in LiveKit\'s format: track_published and track_unpublished with the track (enabled/disabled have no LiveKit webhook)', async () => {
    const lk = await startReceiver(srv.account.auth_token, { livekitKey: srv.key });
    try {
      const set = await srv.request('POST', '/v1/StatusCallback', { auth: srv.keyAuth,
        form: { StatusCallback: `${lk.base}/livekit`, StatusCallbackFormat: 'livekit', StatusCallbackKey: srv.key.sid } });
      assert.equal(set.status, 200, set.text);
      const c = await openTw(connectMsg('lee', 'trk-lk', [track('mic', 'audio')]));
      const connected = await c.next((b) => b.type === 'connected');
      const mic = connected.published.tracks[0].sid;
      c.msg({ type: 'update', participant: { revision: 2, tracks: [track('mic', 'audio', false), track('cam', 'video')] } });
      const cam = (await c.next((b) => b.type === 'update' && b.published && b.published.tracks.length === 2)).published.tracks.find((t) => t.id === 'cam').sid;
      c.msg({ type: 'update', participant: { revision: 3, tracks: [track('cam', 'video')] } });
      await c.next((b) => b.type === 'update' && b.published && b.published.tracks.length === 1);
      c.msg({ type: 'disconnect', version: 2, session: connected.session });
      await c.closed;
      const evs = await lk.seen((e) => e.livekit?.room?.name === 'trk-lk' && e.livekit.event === 'participant_left', 1)
        .then(() => lk.events.filter((e) => e.livekit?.room?.name === 'trk-lk'));
      assert.deepEqual(evs.map((e) => e.livekit.event), ['room_started', 'participant_joined', 'track_published',
        'track_published', 'track_unpublished', 'track_unpublished', 'participant_left']);
      const tracks = evs.filter((e) => e.livekit.event.startsWith('track_'));
      assert.deepEqual(tracks.map((e) => [e.livekit.track.sid, e.livekit.track.name]), [[mic, 'mic'], [cam, 'cam'], [mic, 'mic'], [cam, 'cam']]);
      assert.deepEqual(tracks.map((e) => e.livekit.track.type), [0, 1, 0, 1], 'TrackType AUDIO, VIDEO, AUDIO, VIDEO');
      for (const e of tracks) {
        assert.equal(e.livekit.participant.sid, connected.participant.sid);
        assert.equal(e.livekit.participant.identity, 'lee');
        assert.equal(e.livekit.room.sid, connected.sid);
      }
    } finally {
      await srv.request('POST', '/v1/StatusCallback', { auth: srv.keyAuth, form: { StatusCallback: `${rx.base}/hook` } });
      await lk.close();
    }
  });
});
