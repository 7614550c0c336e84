// Issue 13 follow-up, track events when a participant goes (docs/webhooks.md):
// a Twilio-protocol participant that is kicked, or whose room completes,
// with tracks still published gets track-removed for each (its MT sids)
// before its participant-disconnected, as Twilio sends them; before, only
// participant-disconnected came.  And track changes carried in a `sync`
// (a session resumed on a new socket) record the same events as in an
// `update`; before, they recorded none.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from './lib/server.js';
import { assertExit0, assertStatus } from './lib/check.js';
import { tok } from './lib/signal.js';
import { startReceiver } from './lib/hooks.js';

let srv;
let rx;
before(async () => {
  srv = await startServer({ threads: 2, args: ['--access-log', 'off', '--webhook-allow-private', '--webhook-retry-base', '50'] });
  rx = await startReceiver(srv.account.auth_token);
  assertStatus(await srv.request('POST', '/v1/StatusCallback', { auth: srv.keyAuth, form: { StatusCallback: `${rx.base}/hook` } }), 200);
});
after(async () => {
  try {
    if (srv) assertExit0(srv, await srv.stop());
  } finally {
    if (rx) await rx.close();
  }
});

/** A raw /signaling client: hello with a room message; next(pred) waits for a room message. */
async function openTw(firstBody) {
  const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + '/signaling');
  const inbox = [];
  const waiters = [];
  ws.on('message', (data) => {
    inbox.push(JSON.parse(data.toString()));
    for (const w of [...waiters]) w();
  });
  ws.on('error', () => {});
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const beat = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'heartbeat' })), 200);
  const closed = new Promise((resolve) => ws.on('close', () => { clearInterval(beat); resolve(); }));
  ws.send(JSON.stringify({ type: 'hello', id: 'x', timeout: 5000, version: 2, body: firstBody }));
  return {
    ws,
    closed,
    msg(body) { ws.send(JSON.stringify({ type: 'msg', body })); },
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
  };
}

const track = (id, kind, enabled = true) => ({ id, kind, name: id, enabled, priority: 'standard' });
const connectMsg = (identity, room, tracks) => ({
  type: 'connect', version: 2, name: room, token: tok(srv, identity, room),
  participant: { revision: 1, tracks }, peer_connections: [], ice_servers: 'acquire', format: 'unified',
});

async function join(identity, room, tracks) {
  const c = await openTw(connectMsg(identity, room, tracks));
  const connected = await c.next((b) => b.type === 'connected');
  const sids = Object.fromEntries(connected.published.tracks.map((t) => [t.id, t.sid]));
  return { c, connected, sids };
}

/** The room's events, as [event, identity, track name] (after the n-th of `last`). */
async function eventsOf(room, last, n = 1) {
  await rx.seen((e) => e.params.RoomName === room && e.params.StatusCallbackEvent === last, n);
  return rx.events.filter((e) => e.params.RoomName === room)
    .map((e) => [e.params.StatusCallbackEvent, e.params.ParticipantIdentity, e.params.TrackName, e.params.TrackSid]);
}

describe('track-removed before participant-disconnected', () => {
  it('a REST kick: each published track removed (its MT sid), then the participant disconnected', async () => {
    const { c, connected, sids } = await join('kim', 'tl-kick', [track('mic', 'audio'), track('cam', 'video')]);
    const kick = await srv.request('POST', `/v1/Rooms/tl-kick/Participants/${connected.participant.sid}`, { auth: srv.keyAuth, form: { Status: 'disconnected' } });
    assertStatus(kick, 200);
    await c.closed;
    assert.deepEqual(await eventsOf('tl-kick', 'participant-disconnected'), [
      ['room-created', undefined, undefined, undefined], ['participant-connected', 'kim', undefined, undefined],
      ['track-added', 'kim', 'mic', sids.mic], ['track-added', 'kim', 'cam', sids.cam],
      ['track-removed', 'kim', 'mic', sids.mic], ['track-removed', 'kim', 'cam', sids.cam],
      ['participant-disconnected', 'kim', undefined, undefined]]);
  });

  it('a completed room: each participant\'s tracks removed before its disconnect, then room-ended', async () => {
    const a = await join('ada', 'tl-done', [track('mic', 'audio')]);
    const b = await join('bo', 'tl-done', [track('cam', 'video'), track('chat', 'data')]);
    // an unpublished track is not removed twice
    b.c.msg({ type: 'update', participant: { revision: 2, tracks: [track('cam', 'video')] } });
    await b.c.next((m) => m.type === 'update' && m.published && m.published.tracks.length === 1);
    assertStatus(await srv.request('POST', '/v1/Rooms/tl-done', { auth: srv.keyAuth, form: { Status: 'completed' } }), 200);
    await Promise.all([a.c.closed, b.c.closed]);
    const evs = await eventsOf('tl-done', 'room-ended');
    const at = (ev) => evs.findIndex((e) => e[0] === ev[0] && e[1] === ev[1] && e[2] === ev[2]);
    const end = evs.slice(evs.findIndex((e) => e[0] === 'track-removed' && e[2] === 'chat') + 1);
    assert.deepEqual(end.map((e) => e.slice(0, 3)).sort(), [
      ['participant-disconnected', 'ada', undefined], ['participant-disconnected', 'bo', undefined],
      ['room-ended', undefined, undefined], ['track-removed', 'ada', 'mic'], ['track-removed', 'bo', 'cam']]);
    assert.ok(at(['track-removed', 'ada', 'mic']) < at(['participant-disconnected', 'ada']), JSON.stringify(evs));
    assert.ok(at(['track-removed', 'bo', 'cam']) < at(['participant-disconnected', 'bo']), JSON.stringify(evs));
    assert.equal(evs.at(-1)[0], 'room-ended');
    assert.deepEqual(end.filter((e) => e[0] === 'track-removed').map((e) => e[3]), [a.sids.mic, b.sids.cam]);
  });
});

describe('a sync records its track changes as an update does', () => {
  it('a track disabled, one unpublished and one published while the socket was down', async () => {
    const room = 'tl-sync';
    const { c, connected, sids } = await join('sy', room, [track('mic', 'audio'), track('cam', 'video')]);
    c.ws.terminate();
    await c.closed;
    const s = await openTw({ type: 'sync', version: 2, session: connected.session, name: room, token: tok(srv, 'sy', room),
      participant: { revision: 2, tracks: [track('mic', 'audio', false), track('chat', 'data')] }, peer_connections: [] });
    const synced = await s.next((b) => b.type === 'synced');
    assert.equal(synced.participant.sid, connected.participant.sid);
    const pub = Object.fromEntries(synced.published.tracks.map((t) => [t.id, t.sid]));
    assert.deepEqual(Object.keys(pub).sort(), ['chat', 'mic']);
    assert.equal(pub.mic, sids.mic, 'the same track keeps its sid');
    s.msg({ type: 'disconnect', version: 2, session: connected.session });
    await s.closed;
    assert.deepEqual(await eventsOf(room, 'participant-disconnected'), [
      ['room-created', undefined, undefined, undefined], ['participant-connected', 'sy', undefined, undefined],
      ['track-added', 'sy', 'mic', sids.mic], ['track-added', 'sy', 'cam', sids.cam],
      // the sync's changes
      ['track-removed', 'sy', 'cam', sids.cam], ['track-disabled', 'sy', 'mic', sids.mic], ['track-added', 'sy', 'chat', pub.chat],
      // still published at the leave
      ['track-removed', 'sy', 'mic', sids.mic], ['track-removed', 'sy', 'chat', pub.chat],
      ['participant-disconnected', 'sy', undefined, undefined]]);
  });
});
