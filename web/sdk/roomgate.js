// roomgate.js - the browser SDK for roomgate's peer-to-peer rooms.
//
//   import * as roomgate from '/sdk/roomgate.js';
//   const room = await roomgate.connect(location.origin, token, { audio: true, video: true });
//   room.on('trackSubscribed', (track, participant) => { ... });
//
// One WebSocket to the server's GET /v1/signal carries the signaling
// (DESIGN.md, "Signaling protocol"); media flows peer to peer, one
// RTCPeerConnection per remote participant (a mesh, fine for the small
// rooms roomgate serves), encrypted end to end by DTLS-SRTP.  The server
// only relays `signal` messages; their `data` is ours:
//   {description: RTCSessionDescriptionInit} | {candidate: RTCIceCandidateInit}
//   | {state: {audio: bool, video: bool}}  (so tiles can show a muted mic)
//
// Negotiation follows the W3C "perfect negotiation" pattern: the participant
// whose sid sorts first is polite (it rolls back its own offer on a
// collision), so an offer glare never breaks a call.  The newcomer offers
// to everyone already in the room; the others answer, and offer themselves
// only if no offer came (a safety net, glare-proof as above).  A failed or
// long-disconnected ICE transport, or a network change, triggers an ICE
// restart.
//
// Plain ES module, no dependency, no build step.

const SIGNAL_PATH = '/v1/signal';
const JOIN_TIMEOUT_MS = 15000; // joined or error must come by then (not in a lobby)
const OFFER_GRACE_MS = 3000; // how long an answerer waits for the newcomer's offer
const DISCONNECTED_GRACE_MS = 4000; // ICE 'disconnected' this long -> restart
const CONNECTION_LOST = 53000; // Twilio's "signaling connection error"
const DENIED = 53217; // the server's code for a lobby refusal
const SERVER_DRAINING = 53001; // the server asked us to reconnect (it is shutting down)
const REJOIN_ATTEMPTS = 6; // joins tried after a `reconnect` hint (options.reconnect)
const REJOIN_BASE_MS = 250; // first backoff; doubles, jittered, at most REJOIN_MAX_MS
const REJOIN_MAX_MS = 5000;
// Errors after joining that leave the connection open (docs/signaling.md):
// an unknown or already-answered participant, a right we lack, a bad message.
const NON_FATAL = new Set([53204, 4008, 53004]);
const SEND_RATE = 40; // messages per second we allow ourselves (the server's default cap is 50)

/** An Error carrying the server's numeric `.code` (53105 room full, ...). */
export class RoomError extends Error {
  constructor(code, message) {
    super(message || `roomgate error ${code}`);
    this.name = 'RoomError';
    this.code = code;
  }
}

class Emitter {
  constructor() { this._handlers = new Map(); }
  on(name, fn) {
    if (!this._handlers.has(name)) this._handlers.set(name, new Set());
    this._handlers.get(name).add(fn);
    return this;
  }
  off(name, fn) { this._handlers.get(name)?.delete(fn); return this; }
  once(name, fn) {
    const wrap = (...a) => { this.off(name, wrap); fn(...a); };
    return this.on(name, wrap);
  }
  emit(name, ...args) {
    for (const fn of [...(this._handlers.get(name) || [])]) {
      try { fn(...args); } catch (e) { console.error(`roomgate: '${name}' handler threw`, e); }
    }
  }
}

/** http(s)://host[/] or ws(s)://host[/path] -> the signaling WebSocket URL. */
export function signalUrl(url) {
  const u = new URL(url, globalThis.location?.href);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.pathname === '/' || u.pathname === '') u.pathname = SIGNAL_PATH;
  return u.toString();
}

