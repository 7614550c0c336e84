// bench/peer-node/signal.js - the signaling relay a user would write in
// Node.js instead of roomgate's /v1/signal: Express for HTTP, the `ws`
// package on the same server, jsonwebtoken to check the Twilio token, rooms
// in a Map.  Same protocol subset as docs/signaling.md (join / joined /
// participant_joined / participant_left / signal / error), same capacity
// rule.  It keeps no durable participant rows (roomgate writes each join
// and leave to SQLite), so it does less work per join.
//
//   PORT=0 ROOMGATE_KEY_SID=SK.. ROOMGATE_KEY_SECRET=.. ROOMGATE_ACCOUNT=AC.. node signal.js
'use strict';
const crypto = require('node:crypto');
const http = require('node:http');
const express = require('express');
const jwt = require('jsonwebtoken');
const { WebSocketServer } = require('ws');

const KEY_SID = process.env.ROOMGATE_KEY_SID;
const ACCOUNT = process.env.ROOMGATE_ACCOUNT;
// a KeyObject: jsonwebtoken's fast path (see server.js)
const SECRET = crypto.createSecretKey(Buffer.from(process.env.ROOMGATE_KEY_SECRET || '', 'utf8'));
const MAX_PARTICIPANTS = 50;

const app = express();
app.get('/healthz', (req, res) => res.json({ status: 'ok' }));
const server = http.createServer(app);
const wss = new WebSocketServer({ server, path: '/v1/signal', maxPayload: 64 * 1024 });
const rooms = new Map(); // name -> Map(sid -> ws)

const send = (ws, m) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(m));
const fail = (ws, code, message) => { send(ws, { type: 'error', code, message }); ws.close(1008); };

function onJoin(ws, m) {
  let claims;
  try {
    claims = jwt.verify(m.token, SECRET, { algorithms: ['HS256', 'HS384', 'HS512'], issuer: KEY_SID, subject: ACCOUNT });
  } catch (e) {
    return fail(ws, 20101, 'Invalid Access Token');
  }
  const grant = claims.grants && claims.grants.video;
  const identity = claims.grants && claims.grants.identity;
  const name = m.room || (grant && grant.room);
  if (!grant || !identity || !name || (grant.room && grant.room !== name)) return fail(ws, 20101, 'Invalid Access Token');
  let room = rooms.get(name);
  if (!room) rooms.set(name, (room = new Map()));
  for (const [sid, other] of room) {
    if (other.identity === identity) { room.delete(sid); fail(other, 53205, 'Duplicate identity'); for (const o of room.values()) send(o, { type: 'participant_left', participant: { sid, identity } }); }
  }
  if (room.size >= MAX_PARTICIPANTS) return fail(ws, 53105, 'Room full');
  ws.sid = 'PA' + crypto.randomBytes(16).toString('hex');
  ws.identity = identity;
  ws.room = name;
  const me = { sid: ws.sid, identity };
  for (const o of room.values()) send(o, { type: 'participant_joined', participant: me });
  send(ws, { type: 'joined', room: { sid: name, name, type: 'group' }, participant: me,
    participants: [...room.values()].map((o) => ({ sid: o.sid, identity: o.identity })), ice_servers: [] });
  room.set(ws.sid, ws);
}

function onLeave(ws) {
  const room = ws.room && rooms.get(ws.room);
  if (!room || room.get(ws.sid) !== ws) return;
  room.delete(ws.sid);
  for (const o of room.values()) send(o, { type: 'participant_left', participant: { sid: ws.sid, identity: ws.identity } });
  if (room.size === 0) rooms.delete(ws.room);
}

wss.on('connection', (ws) => {
  ws.isAlive = true;
  ws.on('pong', () => { ws.isAlive = true; });
  ws.on('message', (data, isBinary) => {
    let m;
    try { m = JSON.parse(data); } catch { return fail(ws, 53004, 'malformed JSON'); }
    if (isBinary || !m || typeof m !== 'object') return fail(ws, 53004, 'invalid message');
    if (!ws.sid) return m.type === 'join' ? onJoin(ws, m) : fail(ws, 53004, 'join first');
    if (m.type === 'signal') {
      const room = rooms.get(ws.room);
      const to = room && room.get(m.to);
      if (!to || to === ws) return send(ws, { type: 'error', code: 53204, message: 'No such participant' });
      return send(to, { type: 'signal', from: ws.sid, data: m.data });
    }
    send(ws, { type: 'error', code: 53004, message: 'unknown type' });
  });
  ws.on('close', () => onLeave(ws));
});

// keepalive, as in the ws README
const interval = setInterval(() => {
  for (const ws of wss.clients) {
    if (!ws.isAlive) { ws.terminate(); continue; }
    ws.isAlive = false;
    ws.ping();
  }
}, 20000);
wss.on('close', () => clearInterval(interval));

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`signal peer listening on http://127.0.0.1:${server.address().port}/`);
});
process.on('SIGTERM', () => { for (const ws of wss.clients) ws.terminate(); server.close(() => process.exit(0)); });
