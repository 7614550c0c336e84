// GET /signaling on raw WebSockets: Twilio's envelope (hello, welcome, msg,
// heartbeat, bye) and the room messages of twilio-video.js (ice, connect,
// update, disconnect), what the server answers, and what bad input does
// (a `bad` or an error saying why, then a clean close).  The browser side
// with the real SDK is tests/e2e/twilio.test.js.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { join as rgJoin, tok, connectedList } from './lib/signal.js';

const PING_MS = 400; // the keepalive period: the welcome's negotiatedTimeout
let srv;
before(async () => {
  srv = await startServer({ args: ['--access-log', 'off', '--signal-ping-interval', String(PING_MS)] });
  srv.cli(['room', 'create', '--account', srv.account.sid, '--name', 'tw-pair', '--type', 'go']);
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/** A raw /signaling client: env(msg) sends an envelope, next(pred) waits.
 * After the welcome it sends heartbeats as the SDK does, unless `silent`. */
async function open({ silent = false } = {}) {
  const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + '/signaling');
  let beat = null;
  ws.on('close', () => clearInterval(beat));
  const inbox = [];
  const waiters = [];
  const c = {
    ws,
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    raw(text) { ws.send(text); },
    env(m) { ws.send(JSON.stringify(m)); },
    hello(body) { c.env({ type: 'hello', id: 'x', timeout: 5000, version: 2, ...(body ? { body } : {}) }); },
    msg(body) { c.env({ type: 'msg', body }); },
    /** The next envelope pred accepts (others stay in the inbox). */
    next(pred = () => true, ms = 5000) {
      const i = inbox.findIndex(pred);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        w.timer = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); reject(new Error(`nothing matching within ${ms} ms; inbox ${JSON.stringify(inbox).slice(0, 800)}`)); }, ms);
        waiters.push(w);
      });
    },
    /** The next room message (msg body) of this type. */
    body(type, ms) { return c.next((m) => m.type === 'msg' && m.body.type === type, ms).then((m) => m.body); },
    /** The next update carrying this field. */
    update(field, ms) { return c.next((m) => m.type === 'msg' && m.body.type === 'update' && m.body[field], ms).then((m) => m.body); },
    /** Every envelope up to the first pred accepts, in order. */
    async until(pred, ms) {
      const seen = [];
      for (;;) { const m = await c.next(() => true, ms); seen.push(m); if (pred(m)) return seen; }
    },
  };
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    if (m.type === 'welcome' && !silent && !beat) beat = setInterval(() => c.env({ type: 'heartbeat' }), PING_MS / 2);
    const i = waiters.findIndex((w) => w.pred(m));
    if (i >= 0) { const [w] = waiters.splice(i, 1); clearTimeout(w.timer); w.resolve(m); } else inbox.push(m);
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return c;
}

const track = (id, kind, enabled = true) => ({ id, kind, name: id, enabled, priority: 'standard' });
const offer = (id, rev = 1) => ({ id, description: { type: 'offer', revision: rev, sdp: `v=0 offer ${id} ${rev}` } });
const connectMsg = (identity, room, tracks = [], pcs = [], extra = {}) => ({
  type: 'connect', version: 2, name: room, token: tok(srv, identity, room),
  participant: { revision: 1, tracks }, peer_connections: pcs, ice_servers: 'acquire', format: 'unified', ...extra,
});

/** hello with connect; resolves {c, connected}. */
async function joinTw(identity, room, tracks, pcs) {
  const c = await open();
  c.hello(connectMsg(identity, room, tracks, pcs));
  const welcome = await c.next((m) => m.type === 'welcome');
  assert.equal(welcome.negotiatedTimeout, PING_MS);
  const first = await c.next((m) => m.type === 'msg');
  return { c, connected: first.body };
}