/** The token's claims, without verifying it (the server does that). */
function claims(token) {
  try {
    const seg = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(seg + '='.repeat((4 - (seg.length % 4)) % 4));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

/** A participant as the server names it: {sid, identity} (or a bare sid). */
function who(p) {
  if (typeof p === 'string') return { sid: p, identity: p };
  return { sid: p?.sid, identity: p?.identity ?? p?.sid };
}

export class LocalParticipant {
  constructor(stream, room) {
    this.sid = null;
    this.identity = null;
    this.stream = stream; // MediaStream with at most one audio and one video track
    this._room = room;
  }
  track(kind) { return this.stream.getTracks().find((t) => t.kind === kind) || null; }
  get audioTrack() { return this.track('audio'); }
  get videoTrack() { return this.track('video'); }
  isEnabled(kind) { const t = this.track(kind); return !!t && t.enabled && t.readyState === 'live'; }
  get audioEnabled() { return this.isEnabled('audio'); }
  get videoEnabled() { return this.isEnabled('video'); }
  /** Mute keeps the track and its sender (no renegotiation): peers get silence/black. */
  setEnabled(kind, on) {
    const t = this.track(kind);
    if (!t) return false;
    t.enabled = !!on;
    this._room?._broadcastState();
    return true;
  }
  muteAudio() { return this.setEnabled('audio', false); }
  unmuteAudio() { return this.setEnabled('audio', true); }
  muteVideo() { return this.setEnabled('video', false); }
  unmuteVideo() { return this.setEnabled('video', true); }
}

export class RemoteParticipant {
  constructor({ sid, identity }) {
    this.sid = sid;
    this.identity = identity;
    this.stream = new MediaStream(); // the tracks received from this participant
    this.audioEnabled = true; // as the participant last told us
    this.videoEnabled = true;
    this.pc = null;
  }
  get connectionState() { return this.pc ? this.pc.connectionState : 'new'; }
  get tracks() { return this.stream.getTracks(); }
}

/** One RTCPeerConnection with a remote participant, perfect negotiation. */
class Peer {
  constructor(room, participant, initiator) {
    this.room = room;
    this.participant = participant;
    this.polite = room.localParticipant.sid < participant.sid;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.answerPending = false; // setting a remote answer is in progress
    this.attached = false; // local tracks added
    this.queue = Promise.resolve(); // incoming signals, handled in order
    this.closed = false;
    this.timers = new Set();
    const pc = new RTCPeerConnection({ iceServers: room.iceServers, ...room._rtcConfig });
    this.pc = participant.pc = pc;
    pc.onnegotiationneeded = () => this.offer();
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.send({ candidate: candidate.toJSON() });
    };
    pc.ontrack = ({ track }) => this.onTrack(track);
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState === 'failed') this.restartIce();
    };
    pc.onconnectionstatechange = () => this.onConnectionState();
    if (initiator) this.attach();
    else this.later(OFFER_GRACE_MS, () => this.attach()); // no offer came: offer ourselves
  }

  later(ms, fn) {
    const t = setTimeout(() => { this.timers.delete(t); if (!this.closed) fn(); }, ms);
    this.timers.add(t);
    return t;
  }

  send(data) { this.room._send({ type: 'signal', to: this.participant.sid, data }); }

  /** Local tracks into the connection.  After a remote offer, addTrack
   * reuses the transceivers it created; before any, one transceiver per
   * kind (recvonly when we have no such track) so there is always media
   * to negotiate and the remote side's tracks have somewhere to land. */
  attach() {
    if (this.attached || this.closed) return;
    this.attached = true;
    const stream = this.room.localParticipant.stream;
    const fromOffer = this.pc.getTransceivers().length > 0;
    for (const kind of ['audio', 'video']) {
      const track = stream.getTracks().find((t) => t.kind === kind);
      if (fromOffer) {
        if (track) this.pc.addTrack(track, stream);
      } else if (track) {
        this.pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
      } else {
        this.pc.addTransceiver(kind, { direction: 'recvonly' });
      }
    }
    this.send({ state: this.room._localState() });
  }

  async offer() {
    if (this.closed) return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.send({ description: this.pc.localDescription.toJSON() });
    } catch (e) {
      this.room._warn('offer failed', e);
    } finally {
      this.makingOffer = false;
    }
  }

  receive(data) {
    this.queue = this.queue.then(() => this.handle(data)).catch((e) => this.room._warn('signal failed', e));
  }

  async handle(data) {
    if (this.closed || !data || typeof data !== 'object') return;
    const pc = this.pc;
    if (data.description) {
      const d = data.description;
      const ready = !this.makingOffer && (pc.signalingState === 'stable' || this.answerPending);
      const collision = d.type === 'offer' && !ready;
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      this.answerPending = d.type === 'answer';
      try {
        await pc.setRemoteDescription(d); // rolls back our own offer if we are polite
      } finally {
        this.answerPending = false;
      }
      if (d.type === 'offer') {
        this.attach();
        await pc.setLocalDescription();
        this.send({ description: pc.localDescription.toJSON() });
      }
    } else if (data.candidate) {
      try {
        await pc.addIceCandidate(data.candidate);
      } catch (e) {
        if (!this.ignoreOffer) throw e; // candidates of an ignored offer may fail
      }
    } else if (data.state) {
      this.participant.audioEnabled = data.state.audio !== false;
      this.participant.videoEnabled = data.state.video !== false;
      this.room.emit('participantUpdated', this.participant);
    }
  }

  onTrack(track) {
    const p = this.participant;
    for (const old of p.stream.getTracks()) if (old.kind === track.kind && old !== track) p.stream.removeTrack(old);
    if (!p.stream.getTracks().includes(track)) p.stream.addTrack(track);
    track.addEventListener('ended', () => {
      p.stream.removeTrack(track);
      this.room.emit('trackUnsubscribed', track, p);
    });
    this.room.emit('trackSubscribed', track, p);
  }

  onConnectionState() {
    const state = this.pc.connectionState;
    this.room.emit('connectionStateChanged', state, this.participant);
    if (state === 'failed') this.restartIce();
    else if (state === 'disconnected') {
      this.later(DISCONNECTED_GRACE_MS, () => {
        if (this.pc.connectionState === 'disconnected') this.restartIce();
      });
    }
  }

  /** Fires negotiationneeded with fresh ICE credentials on our next offer. */
  restartIce() {
    if (this.closed || !this.attached) return;
    this.room.emit('reconnecting', this.participant);
    this.pc.restartIce();
  }

  close() {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pc.onnegotiationneeded = this.pc.onicecandidate = this.pc.ontrack = null;
    this.pc.oniceconnectionstatechange = this.pc.onconnectionstatechange = null;
    this.pc.close();
    for (const t of this.participant.stream.getTracks()) t.stop();
  }
}

