'use strict';
// The token service a Node developer would write instead of running roomgate:
// Express + Twilio's helper library for minting + jsonwebtoken for validation,
// with the same routes and answers as roomgate (docs/api.md):
//
//   GET  /healthz                              -> {"status":"ok"}
//   GET  /token?identity=&room=&ttl=           -> {identity, token}   (Basic auth)
//   POST /v1/Accounts/:ac/Tokens/validate      -> IAM shape           (Basic auth)
//   POST /v1/Consultations                     -> 201 consultation    (Basic auth)
//   POST /v1/Consultations/:id/Tokens          -> {identity, room, token, expires_at}
//   POST /v2/rooms                             -> VideoSDK room       (raw VideoSDK JWT)
//   GET  /v2/rooms/validate/:roomId            -> VideoSDK room or 404
//
// The consultations and VideoSDK rooms live in SQLite through better-sqlite3
// (statements prepared once, WAL, synchronous=FULL as roomgate's store), the
// way a Node developer would keep them.
//
// Configuration (environment):
//   PORT          port on 127.0.0.1 (0 = any free port; the chosen port is printed)
//   ACCOUNT_SID   AC... the account the key belongs to
//   KEY_SID       SK... API key sid     } Basic auth credentials, and the
//   KEY_SECRET    API key secret        } signing key for minted tokens
//   AUTH_TOKEN    optional: the account's auth token, also accepted as credentials
//   PEER_STRING_SECRET=1  sign/verify with the plain string secret (see SIGNING_KEY)
//   DB_PATH       SQLite file for consultations and rooms (default: in memory)
//   CONSULTATION_MARGIN  seconds a consultation opens early (default 600)
//
// When ready it prints one line: "node-peer: listening on http://127.0.0.1:PORT/".
// Single process, as such a service is typically deployed; cluster.js runs
// several of these behind node:cluster.

const crypto = require('node:crypto');
const Database = require('better-sqlite3');
const express = require('express');
const jwt = require('jsonwebtoken');
const twilio = require('twilio');

const { AccessToken } = twilio.jwt;
const { VideoGrant } = AccessToken;

const ACCOUNT_SID = mustEnv('ACCOUNT_SID');
const KEY_SID = mustEnv('KEY_SID');
const KEY_SECRET = mustEnv('KEY_SECRET');
const AUTH_TOKEN = process.env.AUTH_TOKEN || '';

// jsonwebtoken 9 first tries to parse a string secret as a PEM public/private
// key (createPublicKey/createPrivateKey) and only then falls back to an HMAC
// key; the failed parse costs ~0.4 ms per sign or verify on Node 20
// (auth0/node-jsonwebtoken#944, #966, #1046).  The documented workaround, and
// what a developer does after one profile, is to build the KeyObject once.
// PEER_STRING_SECRET=1 passes the plain string, as Twilio's docs show it.
const SIGNING_KEY = process.env.PEER_STRING_SECRET === '1'
  ? KEY_SECRET
  : crypto.createSecretKey(Buffer.from(KEY_SECRET, 'utf8'));
const PORT = Number.parseInt(process.env.PORT || '3000', 10);

const MAX_TTL = 86400;
const LEEWAY = 60;
const MAX_TOKEN_LEN = 8192;
const ALGORITHMS = ['HS256', 'HS384', 'HS512'];

function mustEnv(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`node-peer: ${name} must be set`);
    process.exit(2);
  }
  return v;
}

// ---- errors in Twilio's shape ----------------------------------------------

function twilioError(res, status, code, message) {
  res.status(status).json({
    code,
    message,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  });
}

// ---- auth ------------------------------------------------------------------

// Constant-time string compare: hash both sides so the lengths always match
// (timingSafeEqual throws on different lengths, and would leak the length).
function safeEqual(a, b) {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

function parseBasic(req) {
  const h = req.get('authorization');
  if (!h) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h);
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return null;
  return { user: decoded.slice(0, i), pass: decoded.slice(i + 1) };
}

function credentialsOk(creds) {
  if (!creds) return false;
  // Evaluate both comparisons every time; no early exit on the user name.
  const keyOk = safeEqual(creds.user, KEY_SID) & safeEqual(creds.pass, KEY_SECRET);
  const acOk = AUTH_TOKEN
    ? safeEqual(creds.user, ACCOUNT_SID) & safeEqual(creds.pass, AUTH_TOKEN)
    : 0;
  return (keyOk | acOk) === 1;
}

function unauthorized(res) {
  res.set('WWW-Authenticate', 'Basic realm="roomgate"');
  twilioError(res, 401, 20003, 'Authentication Error - invalid username or password');
}