describe('the envelope', () => {
  it('hello -> welcome, ice -> iced, then heartbeats', async () => {
    const c = await open({ silent: true });
    c.hello({ type: 'ice', version: 1, edge: 'roaming', token: tok(srv, 'ice-user', 'tw-any') });
    assert.deepEqual(await c.next(), { type: 'welcome', negotiatedTimeout: PING_MS });
    const iced = await c.body('iced');
    assert.ok(Array.isArray(iced.ice_servers));
    // the server's heartbeat keeps coming while the client sends its own
    c.env({ type: 'heartbeat' });
    assert.deepEqual(await c.next((m) => m.type === 'heartbeat', PING_MS * 4), { type: 'heartbeat' });
    c.env({ type: 'heartbeat' });
    await c.next((m) => m.type === 'heartbeat', PING_MS * 4);
    c.env({ type: 'bye' });
    assert.equal((await c.closed).code, 1000);
  });

  it('a silent client is dropped (the idle timeout)', async () => {
    const c = await open({ silent: true });
    c.hello({ type: 'ice', token: tok(srv, 'quiet', 'tw-any') });
    await c.body('iced');
    const seen = await c.until(() => false, PING_MS * 10).catch((e) => e);
    assert.ok(seen instanceof Error);
    const { code } = await c.closed;
    assert.notEqual(code, 1000);
  });

  for (const [what, send, reason] of [
    ['a message before hello', (c) => c.msg({ type: 'ice', token: 't' }), /first message is hello/],
    ['a heartbeat before hello', (c) => c.env({ type: 'heartbeat' }), /first message is hello/],
    ['hello of version 1', (c) => c.env({ type: 'hello', version: 1 }), /version 2/],
    ['an unknown envelope type', (c) => c.env({ type: 'welcome', negotiatedTimeout: 1 }), /unknown message type/],
    ['malformed JSON', (c) => c.raw('{"type":"hello",'), /malformed JSON/],
    ['a JSON array', (c) => c.raw('[]'), /JSON object/],
    ['duplicate keys', (c) => c.raw('{"type":"hello","version":2,"version":2}'), /malformed JSON/],
    ['a msg without a body', (c) => { c.hello(); c.env({ type: 'msg' }); }, /needs a body/],
    ['a second hello', (c) => { c.hello(); c.hello(); }, /already/],
  ]) {
    it(`${what}: bad, then the close`, async () => {
      const c = await open();
      send(c);
      const bad = await c.next((m) => m.type === 'bad');
      assert.match(bad.reason, reason);
      assert.equal((await c.closed).code, 1008);
    });
  }

  it('a body over the frame limit closes the socket (1009)', async () => {
    const c = await open();
    c.hello();
    await c.next((m) => m.type === 'welcome');
    c.msg({ type: 'update', padding: 'x'.repeat(70000) });
    assert.equal((await c.closed).code, 1009);
  });

  it('binary frames are refused', async () => {
    const c = await open();
    c.ws.send(Buffer.from('{"type":"hello","version":2}'));
    assert.equal((await c.closed).code, 1008);
  });
});