/**
 * A joined room.  Events (room.on(name, fn)):
 *   participantConnected(p), participantDisconnected(p), participantUpdated(p)
 *   trackSubscribed(track, p), trackUnsubscribed(track, p)
 *   connectionStateChanged(state, p), reconnecting(p)
 *   entryRequested(guest)            a guest waits in the lobby (hosts only)
 *   entryResponded({participant, decision})
 *   muted({kind, by})                a moderator muted our track
 *   error(err)                       the server refused one request; still connected
 *                                    (53204 unknown/answered participant, 4008 no right)
 *   disconnected(room, error|null)   error.code: 53205 replaced, 53000 lost,
 *                                    53001 the server is shutting down (without
 *                                    options.reconnect, or when no rejoin worked)
 *   rejoining(attempt)               options.reconnect: the server is shutting down
 *                                    and asked us to reconnect; remote participants
 *                                    were disconnected, we join again (same token)
 *   rejoined()                       joined again (participants come back)
 *   waiting()                        (before connect resolves: pass options.on)
 */
export class Room extends Emitter {
  constructor(options) {
    super();
    this.sid = null;
    this.name = null;
    this.type = null;
    this.state = 'connecting';
    this.participants = new Map(); // sid -> RemoteParticipant
    this.pendingEntries = new Map(); // sid -> {sid, identity}, guests in the lobby
    this.iceServers = [];
    this.localParticipant = null;
    this._rtcConfig = options.rtcConfig || {};
    this._peers = new Map();
    this._ws = null;
    this._lastError = null;
    this._outbox = [];
    this._sentAt = [];
    this._flushTimer = null;
    this._onNetwork = () => this._restartAll();
  }

  /** Let a guest in (hosts with allow_join). */
  admit(sid) { this._decide(sid, 'allowed'); }
  deny(sid) { this._decide(sid, 'denied'); }
  /** Moderators (allow_mod): ask a participant to stop sending a track. */
  mute(sid, kind) {
    if (kind !== 'audio' && kind !== 'video') throw new TypeError("kind must be 'audio' or 'video'");
    this._send({ type: 'mute', participant: sid, kind });
  }
  kick(sid) { this._send({ type: 'kick', participant: sid }); }

  /** Leave: close every connection and stop the local tracks. */
  disconnect() { this._teardown(null); }