function requireAuth(req, res, next) {
  if (credentialsOk(parseBasic(req))) return next();
  unauthorized(res);
}

// ---- validation (roomgate's rules, docs/api.md "Token rules and codes") -----

const MESSAGES = {
  0: null,
  20101: 'Invalid Access Token',
  20103: 'Invalid Access Token issuer/subject',
  20104: 'Access Token expired or expiration date invalid',
  20105: 'Access Token not yet valid',
  20107: 'Invalid Access Token signature',
};

function invalid(code) {
  return {
    valid: false,
    code,
    message: MESSAGES[code],
    expiration: null,
    realm_user_id: null,
    identity: null,
    roles: [],
    grants: {},
    key_sid: null,
  };
}

function validateToken(token, accountSid) {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LEN) {
    return invalid(20101);
  }
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload !== 'object' || decoded.payload === null) {
    return invalid(20101);
  }
  const { header, payload } = decoded;
  if (!ALGORITHMS.includes(header.alg)) return invalid(20101);
  if (header.typ !== undefined && header.typ !== 'JWT') return invalid(20101);

  // This service knows one key; the token must be issued by it for its account,
  // and the account must be the one in the path.
  if (payload.iss !== KEY_SID || payload.sub !== ACCOUNT_SID || accountSid !== ACCOUNT_SID) {
    return invalid(20103);
  }

  let claims;
  try {
    claims = jwt.verify(token, SIGNING_KEY, { algorithms: ALGORITHMS, clockTolerance: LEEWAY });
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) return invalid(20104);
    if (err instanceof jwt.NotBeforeError) return invalid(20105);
    if (err.message === 'invalid signature') return invalid(20107);
    if (/exp/.test(err.message)) return invalid(20104);
    if (/nbf/.test(err.message)) return invalid(20105);
    return invalid(20101);
  }

  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number') return invalid(20104);
  const start = typeof claims.iat === 'number' ? claims.iat
    : typeof claims.nbf === 'number' ? claims.nbf : now;
  if (claims.exp - start > MAX_TTL) return invalid(20104);
  if (typeof claims.iat === 'number' && claims.iat > now + LEEWAY) return invalid(20105);

  const grants = claims.grants && typeof claims.grants === 'object' ? claims.grants : {};
  const identity = typeof grants.identity === 'string' ? grants.identity : null;
  return {
    valid: true,
    code: 0,
    message: null,
    expiration: new Date(claims.exp * 1000).toISOString(),
    realm_user_id: identity,
    identity,
    roles: [],
    grants,
    key_sid: claims.iss,
  };
}

// ---- app -------------------------------------------------------------------

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.set('query parser', 'simple');

app.get('/healthz', (req, res) => {
  res.json({ status: 'ok' });
});

app.get('/token', requireAuth, (req, res) => {
  const { identity, room } = req.query;
  if (typeof identity !== 'string' || identity.length === 0) {
    return twilioError(res, 400, 21602, 'Required parameter identity missing');
  }
  if (Buffer.byteLength(identity) > 256 || /[\x00-\x1f\x7f]/.test(identity)) {
    return twilioError(res, 400, 21603, 'Invalid identity');
  }
  if (room !== undefined && (typeof room !== 'string' || room.length === 0 ||
      Buffer.byteLength(room) > 256 || /[\x00-\x1f\x7f]/.test(room))) {
    return twilioError(res, 400, 21603, 'Invalid room');
  }
  let ttl = 3600;
  if (req.query.ttl !== undefined) {
    ttl = Number(req.query.ttl);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL) {
      return twilioError(res, 400, 21603, 'Invalid ttl: must be 1..86400');
    }
  }

  const token = new AccessToken(ACCOUNT_SID, KEY_SID, SIGNING_KEY, { identity, ttl });
  token.addGrant(new VideoGrant(room ? { room } : {}));
  res.json({ identity, token: token.toJwt() });
});

const jsonBody = express.json({ limit: '2mb', type: ['application/json', '+json'] });
const formBody = express.urlencoded({ extended: false, limit: '2mb' });

app.post('/v1/Accounts/:ac/Tokens/validate', jsonBody, formBody, (req, res) => {
  const body = req.body && typeof req.body === 'object' ? req.body : {};
  const bodyToken = body.token ?? body.Token;
  const creds = parseBasic(req);

  let token;
  if (creds && creds.user === 'token') {
    // Twilio IAM style: Authorization: Basic base64("token:" + JWT).
    const headerToken = creds.pass;
    if (bodyToken === undefined || bodyToken === headerToken) {
      token = headerToken;
    } else {
      if (!validateToken(headerToken, req.params.ac).valid) return unauthorized(res);
      token = bodyToken;
    }
  } else {
    // Our credentials only authenticate for our own account.
    if (!credentialsOk(creds) || req.params.ac !== ACCOUNT_SID) return unauthorized(res);
    if (bodyToken === undefined) return twilioError(res, 400, 21602, 'Required parameter token missing');
    token = bodyToken;
  }
  if (typeof token !== 'string') return twilioError(res, 400, 21603, 'Invalid token');
  res.json(validateToken(token, req.params.ac));
});