describe('room messages', () => {
  for (const [what, body, code] of [
    ['an unknown room message', () => ({ type: 'subscribe' }), 53004],
    ['connect without a token', () => ({ type: 'connect', name: 'r' }), 53004],
    ['a track of an unknown kind', () => ({ ...connectMsg('k', 'r'), participant: { revision: 1, tracks: [track('x', 'smell')] } }), 53004],
    ['update before connect', () => ({ type: 'update', peer_connections: [] }), 53004],
    ['a token that is not one', () => ({ type: 'connect', token: 'nope', name: 'r' }), 20101],
    ['a room sid that names no room', () => connectMsg('x', `RM${'0'.repeat(32)}`), 53106],
    ['a token for another room', () => ({ ...connectMsg('y', 'tw-a'), token: tok(srv, 'y', 'tw-b') }), 20101],
  ]) {
    it(`${what}: error ${code}, then the close`, async () => {
      const c = await open();
      c.hello(body());
      const err = await c.body('error');
      assert.equal(err.code, code);
      assert.equal(typeof err.message, 'string');
      assert.equal((await c.closed).code, 1008);
    });
  }

  it('connect -> connected; a second participant: offers relayed per peer connection, tracks and subscriptions with revisions', async () => {
    const { c: a, connected } = await joinTw('ann', 'tw-pair', [track('ann-mic', 'audio'), track('ann-cam', 'video')], [offer('pc-ann')]);
    assert.equal(connected.type, 'connected');
    assert.match(connected.sid, /^RM[0-9a-f]{32}$/);
    assert.equal(connected.name, 'tw-pair');
    assert.equal(connected.participant.identity, 'ann');
    assert.match(connected.participant.sid, /^PA[0-9a-f]{32}$/);
    assert.ok(connected.options.session_timeout > 0);
    assert.equal(typeof connected.session, 'string');
    assert.deepEqual(connected.published.tracks.map((t) => [t.id, t.state]), [['ann-mic', 'ready'], ['ann-cam', 'ready']]);
    for (const t of connected.published.tracks) assert.match(t.sid, /^MT[0-9a-f]{32}$/);
    assert.deepEqual(await connectedList(srv, 'tw-pair', 'identity'), ['ann']);

    const { c: b, connected: cb } = await joinTw('ben', 'tw-pair', [track('ben-mic', 'audio')], [offer('pc-ben')]);
    assert.equal(cb.type, 'connected');
    // ann hears of ben: his tracks by sid, and subscriptions naming his track ids
    const seenByAnn = await a.update('participants');
    const ben = seenByAnn.participants.find((p) => p.identity === 'ben');
    assert.equal(ben.state, 'connected');
    assert.deepEqual(ben.tracks.map((t) => t.kind), ['audio']);
    assert.deepEqual(seenByAnn.subscribed.tracks, [{ sid: ben.tracks[0].sid, id: 'ben-mic' }]);
    // the newcomer's first offer goes to ann; ann's own unpaired one is closed
    const pcs = await a.update('peer_connections');
    assert.deepEqual(pcs.peer_connections.map((p) => [p.id, p.description.type]), [['pc-ann', 'close'], ['pc-ben', 'offer']]);
    // ben hears of ann the same way: in his connected, as Twilio's server
    // says it, or (when he entered before ann's state was posted) in an update
    const seenByBen = cb.participants.length ? cb : await b.update('participants');
    const ann = seenByBen.participants[0];
    assert.equal(ann.identity, 'ann');
    assert.deepEqual(seenByBen.subscribed.tracks.map((t) => t.id), ['ann-mic', 'ann-cam']);
    assert.equal(seenByBen.subscribed.revision, 1);

    // ann answers and sends candidates on ben's id: ben gets them as sent
    const answer = { id: 'pc-ben', description: { type: 'answer', revision: 1, sdp: 'v=0 answer' } };
    a.msg({ type: 'update', version: 2, session: connected.session, peer_connections: [answer] });
    assert.deepEqual((await b.update('peer_connections')).peer_connections, [answer]);
    const ice = { id: 'pc-ben', ice: { candidates: [{ candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' }], ufrag: 'u', revision: 1 } };
    a.msg({ type: 'update', peer_connections: [ice] });
    assert.deepEqual((await b.update('peer_connections')).peer_connections, [ice]);
    // an id that pairs nobody is not relayed
    a.msg({ type: 'update', peer_connections: [offer('pc-nobody')] });

    // revisions: ben's revision 3 is applied, then his older revision 2 is not
    b.msg({ type: 'update', participant: { revision: 3, tracks: [track('ben-mic', 'audio', false)] } });
    const pub = await b.update('published');
    assert.equal(pub.published.revision, 2);
    assert.equal(pub.published.tracks[0].sid, cb.published.tracks[0].sid, 'the same track keeps its sid');
    const disabled = await a.update('participants');
    assert.equal(disabled.participants[0].tracks[0].enabled, false);
    b.msg({ type: 'update', participant: { revision: 2, tracks: [] } });
    b.msg({ type: 'update', participant: { revision: 4, tracks: [track('ben-mic', 'audio'), track('ben-data', 'data')] } });
    const after = await a.until((m) => m.type === 'msg' && m.body.participants);
    const last = after.at(-1).body.participants[0];
    assert.deepEqual(last.tracks.map((t) => [t.kind, t.enabled]), [['audio', true], ['data', true]], 'revision 2 never showed');
    assert.ok(last.revision > disabled.participants[0].revision);
    assert.deepEqual(after.filter((m) => m.type === 'msg' && m.body.peer_connections), [], 'pc-nobody was not relayed');

    // ben says disconnect: ann sees him disconnected and his peer connection closed
    b.msg({ type: 'disconnect', version: 2, session: cb.session });
    assert.equal((await b.closed).code, 1000);
    const gone = await a.update('participants');
    assert.equal(gone.participants[0].state, 'disconnected');
    assert.deepEqual(gone.participants[0].tracks, []);
    assert.deepEqual(gone.subscribed.tracks, []);
    assert.deepEqual(gone.peer_connections.map((p) => [p.id, p.description.type]), [['pc-ben', 'close']]);
    assert.deepEqual(await connectedList(srv, 'tw-pair', 'identity'), ['ann']);
    a.env({ type: 'bye' });
    await a.closed;
  });

  it('a newcomer finds the room in its connected (participants, subscribed): nobody is asked for a state', async () => {
    const { c: a, connected: ca } = await joinTw('una', 'tw-told', [track('una-mic', 'audio')], [offer('pc-una')]);
    // una's REST tracks are posted with her record for newcomers, under one
    // lock (signal/twilio_room.c tw_flush): once REST shows them, so will
    // a newcomer's connected
    const url = `/v1/Rooms/tw-told/Participants/${ca.participant.sid}/PublishedTracks`;
    for (const deadline = Date.now() + 20000; ;) {
      const res = await srv.request('GET', url, { auth: srv.keyAuth });
      if (res.json.published_tracks?.length === 1) break;
      assert.ok(Date.now() < deadline, `una's tracks never showed: ${JSON.stringify(res.json)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const { c: b, connected: cb } = await joinTw('vic', 'tw-told', [track('vic-cam', 'video')], [offer('pc-vic')]);
    assert.deepEqual(cb.participants.map((p) => [p.sid, p.identity, p.state, p.tracks.map((t) => [t.kind, t.name])]),
      [[ca.participant.sid, 'una', 'connected', [['audio', 'una-mic']]]]);
    assert.deepEqual(cb.subscribed, { revision: 1, tracks: [{ sid: cb.participants[0].tracks[0].sid, id: 'una-mic' }] });
    assert.equal(cb.participants[0].tracks[0].sid, ca.published.tracks[0].sid);
    // una hears of vic, and vic's first offer; then an update of una's
    // tracks reaches vic with the subscriptions that changed
    const seenByUna = await a.update('participants');
    assert.deepEqual(seenByUna.participants.map((p) => p.identity), ['vic']);
    assert.deepEqual(seenByUna.subscribed.tracks.map((t) => t.id), ['vic-cam']);
    a.msg({ type: 'update', participant: { revision: 2, tracks: [track('una-mic', 'audio'), track('una-cam', 'video')] } });
    const more = await b.update('participants');
    assert.deepEqual(more.participants[0].tracks.map((t) => t.name), ['una-mic', 'una-cam']);
    assert.deepEqual(more.subscribed.tracks.map((t) => t.id), ['una-mic', 'una-cam']);
    assert.equal(more.subscribed.revision, 2);
    // the same tracks disabled: a state without new subscriptions
    a.msg({ type: 'update', participant: { revision: 3, tracks: [track('una-mic', 'audio', false), track('una-cam', 'video')] } });
    const muted = await b.update('participants');
    assert.equal(muted.participants[0].tracks[0].enabled, false);
    assert.equal(muted.subscribed, undefined, 'subscriptions unchanged: not sent again');
    for (const c of [a, b]) { c.env({ type: 'bye' }); await c.closed; }
  });

  it('a newcomer is asked to offer (create-offer) to each participant its first offer does not go to', async () => {
    const hasPc = (id) => (m) => m.type === 'msg' && m.body.type === 'update' && (m.body.peer_connections || []).some((p) => p.id === id);
    const { c: a } = await joinTw('wes', 'tw-ask', [], []);
    // no first offer at all: asked for one on a fresh id, in its connected
    // (the SDK takes peer_connections there as in an update); that offer reaches wes
    const { c: b, connected: cb } = await joinTw('xia', 'tw-ask', [], []);
    const ask = cb.peer_connections;
    assert.equal(ask.length, 1);
    assert.match(ask[0].id, /^PC[0-9a-f]{32}$/);
    assert.deepEqual(ask[0].description, { type: 'create-offer', revision: 1 });
    b.msg({ type: 'update', peer_connections: [offer(ask[0].id)] });
    assert.deepEqual((await a.next(hasPc(ask[0].id))).body.peer_connections, [offer(ask[0].id)]);
    // a third with a first offer: it goes to one of them, and an offer on a
    // new id is asked for the other
    const { c: d, connected: cd } = await joinTw('yan', 'tw-ask', [], [offer('pc-yan')]);
    const asks = cd.peer_connections;
    assert.equal(asks.length, 1);
    assert.notEqual(asks[0].id, ask[0].id);
    assert.equal(asks[0].description.type, 'create-offer');
    const first = await Promise.any([a, b].map((c) => c.next(hasPc('pc-yan')).then(() => c)));
    const other = first === a ? b : a;
    d.msg({ type: 'update', peer_connections: [offer(asks[0].id)] });
    assert.deepEqual((await other.next(hasPc(asks[0].id))).body.peer_connections, [offer(asks[0].id)]);
    for (const c of [a, b, d]) { c.env({ type: 'bye' }); await c.closed; }
  });

  it('a client alone cannot grow its list of unpaired peer connections past 16', async () => {
    const { c: a } = await joinTw('lone', 'tw-lone', [], [offer('first')]);
    for (let i = 0; i < 4; i++) a.msg({ type: 'update', peer_connections: Array.from({ length: 16 }, (_, k) => offer(`x${i}-${k}`)) });
    // a socket's messages are handled in order: once this participant
    // revision is answered (published), the four updates were taken before
    // the second participant joins (whose join may run on the other loop)
    a.msg({ type: 'update', participant: { revision: 2, tracks: [] } });
    await a.update('published');
    const { c: b } = await joinTw('second', 'tw-lone', [], [offer('second-pc')]);
    const pcs = await a.update('peer_connections');
    const closed = pcs.peer_connections.filter((p) => p.description.type === 'close').map((p) => p.id);
    assert.equal(closed.length, 16, 'the first offer and the first 15 others, no more');
    assert.ok(closed.includes('first'));
    assert.deepEqual(pcs.peer_connections.filter((p) => p.description.type === 'offer').map((p) => p.id), ['second-pc']);
    for (const c of [a, b]) { c.env({ type: 'bye' }); await c.closed; }
  });

  it('a completed room refuses the connect with 53118', async () => {
    srv.cli(['room', 'create', '--account', srv.account.sid, '--name', 'tw-done', '--type', 'go']);
    const res = await srv.request('POST', '/v1/Rooms/tw-done', { auth: srv.accountAuth, form: { Status: 'completed' } });
    assert.equal(res.status, 200);
    const c = await open();
    c.hello(connectMsg('late', 'tw-done'));
    assert.equal((await c.body('error')).code, 53118);
    assert.equal((await c.closed).code, 1008);
  });

  it('a room is used by one protocol at a time: the other gets 53104', async () => {
    // roomgate's protocol first: a Twilio client is refused
    const { c: rg, joined } = await rgJoin(srv, tok(srv, 'native', 'mixed-1'));
    assert.equal(joined.type, 'joined');
    const t = await open();
    t.hello(connectMsg('twilio-user', 'mixed-1'));
    assert.equal((await t.body('error')).code, 53104);
    await t.closed;
    // Twilio's first: a roomgate client is refused
    const { c: tw } = await joinTw('twilio-user', 'mixed-2');
    const { c: rg2, joined: refused } = await rgJoin(srv, tok(srv, 'native', 'mixed-2'));
    assert.equal(refused.type, 'error');
    assert.equal(refused.code, 53104);
    await rg2.closed;
    assert.deepEqual(await connectedList(srv, 'mixed-2', 'identity'), ['twilio-user']);
    rg.close();
    tw.env({ type: 'bye' });
    await tw.closed;
  });
});

describe('sessions', () => {
  it('a dropped socket: the others see reconnecting; sync on a new socket resumes (synced), then connected', async () => {
    const { c: a, connected: ca } = await joinTw('rita', 'tw-resume', [track('rita-mic', 'audio')], [offer('pc-rita')]);
    const { c: b, connected: cb } = await joinTw('sam', 'tw-resume', [track('sam-mic', 'audio')], [offer('pc-sam')]);
    await a.update('participants');
    if (!cb.participants.length) await b.update('participants');
    let sock = a;
    // a few times: the new socket lands on either loop
    for (let round = 0; round < 4; round++) {
      sock.ws.close(4000, 'gone');
      await sock.closed;
      const down = await b.update('participants');
      assert.deepEqual(down.participants.map((p) => [p.identity, p.state]), [['rita', 'reconnecting']]);
      const n = await open();
      n.hello({ type: 'sync', version: 2, session: ca.session, name: 'tw-resume', token: tok(srv, 'rita', 'tw-resume'),
        participant: { revision: 1, tracks: [track('rita-mic', 'audio')] }, peer_connections: [{ id: 'pc-sam' }, { id: 'pc-gone' }] });
      const synced = await n.body('synced');
      assert.equal(synced.participant.sid, ca.participant.sid, 'the same participant');
      assert.deepEqual(synced.participants.map((p) => [p.identity, p.state]), [['sam', 'connected']]);
      assert.deepEqual(synced.peer_connections, [{ id: 'pc-sam' }], 'pc-gone pairs nobody: the client closes it');
      assert.deepEqual(synced.published.tracks.map((t) => t.id), ['rita-mic']);
      assert.deepEqual(synced.subscribed.tracks.map((t) => t.id), ['sam-mic']);
      const up = await b.update('participants');
      assert.deepEqual(up.participants.map((p) => [p.identity, p.state]), [['rita', 'connected']]);
      assert.ok(up.participants[0].revision > down.participants[0].revision);
      // the resumed session relays as before
      const desc = { id: 'pc-sam', description: { type: 'answer', revision: 1, sdp: `v=0 round ${round}` } };
      n.msg({ type: 'update', peer_connections: [desc] });
      assert.deepEqual((await b.update('peer_connections')).peer_connections, [desc]);
      assert.deepEqual(await connectedList(srv, 'tw-resume', 'identity'), ['rita', 'sam']);
      sock = n;
    }
    // a sync with another session, or another identity's token, gets 53002
    sock.ws.close(4000, 'gone');
    await sock.closed;
    for (const [session, who] of [['SEwrong', 'rita'], [ca.session, 'sam']]) {
      const x = await open();
      x.hello({ type: 'sync', session, name: 'tw-resume', token: tok(srv, who, 'tw-resume') });
      assert.equal((await x.body('error')).code, 53002);
      await x.closed;
    }
    b.env({ type: 'bye' });
    await b.closed;
  });
});