  _decide(sid, decision) {
    this._send({ type: 'entry_response', participant: sid, decision });
    const guest = this.pendingEntries.get(sid);
    this.pendingEntries.delete(sid);
    if (guest) this.emit('entryResponded', { participant: guest, decision });
  }

  /** Sends in order, at most SEND_RATE a second: the server drops a
   * connection that goes faster, and ICE candidates come in bursts. */
  _send(msg) {
    this._outbox.push(JSON.stringify(msg));
    this._flush();
  }

  _flush() {
    const ws = this._ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      this._outbox.length = 0;
      return;
    }
    const now = performance.now();
    while (this._sentAt.length && now - this._sentAt[0] >= 1000) this._sentAt.shift();
    while (this._outbox.length && this._sentAt.length < SEND_RATE) {
      ws.send(this._outbox.shift());
      this._sentAt.push(now);
    }
    if (this._outbox.length && !this._flushTimer) {
      const wait = 1000 - (now - this._sentAt[0]) + 5;
      this._flushTimer = setTimeout(() => { this._flushTimer = null; this._flush(); }, wait);
    }
  }

  _warn(what, e) { console.warn(`roomgate: ${what}:`, e); }

  _localState() {
    const lp = this.localParticipant;
    return { audio: lp.audioEnabled, video: lp.videoEnabled };
  }

  _broadcastState() {
    for (const peer of this._peers.values()) if (peer.attached) peer.send({ state: this._localState() });
  }

  _restartAll() { for (const peer of this._peers.values()) peer.restartIce(); }

  /** The `joined` message: who we are, who is here, how to reach them. */
  _joined(msg) {
    this.sid = msg.room?.sid ?? null;
    this.name = msg.room?.name ?? null;
    this.type = msg.room?.type ?? null;
    this.localParticipant.sid = msg.participant?.sid ?? null;
    this.localParticipant.identity = msg.participant?.identity ?? null;
    if (Array.isArray(msg.ice_servers)) this.iceServers = msg.ice_servers.map(iceServer).filter(Boolean);
    this.state = 'connected';
    globalThis.addEventListener?.('online', this._onNetwork);
    globalThis.navigator?.connection?.addEventListener?.('change', this._onNetwork);
    for (const p of msg.participants || []) {
      if (who(p).sid !== this.localParticipant.sid) this._add(p, true);
    }
  }

  _add(p, initiator) {
    const { sid, identity } = who(p);
    if (!sid || sid === this.localParticipant.sid) return null;
    let rp = this.participants.get(sid);
    if (rp) return rp;
    rp = new RemoteParticipant({ sid, identity });
    this.participants.set(sid, rp);
    this._peers.set(sid, new Peer(this, rp, initiator));
    this.emit('participantConnected', rp);
    return rp;
  }

  _remove(sid) {
    const rp = this.participants.get(sid);
    if (!rp) return;
    this._peers.get(sid)?.close();
    this._peers.delete(sid);
    this.participants.delete(sid);
    this.emit('participantDisconnected', rp);
  }

  /** Messages once joined. */
  _message(msg) {
    switch (msg.type) {
      case 'participant_joined': {
        const p = this._add(msg.participant, false);
        // an admitted guest: whoever answered, the request is settled
        if (p && this.pendingEntries.delete(p.sid)) this.emit('entryResponded', { participant: who(msg.participant), decision: 'allowed' });
        break;
      }
      case 'participant_left':
        this._remove(who(msg.participant).sid);
        this.pendingEntries.delete(who(msg.participant).sid);
        break;
      case 'signal': {
        if (typeof msg.from !== 'string') break;
        if (!this.participants.has(msg.from)) this._add({ sid: msg.from }, false);
        this._peers.get(msg.from)?.receive(msg.data);
        break;
      }
      case 'entry_requested': {
        const guest = who(msg.participant);
        if (!guest.sid) break;
        this.pendingEntries.set(guest.sid, guest);
        this.emit('entryRequested', guest);
        break;
      }
      case 'entry_responded': {
        // Another host decided (or the guest left): the request is settled.
        const guest = who(msg.participant);
        if (guest.sid) this.pendingEntries.delete(guest.sid);
        this.emit('entryResponded', { participant: guest, decision: msg.decision });
        break;
      }
      case 'mute': {
        const kind = msg.kind;
        if (this.localParticipant.setEnabled(kind, false)) this.emit('muted', { kind, by: msg.by ?? msg.from ?? null });
        break;
      }
      case 'reconnect':
        this._serverLeaving();
        break;
      case 'resync':
        // Signaling between the server's nodes was interrupted (Redis):
        // what peers sent meanwhile may be lost, so renegotiate with an
        // ICE restart; a call whose media still flows is not torn down.
        this._restartAll();
        break;
      case 'error': {
        const err = new RoomError(msg.code, msg.message);
        this._lastError = { err, at: Date.now() };
        if (NON_FATAL.has(msg.code)) this.emit('error', err);
        else this._teardown(err);
        break;
      }
      default:
        break; // newer servers may say more; ignore what we don't know
    }
  }

  /** The server is draining (docs/signaling.md, "reconnect"): leave it
   * before it closes us.  With options.reconnect, join again with the same
   * token after a short jittered backoff (another instance behind the same
   * URL, or this one restarted); otherwise, or when every attempt fails,
   * disconnected with 53001. */
  _serverLeaving() {
    const going = new RoomError(SERVER_DRAINING, 'The server is shutting down; connect again');
    if (!this._reconnect) { this._teardown(going); return; }
    if (this.state !== 'connected') return;
    this.state = 'reconnecting';
    this._detachSocket();
    for (const sid of [...this.participants.keys()]) this._remove(sid);
    this.pendingEntries.clear();
    const attempt = (n) => {
      if (this.state !== 'reconnecting') return; // disconnect() meanwhile
      if (n >= this._reconnect.attempts) { this._teardown(going); return; }
      const delay = Math.min(REJOIN_MAX_MS, this._reconnect.baseMs * 2 ** n) * (0.5 + Math.random() / 2);
      this.emit('rejoining', n + 1);
      this._rejoinTimer = setTimeout(() => {
        open(this, this._url, this._token, this._options, true).then(
          () => this.emit('rejoined'),
          () => attempt(n + 1));
      }, delay);
    };
    attempt(0);
  }

  _detachSocket() {
    clearTimeout(this._flushTimer);
    this._flushTimer = null;
    this._outbox.length = 0;
    if (this._ws) {
      this._ws.onclose = this._ws.onmessage = this._ws.onerror = null;
      if (this._ws.readyState <= WebSocket.OPEN) this._ws.close(1000);
    }
  }

  _teardown(error) {
    if (this.state === 'disconnected') return;
    const wasConnected = this.state === 'connected' || this.state === 'reconnecting';
    clearTimeout(this._rejoinTimer);
    this.state = 'disconnected';
    globalThis.removeEventListener?.('online', this._onNetwork);
    globalThis.navigator?.connection?.removeEventListener?.('change', this._onNetwork);
    this._detachSocket();
    for (const sid of [...this.participants.keys()]) this._remove(sid);
    this.pendingEntries.clear();
    if (this._ownsTracks) for (const t of this.localParticipant.stream.getTracks()) t.stop();
    if (wasConnected) this.emit('disconnected', this, error);
  }
}

