// WebSocket signaling client for the tests (docs/signaling.md), on the
// npm `ws` package.
//
//   const c = await connect(srv);              // open socket, nothing sent
//   c.send({type: 'join', token});
//   const joined = await c.next('joined');     // waits for that type (5 s; 20 s under valgrind)
//   await c.closed;                            // {code, reason}
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { twilioToken } from './jwt.js';
import { UNDER_VALGRIND } from './server.js';

/** How long next() waits by default: a deadline, not a timing (the tests
 * prove negatives with markers, never with a window), so generous on a
 * loaded machine and under valgrind. */
const WAIT_MS = UNDER_VALGRIND ? 20000 : 5000;

export function wsUrl(srv) {
  return srv.url.replace(/^http/, 'ws') + '/v1/signal';
}

/** Opens a socket; resolves once open. opts go to `new WebSocket`. */
export function connect(srv, opts = {}) {
  const ws = new WebSocket(wsUrl(srv), opts);
  const inbox = [];
  const waiters = [];
  const c = {
    ws,
    inbox,
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    send(msg) { ws.send(typeof msg === 'string' || Buffer.isBuffer(msg) ? msg : JSON.stringify(msg)); },
    /** The next message (of `type` if given, skipping others kept in inbox). */
    next(type, ms = WAIT_MS) {
      const i = inbox.findIndex((m) => !type || m.type === type);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const w = { type, resolve, timer: null };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no ${type || 'message'} within ${ms} ms; inbox: ${JSON.stringify(inbox)}`));
        }, ms);
        waiters.push(w);
      });
    },
    /**
     * Every message up to and including the first one `pred` accepts (the
     * marker), in arrival order.  Proves a negative without a time window:
     * what was not among them did not come before the marker.
     */
    async until(pred, ms = WAIT_MS) {
      const seen = [];
      for (;;) {
        const m = await c.next(undefined, ms);
        seen.push(m);
        if (pred(m)) return seen;
      }
    },
    close() { ws.close(); return c.closed; },
  };
  ws.on('message', (data, isBinary) => {
    let m;
    try { m = JSON.parse(data.toString()); } catch { m = { type: '<unparsable>', raw: data.toString(), isBinary }; }
    const i = waiters.findIndex((w) => !w.type || w.type === m.type);
    if (i >= 0) {
      const [w] = waiters.splice(i, 1);
      clearTimeout(w.timer);
      w.resolve(m);
    } else inbox.push(m);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(c));
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })));
    });
  });
}

/** A Twilio token of the server's key. */
export function tok(srv, identity, room, extra = {}) {
  return twilioToken({ keySid: srv.key.sid, secret: srv.key.secret, accountSid: srv.account.sid, identity, room, ...extra });
}

/** Connects and joins; resolves {c, joined} (joined is the first reply: joined or error). */
export async function join(srv, token, room, opts) {
  const c = await connect(srv, opts);
  c.send(room === undefined ? { type: 'join', token } : { type: 'join', token, room });
  const first = await c.next();
  return { c, joined: first };
}

/** The room's connected participants by REST (Status=connected): their
 * `field` ('sid' or 'identity'), sorted.  A failed call is a failed test,
 * not an empty room. */
export async function connectedList(srv, room, field) {
  const res = await srv.request('GET', `/v1/Rooms/${room}/Participants?Status=connected`, { auth: srv.keyAuth });
  assert.equal(res.status, 200, res.text);
  return res.json.participants.map((p) => p[field]).sort();
}
