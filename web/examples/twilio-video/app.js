// The app: what a Twilio Video web app does, with the two options that
// point it at roomgate (wsServer, insights: false).  window.twApp holds the
// room and what happened, for the browser tests (tests/e2e/twilio.test.js).
'use strict';

const app = { room: null, events: [], messages: [], error: null, dataTrack: null };
window.twApp = app;

const $ = (id) => document.getElementById(id);
function log(text) {
  app.events.push(text);
  $('log').textContent += text + '\n';
}

function signalingUrl() {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/signaling';
}

async function demoToken(identity, room) {
  const res = await fetch('/token?' + new URLSearchParams({ identity, room }));
  const body = await res.json();
  if (!res.ok) throw new Error(body.message || `token request failed (${res.status})`);
  return body.token;
}

function tileOf(participant) {
  let t = document.querySelector(`.tile[data-identity="${CSS.escape(participant.identity)}"]`);
  if (!t) {
    t = document.createElement('div');
    t.className = 'tile';
    t.dataset.identity = participant.identity;
    t.append(participant.identity);
    $('tiles').append(t);
  }
  return t;
}

function onTrack(participant, track) {
  if (track.kind === 'data') {
    track.on('message', (m) => { app.messages.push({ from: participant.identity, text: m }); log(`${participant.identity}: ${m}`); });
    return;
  }
  tileOf(participant).append(track.attach());
}

function watch(participant) {
  log(`participantConnected ${participant.identity}`);
  participant.tracks.forEach((pub) => { if (pub.track) onTrack(participant, pub.track); });
  participant.on('trackSubscribed', (track) => onTrack(participant, track));
  participant.on('trackUnsubscribed', (track) => { if (track.detach) track.detach().forEach((el) => el.remove()); });
  for (const ev of ['trackDisabled', 'trackEnabled', 'trackPublished', 'trackUnpublished', 'reconnecting', 'reconnected']) {
    participant.on(ev, (pub) => log(`${ev} ${participant.identity}${pub && pub.kind ? ' ' + pub.kind : ''}`));
  }
}

async function join(ev) {
  ev.preventDefault();
  const identity = $('identity').value, name = $('room').value;
  try {
    const token = $('token').value || await demoToken(identity, name);
    app.dataTrack = new Twilio.Video.LocalDataTrack();
    const tracks = await Twilio.Video.createLocalTracks({ audio: true, video: { width: 320, height: 240 } });
    // The two changes a Twilio app makes: where to signal, and no Insights.
    const room = await Twilio.Video.connect(token, {
      name, tracks: [...tracks, app.dataTrack], wsServer: signalingUrl(), insights: false,
    });
    app.room = room;
    $('status').textContent = `in ${room.name} (${room.sid}) as ${room.localParticipant.identity}`;
    room.participants.forEach(watch);
    room.on('participantConnected', watch);
    room.on('participantDisconnected', (p) => { log(`participantDisconnected ${p.identity}`); tileOf(p).remove(); });
    room.on('reconnecting', () => log('room reconnecting'));
    room.on('reconnected', () => log('room reconnected'));
    room.on('disconnected', (r, err) => {
      app.error = err ? { code: err.code, message: err.message } : null;
      log(`disconnected${err ? ' ' + err.code : ''}`);
      $('status').textContent = err ? `disconnected: ${err.code} ${err.message}` : 'disconnected';
    });
    for (const id of ['leave-btn', 'mic-btn', 'chat', 'send-btn']) $(id).disabled = false;
  } catch (err) {
    app.error = { code: err.code, message: err.message };
    log(`error ${err.code} ${err.message}`);
    $('status').textContent = `error: ${err.code} ${err.message}`;
  }
}

$('join').addEventListener('submit', join);
$('leave-btn').addEventListener('click', () => app.room && app.room.disconnect());
$('mic-btn').addEventListener('click', () => {
  app.room.localParticipant.audioTracks.forEach((pub) => (pub.track.isEnabled ? pub.track.disable() : pub.track.enable()));
});
$('send-btn').addEventListener('click', () => { app.dataTrack.send($('chat').value); $('chat').value = ''; });