function iceServer(s) {
  if (!s || typeof s !== 'object') return null;
  const urls = s.urls ?? s.url;
  if (!urls) return null;
  const out = { urls };
  if (s.username !== undefined) out.username = s.username;
  if (s.credential !== undefined) out.credential = s.credential;
  return out;
}

async function localStream(options) {
  if (options.stream) return { stream: options.stream, owned: false };
  const audio = options.audio ?? true;
  const video = options.video ?? true;
  if (!audio && !video) return { stream: new MediaStream(), owned: true };
  const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
  return { stream, owned: true };
}

/**
 * Join a room.  url: the server (http(s)://host:port) or the signaling
 * WebSocket URL.  options: {audio, video} (booleans or constraints,
 * default true), stream (a MediaStream to send instead of getUserMedia),
 * room (when the token names none), on ({event: handler}, registered
 * before joining: 'waiting' and 'entryResponded' happen before connect
 * resolves), timeout (ms to wait for `joined`, lobby excluded),
 * rtcConfig (extra RTCPeerConnection configuration), reconnect (true or
 * {attempts, baseMs}: when the server says it is shutting down, join again
 * with the same token instead of disconnecting; see the rejoining and
 * rejoined events).
 *
 * Resolves with a Room on `joined` (after admission for an ask_join
 * token); rejects with a RoomError whose .code is the server's (53105
 * room full, 53205 replaced, 20104 expired, ...), or 53000 when the
 * connection drops first.
 */