// ---- consultations and VideoSDK rooms (SQLite) ------------------------------

const db = new Database(process.env.DB_PATH || ':memory:');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`
  CREATE TABLE IF NOT EXISTS consultations (
    consultation_id TEXT PRIMARY KEY, detail_id TEXT NOT NULL,
    client_identity TEXT NOT NULL, provider_identity TEXT NOT NULL,
    starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL, status TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS rooms (
    sid TEXT PRIMARY KEY, unique_name TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL);
  CREATE UNIQUE INDEX IF NOT EXISTS rooms_live ON rooms(unique_name) WHERE status = 'in-progress';
  CREATE TABLE IF NOT EXISTS meetings (
    room_id TEXT PRIMARY KEY, id TEXT NOT NULL, custom_room_id TEXT UNIQUE, api_key TEXT NOT NULL,
    disabled INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
`);
const q = {
  insertConsultation: db.prepare(`INSERT INTO consultations VALUES
    (@consultation_id, @detail_id, @client_identity, @provider_identity, @starts_at, @ends_at, 'scheduled')`),
  consultation: db.prepare('SELECT * FROM consultations WHERE consultation_id = ?'),
  liveRoom: db.prepare("SELECT * FROM rooms WHERE unique_name = ? AND status = 'in-progress'"),
  insertRoom: db.prepare("INSERT INTO rooms VALUES (?, ?, 'go', 'in-progress')"),
  meeting: db.prepare('SELECT * FROM meetings WHERE room_id = @key OR custom_room_id = @key ORDER BY room_id = @key DESC LIMIT 1'),
  insertMeeting: db.prepare('INSERT INTO meetings VALUES (?, ?, ?, ?, 0, ?, ?)'),
};
const MARGIN = Number.parseInt(process.env.CONSULTATION_MARGIN || '600', 10);
const ID_RE = /^[A-Za-z0-9._~:@+=-]{1,256}$/;

const ensureGoRoom = db.transaction((name) => {
  const room = q.liveRoom.get(name);
  if (room) return room;
  const sid = 'RM' + crypto.randomBytes(16).toString('hex');
  q.insertRoom.run(sid, name);
  return { sid, unique_name: name, type: 'go', status: 'in-progress' };
});

const validText = (s) => typeof s === 'string' && s.length > 0 && Buffer.byteLength(s) <= 256 && !/[\x00-\x1f\x7f]/.test(s);

