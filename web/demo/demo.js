// demo.js - the /demo/ call page: join form, video tiles, lobby and
// moderation, all through the browser SDK at /sdk/roomgate.js.
import * as roomgate from '/sdk/roomgate.js';

const $ = (id) => document.getElementById(id);
const demo = { room: null, permissions: [] }; // window.roomgateDemo, for the e2e tests
window.roomgateDemo = demo;

// What each server code means for the person in front of the screen.
const MESSAGES = {
  53105: 'This room is full: a 1:1 room holds two people. Try another room name.',
  53205: 'You joined this room from another tab or device, so this one was disconnected.',
  53216: 'A moderator removed you from the room.',
  53217: 'A host declined your request to join.',
  53002: 'Nobody let you in before the lobby timed out. Try again later.',
  53118: 'This room has ended.',
  53106: 'This room does not exist.',
  53204: 'That participant is no longer here, or another host already answered.',
  4009: 'This room is full.',
  4002: 'The access token is not valid.',
  53000: 'The connection to the server was lost.',
  20104: 'Your access token has expired. Join again to get a fresh one.',
  20105: 'Your access token is not valid yet. Check the clock of this device.',
  20106: 'Your access token was revoked for this room.',
  20101: 'The access token is not valid.',
  20103: 'The access token was signed by an unknown or deleted key.',
  20107: 'The access token has a bad signature.',
  4008: 'Your token does not allow this.',
  4052: 'This room has been deactivated.',
};

function describe(err) {
  if (err?.name === 'NotAllowedError') return 'Camera and microphone access was refused. Allow it in the browser, or join without them.';
  if (err?.name === 'NotFoundError') return 'No camera or microphone was found. Untick them to join without.';
  const text = MESSAGES[err?.code] || err?.message || String(err);
  return err?.code ? `${text} (code ${err.code})` : text;
}

let bannerTimer = null;
function banner(kind, text) {
  const b = $('banner');
  b.className = `banner show ${kind}`;
  b.dataset.code = '';
  b.dataset.lobby = '';
  b.textContent = text;
  clearTimeout(bannerTimer);
  // news fades; errors stay until the next action
  if (kind === 'info' && demo.room) bannerTimer = setTimeout(clearBanner, 8000);
}
function bannerError(err) {
  banner('error', describe(err));
  $('banner').dataset.code = err?.code ?? '';
}
function clearBanner() {
  const b = $('banner');
  b.className = 'banner';
  b.dataset.code = '';
  b.dataset.lobby = '';
}

function show(view) {
  for (const v of ['join-view', 'waiting-view', 'call-view']) $(v).hidden = v !== view;
}

function claimsOf(token) {
  const seg = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(seg + '='.repeat((4 - (seg.length % 4)) % 4)));
}

async function fetchToken(role, identity, room) {
  let res;
  if (role === 'twilio') {
    res = await fetch('/token?' + new URLSearchParams({ identity, room }));
  } else {
    const permissions = role === 'host' ? 'allow_join,allow_mod' : 'ask_join';
    res = await fetch('/get-token?' + new URLSearchParams({ permissions, roomId: room, participantId: identity }));
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.message || `token request failed (${res.status})`), { code: body.code });
  return body.token;
}

/* ---- tiles ---- */

function tile(id, name, local) {
  const el = document.createElement('div');
  el.className = 'tile' + (local ? ' local' : '');
  el.id = id;
  el.innerHTML = `<video autoplay playsinline></video>
    <div class="avatar"><span></span></div>
    <div class="state"></div>
    <div class="name"><span class="who"></span><span class="off">● mic off</span></div>`;
  el.querySelector('.avatar span').textContent = (name || '?').slice(0, 1).toUpperCase();
  el.querySelector('.who').textContent = local ? `${name} (you)` : name;
  if (local) el.querySelector('video').muted = true;
  $('tiles').append(el);
  return el;
}

function play(video) {
  video.play().catch(() => {
    // Autoplay with sound refused: play muted, unmute on the next click.
    video.muted = true;
    video.play().catch(() => {});
    document.addEventListener('click', () => { video.muted = false; }, { once: true });
  });
}

