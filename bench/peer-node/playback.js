// playback.js - the url_provider a Node developer would write for seed 003:
// express, jsonwebtoken to check the Flex-style token, one SQLite audit row
// per decision (better-sqlite3, WAL, synchronous=FULL: one fsync per
// request, as each insert is its own transaction), and an HMAC-signed
// media link.  /media serves the plaintext file with express's sendFile
// (Range support) after checking the signature; it decrypts nothing.
//
//   GET /sec_rec?recording_sid=RE...  Authorization: Basic base64("token:" + JWT)
//   GET /media/:sid?exp=&nonce=&sig=
//
// Environment: PORT, ACCOUNT_SID, KEY_SID, KEY_SECRET, DB_PATH, MEDIA_FILE,
// REC_SID, ALLOWED (comma-separated identities).
const crypto = require('node:crypto');
const Database = require('better-sqlite3');
const express = require('express');
const jwt = require('jsonwebtoken');

const { ACCOUNT_SID, KEY_SID, KEY_SECRET, DB_PATH, MEDIA_FILE, REC_SID } = process.env;
const ALLOWED = new Set((process.env.ALLOWED || 'alice').split(','));
const KEY = crypto.createSecretKey(Buffer.from(KEY_SECRET, 'utf8'));
const LINK_KEY = crypto.randomBytes(32);
const TTL = 3600;

const db = new Database(DB_PATH);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS audit_log(seq INTEGER PRIMARY KEY, ts_ms INTEGER, action TEXT,
  outcome TEXT, reason TEXT, recording_sid TEXT, identity TEXT, client_ip TEXT, user_agent TEXT)`);
const insert = db.prepare(`INSERT INTO audit_log(ts_ms, action, outcome, reason, recording_sid, identity,
  client_ip, user_agent) VALUES(?, ?, ?, ?, ?, ?, ?, ?)`);

const sign = (sid, exp, nonce) => crypto.createHmac('sha256', LINK_KEY).update(`${sid}\n${exp}\n${nonce}`).digest('base64url');

function audit(req, outcome, reason, sid, identity) {
  insert.run(Date.now(), 'sec_rec', outcome, reason, sid, identity, req.socket.remoteAddress, req.get('user-agent') || null);
}

const app = express();
app.disable('x-powered-by');
app.disable('etag');

app.get('/healthz', (req, res) => res.json({ status: 'ok' }));

app.get('/sec_rec', (req, res) => {
  const sid = String(req.query.recording_sid || '');
  const m = /^Basic (.+)$/.exec(req.get('authorization') || '');
  const creds = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
  if (!creds.startsWith('token:')) {
    audit(req, 'refused', 'missing credentials', sid, null);
    return res.status(401).json({ code: 20003, message: 'Authentication Error', status: 401 });
  }
  let claims;
  try {
    claims = jwt.verify(creds.slice(6), KEY, { algorithms: ['HS256', 'HS384', 'HS512'], clockTolerance: 60 });
    if (claims.iss !== KEY_SID || claims.sub !== ACCOUNT_SID) throw new Error('issuer');
  } catch {
    audit(req, 'refused', 'invalid token', sid, null);
    return res.status(401).json({ code: 20101, message: 'Invalid Access Token', status: 401 });
  }
  const identity = claims.grants && claims.grants.identity;
  if (sid !== REC_SID) {
    audit(req, 'refused', 'no such recording', sid, identity);
    return res.status(404).json({ code: 20404, message: 'No such recording', status: 404 });
  }
  if (!ALLOWED.has(identity)) {
    audit(req, 'refused', 'not allowed', sid, identity);
    return res.status(403).json({ code: 20403, message: 'Forbidden', status: 403 });
  }
  audit(req, 'granted', null, sid, identity);
  const exp = Math.floor(Date.now() / 1000) + TTL;
  const nonce = crypto.randomBytes(16).toString('base64url');
  res.set('Cache-Control', 'no-store');
  res.json({ media_url: `http://${req.get('host')}/media/${sid}?exp=${exp}&nonce=${nonce}&sig=${sign(sid, exp, nonce)}` });
});

app.get('/media/:sid', (req, res) => {
  const { exp, nonce, sig } = req.query;
  const want = sign(req.params.sid, exp, nonce);
  if (typeof sig !== 'string' || sig.length !== want.length ||
      !crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(want)) || Number(exp) < Date.now() / 1000) {
    return res.status(403).json({ code: 20403, message: 'Forbidden', status: 403 });
  }
  res.sendFile(MEDIA_FILE, { headers: { 'Content-Type': 'audio/ogg' } });
});

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`node-playback: listening on http://127.0.0.1:${server.address().port}/`);
});
server.keepAliveTimeout = 65000;
const stop = () => { server.close(() => { db.close(); process.exit(0); }); setTimeout(() => process.exit(0), 2000).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