export async function connect(url, token, options = {}) {
  if (typeof token !== 'string' || token === '') throw new TypeError('a token is required');
  const room = new Room(options);
  for (const [name, fn] of Object.entries(options.on || {})) room.on(name, fn);
  const { stream, owned } = await localStream(options);
  room.localParticipant = new LocalParticipant(stream, room);
  room._ownsTracks = owned;
  room._url = url;
  room._token = token;
  room._options = options;
  const r = options.reconnect;
  room._reconnect = r ? { attempts: r.attempts ?? REJOIN_ATTEMPTS, baseMs: r.baseMs ?? REJOIN_BASE_MS } : null;
  await open(room, url, token, options, false);
  return room;
}

/* One signaling connection and its join.  rejoin: the room was connected
 * before (a `reconnect` hint): a failure rejects without tearing the room
 * down, so the caller may try again. */
function open(room, url, token, options, rejoin) {
  const asksToJoin = (claims(token).permissions || []).includes?.('ask_join');
  const joinTimeout = options.timeout ?? JOIN_TIMEOUT_MS;
  if (rejoin) room.state = 'connecting';

  return new Promise((resolve, reject) => {
    let settled = false;
    let timer = null;
    const ws = new WebSocket(signalUrl(url));
    room._ws = ws;
    const arm = (ms) => {
      clearTimeout(timer);
      timer = ms > 0 ? setTimeout(() => fail(new RoomError(CONNECTION_LOST, 'Timed out joining the room')), ms) : null;
    };
    const fail = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // a refusal in 4000-4999 (4052: the room was deactivated) is final:
      // joining again cannot help, so a rejoin ends there too
      if (rejoin && room.state !== 'disconnected' && !(err.code >= 4000 && err.code <= 4999)) {
        room._detachSocket();
        room.state = 'reconnecting';
      } else room._teardown(err);
      reject(err);
    };
    const waiting = () => {
      if (room.state !== 'connecting') return;
      room.state = 'waiting';
      arm(options.lobbyTimeout ?? 0); // the server times a guest out
      room.emit('waiting');
    };
    arm(joinTimeout);
    ws.onopen = () => {
      const join = { type: 'join', token };
      if (options.room) join.room = options.room;
      room._send(join);
      if (asksToJoin) waiting();
    };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (!msg || typeof msg !== 'object') return;
      if (settled) return room._message(msg);
      switch (msg.type) {
        case 'joined':
          settled = true;
          clearTimeout(timer);
          room._joined(msg);
          resolve(room);
          break;
        case 'error':
          fail(new RoomError(msg.code, msg.message));
          break;
        case 'waiting':
        case 'lobby':
          waiting();
          break;
        case 'entry_responded':
          room.emit('entryResponded', { participant: room.localParticipant, decision: msg.decision });
          if (msg.decision === 'allowed') arm(joinTimeout);
          else fail(new RoomError(msg.code ?? DENIED, msg.message || 'A host declined your request to join'));
          break;
        default:
          break;
      }
    };
    ws.onclose = (ev) => {
      // 4000-4999 is the server's own reason (4052: the room was deactivated),
      // final: report that code, never CONNECTION_LOST, and do not rejoin.
      const final = ev.code >= 4000 && ev.code <= 4999;
      if (!settled) {
        fail(final ? new RoomError(ev.code, `Signaling connection closed (${ev.code})`)
          : new RoomError(CONNECTION_LOST, `Signaling connection closed (${ev.code})`));
      } else {
        // A fatal error is followed by the close; a non-fatal one just before a drop explains it.
        const last = room._lastError;
        const recent = last && Date.now() - last.at < 2000;
        const why = final ? new RoomError(ev.code, `Signaling connection closed (${ev.code})`)
          : new RoomError(CONNECTION_LOST, `Signaling connection lost (${ev.code})`);
        room._teardown(recent ? last.err : why);
      }
    };
    ws.onerror = () => {}; // onclose follows with the details we have
  });
}

export default { connect, signalUrl, RoomError, Room, LocalParticipant, RemoteParticipant };