function updateEmptyNote() {
  const others = demo.room ? demo.room.participants.size : 0;
  let note = $('empty-note');
  if (others === 0 && !note) {
    note = document.createElement('div');
    note.id = 'empty-note';
    note.className = 'empty-note';
    note.textContent = 'Waiting for someone to join… share the room name to invite them.';
    $('tiles').append(note);
  } else if (others > 0 && note) note.remove();
}

function remoteTile(p) {
  const el = tile(`tile-${p.sid}`, p.identity, false);
  el.dataset.identity = p.identity;
  el.querySelector('.state').textContent = 'connecting…';
  const video = el.querySelector('video');
  video.srcObject = p.stream;
  if (demo.permissions.includes('allow_mod')) {
    const mod = document.createElement('div');
    mod.className = 'mod';
    mod.innerHTML = `<button class="small mute-audio" title="Ask to mute the microphone">Mute mic</button>
      <button class="small mute-video" title="Ask to stop the camera">Stop cam</button>
      <button class="small kick" title="Remove from the room">Remove</button>`;
    mod.querySelector('.mute-audio').onclick = () => demo.room.mute(p.sid, 'audio');
    mod.querySelector('.mute-video').onclick = () => demo.room.mute(p.sid, 'video');
    // Two steps, no modal dialog: the first click arms, a second within 4 s removes.
    const kick = mod.querySelector('.kick');
    kick.onclick = () => {
      if (kick.classList.contains('armed')) { demo.room.kick(p.sid); return; }
      kick.classList.add('armed');
      kick.textContent = 'Confirm remove';
      mod.classList.add('pinned');
      setTimeout(() => { kick.classList.remove('armed'); kick.textContent = 'Remove'; mod.classList.remove('pinned'); }, 4000);
    };
    el.append(mod);
  }
  updateEmptyNote();
  return el;
}

function refreshRemote(p) {
  const el = $(`tile-${p.sid}`);
  if (!el) return;
  el.classList.toggle('audio-off', !p.audioEnabled);
  el.classList.toggle('video-off', !p.videoEnabled);
}

function refreshLocal() {
  const lp = demo.room.localParticipant;
  const el = $('tile-local');
  el.classList.toggle('audio-off', !lp.audioEnabled);
  el.classList.toggle('video-off', !lp.videoEnabled);
  const mic = $('mic-btn');
  const cam = $('cam-btn');
  mic.disabled = !lp.audioTrack;
  cam.disabled = !lp.videoTrack;
  mic.textContent = lp.audioEnabled ? 'Mute' : 'Unmute';
  cam.textContent = lp.videoEnabled ? 'Stop video' : 'Start video';
  mic.classList.toggle('off', !!lp.audioTrack && !lp.audioEnabled);
  cam.classList.toggle('off', !!lp.videoTrack && !lp.videoEnabled);
}

/* ---- lobby (hosts) ---- */

function renderLobby() {
  const room = demo.room;
  const list = $('guests');
  list.replaceChildren();
  for (const g of room.pendingEntries.values()) {
    const row = document.createElement('div');
    row.className = 'guest';
    row.dataset.sid = g.sid;
    row.innerHTML = `<span class="who"></span>
      <button class="small admit">Admit</button><button class="small ghost deny">Deny</button>`;
    row.querySelector('.who').textContent = g.identity;
    row.querySelector('.admit').onclick = () => { room.admit(g.sid); renderLobby(); };
    row.querySelector('.deny').onclick = () => { room.deny(g.sid); renderLobby(); };
    list.append(row);
  }
  $('no-guests').hidden = room.pendingEntries.size > 0;
  const canAdmit = demo.permissions.includes('allow_join') || room.pendingEntries.size > 0;
  $('call-view').classList.toggle('no-side', !canAdmit);
}

/* ---- the call ---- */