app.post('/v1/Consultations', requireAuth, jsonBody, formBody, (req, res) => {
  const b = req.body || {};
  for (const f of ['consultation_id', 'detail_id', 'client_identity', 'provider_identity', 'starts_at', 'ends_at']) {
    if (b[f] === undefined) return twilioError(res, 400, 21602, `Missing required parameter ${f}`);
  }
  const startsAt = Math.floor(Date.parse(b.starts_at) / 1000);
  const endsAt = Math.floor(Date.parse(b.ends_at) / 1000);
  if (!ID_RE.test(b.consultation_id) || !ID_RE.test(b.detail_id) || !validText(b.client_identity) ||
      !validText(b.provider_identity) || b.client_identity === b.provider_identity ||
      !Number.isFinite(startsAt) || !Number.isFinite(endsAt) || endsAt <= startsAt || endsAt - startsAt > 86400) {
    return twilioError(res, 400, 21603, 'Invalid consultation');
  }
  try {
    q.insertConsultation.run({ ...b, starts_at: startsAt, ends_at: endsAt });
  } catch (e) {
    if (e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return twilioError(res, 409, 53455, 'Consultation exists');
    throw e;
  }
  res.status(201).json({ ...b, status: 'scheduled', room_name: b.consultation_id });
});

app.post('/v1/Consultations/:id/Tokens', requireAuth, jsonBody, formBody, (req, res) => {
  const { identity, detail_id: detailId } = req.body || {};
  if (!validText(identity)) return twilioError(res, 400, 21602, 'Missing or invalid parameter identity');
  if (!validText(detailId)) return twilioError(res, 400, 21602, 'Missing or invalid parameter detail_id');
  const c = q.consultation.get(req.params.id);
  if (!c) return twilioError(res, 404, 20404, 'The requested resource was not found');
  if (c.status === 'cancelled') return twilioError(res, 410, 53454, 'The consultation was cancelled');
  if (identity !== c.client_identity && identity !== c.provider_identity) {
    return twilioError(res, 403, 53450, 'Not a participant of this consultation');
  }
  if (!safeEqual(detailId, c.detail_id)) return twilioError(res, 403, 53451, 'Wrong detail id');
  const now = Math.floor(Date.now() / 1000);
  if (now < c.starts_at - MARGIN) return twilioError(res, 403, 53452, 'Too early');
  if (now >= c.ends_at) return twilioError(res, 403, 53453, 'Too late');
  const room = ensureGoRoom(c.consultation_id);
  if (room.type !== 'go') return twilioError(res, 409, 53113, 'Room exists');
  const ttl = Math.max(1, Math.min(900, c.ends_at + MARGIN - now));
  const token = new AccessToken(ACCOUNT_SID, KEY_SID, SIGNING_KEY, { identity, ttl });
  token.addGrant(new VideoGrant({ room: c.consultation_id }));
  res.json({ identity, room: c.consultation_id, token: token.toJwt(), expires_at: new Date((now + ttl) * 1000).toISOString() });
});

// VideoSDK: the raw JWT in Authorization, a token of our key with the crawler role.
function requireVideoSdk(req, res, next) {
  const token = req.get('authorization');
  const fail = (status, code, message) => res.status(status).json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
  if (!token) return fail(401, 4002, 'Missing token');
  let claims;
  try {
    claims = jwt.verify(token, SIGNING_KEY, { algorithms: ALGORITHMS, clockTolerance: LEEWAY });
  } catch {
    return fail(401, 4002, 'Invalid token');
  }
  if (claims.apikey !== KEY_SID) return fail(401, 4001, 'Invalid apikey');
  const roles = Array.isArray(claims.roles) ? claims.roles : ['crawler', 'rtc'];
  if (!roles.includes('crawler')) return fail(403, 4008, 'Invalid permissions');
  req.videosdk = claims;
  next();
}

function meetingJson(m) {
  return {
    roomId: m.room_id,
    customRoomId: m.custom_room_id,
    disabled: m.disabled === 1,
    createdAt: new Date(m.created_at * 1000).toISOString(),
    updatedAt: new Date(m.updated_at * 1000).toISOString(),
    id: m.id,
    links: { get_room: `/v2/rooms/${m.room_id}`, get_session: `/v2/sessions/?roomId=${m.room_id}` },
    apiKey: m.api_key,
  };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const newRoomId = () => [4, 4, 4].map((n) => Array.from({ length: n }, () => ALPHABET[crypto.randomInt(36)]).join('')).join('-');

app.post('/v2/rooms', requireVideoSdk, jsonBody, formBody, (req, res) => {
  const custom = (req.body || {}).customRoomId ?? null;
  if (custom !== null && (!validText(custom) || custom.includes('/'))) {
    return twilioError(res, 400, 21603, 'Invalid parameter customRoomId');
  }
  if (custom !== null) {
    const existing = q.meeting.get({ key: custom });
    if (existing && existing.custom_room_id === custom) return res.json(meetingJson(existing));
  }
  const now = Math.floor(Date.now() / 1000);
  const roomId = newRoomId();
  q.insertMeeting.run(roomId, crypto.randomBytes(12).toString('hex'), custom, KEY_SID, now, now);
  res.json(meetingJson(q.meeting.get({ key: roomId })));
});

app.get('/v2/rooms/validate/:roomId', requireVideoSdk, (req, res) => {
  const m = q.meeting.get({ key: req.params.roomId });
  if (!m) return res.status(404).json({ code: 4003, message: 'Invalid roomId', more_info: 'https://www.twilio.com/docs/errors/4003', status: 404 });
  res.json(meetingJson(m));
});

app.use((req, res) => twilioError(res, 404, 20404, 'The requested resource was not found'));

// Bad JSON / oversized body from the body parsers.
app.use((err, req, res, next) => { // eslint-disable-line no-unused-vars
  if (err.type === 'entity.too.large') return twilioError(res, 413, 21617, 'Request body too large');
  if (err.type === 'entity.parse.failed') return twilioError(res, 400, 21601, 'Body is not valid JSON');
  console.error(err);
  twilioError(res, 500, 20500, 'Internal Server Error');
});

const server = app.listen(PORT, '127.0.0.1', () => {
  // Under node:cluster the primary announces the port once (cluster.js).
  if (!require('node:cluster').isWorker) {
    console.log(`node-peer: listening on http://127.0.0.1:${server.address().port}/`);
  }
});
server.keepAliveTimeout = 65000;

function shutdown() {
  server.close(() => {
    db.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