function wire(room) {
  room.on('participantConnected', (p) => { remoteTile(p); refreshRemote(p); });
  room.on('participantDisconnected', (p) => {
    $(`tile-${p.sid}`)?.remove();
    if (room.state === 'connected') {
      banner('info', `${p.identity} left the room.`);
      updateEmptyNote();
    }
  });
  room.on('participantUpdated', refreshRemote);
  room.on('trackSubscribed', (track, p) => {
    const video = $(`tile-${p.sid}`)?.querySelector('video');
    if (video) { if (video.srcObject !== p.stream) video.srcObject = p.stream; play(video); }
  });
  room.on('connectionStateChanged', (state, p) => {
    const el = $(`tile-${p.sid}`)?.querySelector('.state');
    if (!el) return;
    el.textContent = { connected: '', new: 'connecting…', connecting: 'connecting…', disconnected: 'reconnecting…', failed: 'connection failed, retrying…' }[state] ?? '';
    el.closest('.tile').dataset.state = state;
  });
  room.on('entryRequested', (g) => {
    renderLobby();
    banner('info', `${g.identity} is waiting in the lobby.`);
    $('banner').dataset.lobby = g.sid;
  });
  // answered (here or by another host) or gone: the news is over at once
  room.on('entryResponded', ({ participant }) => {
    renderLobby();
    if (participant && $('banner').dataset.lobby === participant.sid) clearBanner();
  });
  room.on('error', (err) => { banner('info', describe(err)); renderLobby(); });
  room.on('muted', ({ kind }) => {
    refreshLocal();
    banner('info', kind === 'audio' ? 'A moderator muted your microphone. Unmute when you are ready to speak.' : 'A moderator stopped your camera.');
  });
  room.on('disconnected', (_room, err) => {
    demo.room = null;
    $('tiles').replaceChildren();
    $('room-info').textContent = 'Peer-to-peer video, encrypted between the browsers (DTLS-SRTP)';
    show('join-view');
    $('join-btn').disabled = false;
    if (err) bannerError(err);
    else banner('info', 'You left the room.');
  });
}

function enterCall(room) {
  demo.room = room;
  clearBanner();
  show('call-view');
  $('tiles').replaceChildren();
  $('room-info').textContent = `Room ${room.name ?? ''} · ${room.type ?? ''}`;
  const lt = tile('tile-local', room.localParticipant.identity, true);
  const lv = lt.querySelector('video');
  lv.srcObject = room.localParticipant.stream;
  play(lv);
  refreshLocal();
  for (const p of room.participants.values()) { remoteTile(p); refreshRemote(p); }
  updateEmptyNote();
  renderLobby();
}

async function join(ev) {
  ev.preventDefault();
  clearBanner();
  const identity = $('identity').value.trim();
  const roomName = $('room').value.trim();
  const role = $('role').value;
  $('join-btn').disabled = true;
  let pending = null;
  try {
    const token = await fetchToken(role, identity, roomName);
    demo.permissions = claimsOf(token).permissions || [];
    const connecting = roomgate.connect(location.origin, token, {
      audio: $('use-audio').checked,
      video: $('use-video').checked,
      room: roomName,
      on: {
        waiting() {
          $('waiting-room').textContent = roomName;
          show('waiting-view');
        },
      },
    });
    pending = connecting;
    demo.connecting = connecting;
    $('cancel-wait').onclick = () => window.location.reload();
    const room = await connecting;
    wire(room);
    enterCall(room);
  } catch (err) {
    show('join-view');
    $('join-btn').disabled = false;
    bannerError(err);
  } finally {
    if (pending === demo.connecting) demo.connecting = null;
  }
}

$('join-form').addEventListener('submit', join);
$('mic-btn').onclick = () => {
  const lp = demo.room.localParticipant;
  if (lp.audioEnabled) lp.muteAudio(); else lp.unmuteAudio();
  refreshLocal();
};
$('cam-btn').onclick = () => {
  const lp = demo.room.localParticipant;
  if (lp.videoEnabled) lp.muteVideo(); else lp.unmuteVideo();
  refreshLocal();
};
$('leave-btn').onclick = () => demo.room?.disconnect();

// ?identity=&room=&role= prefill the form (handy for sharing a link).
const q = new URLSearchParams(location.search);
for (const k of ['identity', 'room', 'role']) if (q.get(k)) $(k).value = q.get(k);
