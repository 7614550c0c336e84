#!/usr/bin/env node
// bench/signal-load.js - load client for the signaling benchmark
// (bench/signal.sh, bench/README.md "Signaling").  Speaks the protocol of
// docs/signaling.md to any server (roomgate, bench/peer-node/signal.js):
//
//   node bench/signal-load.js idle  URL PID N      N idle joined connections:
//                                                  server RSS per connection
//   node bench/signal-load.js relay URL PID ROOMS RATE SECONDS
//                                                  ROOMS two-party rooms, RATE
//                                                  messages/s per room: latency, CPU
//   node bench/signal-load.js joins URL PID N      join rate (connect + join)
//
// Tokens are Twilio-format, signed here with BENCH_KEY_SID / BENCH_KEY_SECRET
// for BENCH_ACCOUNT.  Prints one JSON line of results.
'use strict';
const { createRequire } = require('node:module');
const { createHmac } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const WebSocket = createRequire(path.join(__dirname, 'peer-node', 'package.json'))('ws');

const [mode, url, pidArg, ...rest] = process.argv.slice(2);
const PID = Number(pidArg);
const KEY = process.env.BENCH_KEY_SID, SECRET = process.env.BENCH_KEY_SECRET, ACCOUNT = process.env.BENCH_ACCOUNT;
const RUN = process.env.BENCH_RUN || String(Date.now());
const CLK = 100; // clock ticks per second of /proc/PID/stat

function token(identity, room) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const h = b64({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' });
  const p = b64({ jti: `${KEY}-${iat}`, iss: KEY, sub: ACCOUNT, iat, nbf: iat, exp: iat + 3600,
    grants: { identity, video: { room } } });
  return `${h}.${p}.${createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url')}`;
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}
function cpuTicks(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Connects and joins; resolves {ws, sid, joined}. */
function joinOne(identity, room, onMessage) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let done = false;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'join', token: token(identity, room) })));
    ws.on('message', (data) => {
      const m = JSON.parse(data);
      if (!done) {
        done = true;
        if (m.type !== 'joined') { reject(new Error(`join refused: ${data}`)); ws.terminate(); return; }
        resolve({ ws, sid: m.participant.sid, joined: m });
        return;
      }
      if (onMessage) onMessage(m);
    });
    ws.on('error', (e) => { if (!done) { done = true; reject(e); } });
  });
}

/** Runs tasks() with at most `conc` in flight; returns the results in order. */
async function pool(n, conc, task) {
  const out = new Array(n);
  let next = 0;
  async function worker() {
    while (next < n) {
      const i = next++;
      out[i] = await task(i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(conc, n) }, worker));
  return out;
}

async function closeAll(conns) {
  await Promise.all(conns.map((c) => new Promise((r) => {
    if (c.ws.readyState === WebSocket.CLOSED) return r();
    c.ws.once('close', r);
    c.ws.close();
    setTimeout(() => { c.ws.terminate(); r(); }, 3000).unref();
  })));
}

async function idle(n) {
  await sleep(300);
  const before = rssKiB(PID);
  const t0 = performance.now();
  // rooms of two, like calls waiting for media
  const conns = await pool(n, 256, (i) => joinOne(`u${i}`, `idle-${RUN}-${i >> 1}`));
  const secs = (performance.now() - t0) / 1000;
  await sleep(1000);
  const after = rssKiB(PID);
  await closeAll(conns);
  return { mode, connections: n, rss_before_kib: before, rss_after_kib: after,
    bytes_per_conn: Math.round(((after - before) * 1024) / n), join_rate: Math.round(n / secs) };
}

async function joins(n) {
  const t0 = performance.now();
  const conns = await pool(n, 64, (i) => joinOne(`j${i}`, `joins-${RUN}-${i >> 1}`));
  const secs = (performance.now() - t0) / 1000;
  await closeAll(conns);
  return { mode, joins: n, seconds: +secs.toFixed(2), joins_per_s: Math.round(n / secs) };
}

async function relay(rooms, rate, seconds) {
  const lat = [];
  let measuring = false, received = 0;
  const onMessage = (m) => {
    if (m.type !== 'signal') return;
    received++;
    if (measuring) lat.push(performance.now() - m.data.t);
  };
  const pairs = await pool(rooms, 128, async (i) => {
    const room = `relay-${RUN}-${i}`;
    const a = await joinOne(`a${i}`, room, onMessage);
    const b = await joinOne(`b${i}`, room, onMessage);
    return [a, b];
  });
  // every millisecond, a slice of the rooms sends one message each (one direction
  // alternately), so each room relays `rate` messages per second in all
  const tick = 1, perTick = (rooms * rate * tick) / 1000;
  let cursor = 0, sent = 0, acc = 0, flip = 0;
  const timer = setInterval(() => {
    acc += perTick;
    for (; acc >= 1; acc--) {
      const [a, b] = pairs[cursor];
      const [from, to] = (flip++ & 1) ? [b, a] : [a, b];
      from.ws.send(`{"type":"signal","to":"${to.sid}","data":{"t":${performance.now()},"kind":"candidate","candidate":"candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host"}}`);
      sent++;
      cursor = (cursor + 1) % rooms;
    }
  }, tick);
  await sleep(2000); // warm-up
  measuring = true;
  const c0 = cpuTicks(PID), t0 = performance.now(), s0 = sent, r0 = received;
  await sleep(seconds * 1000);
  const c1 = cpuTicks(PID), t1 = performance.now(), s1 = sent, r1 = received;
  measuring = false;
  clearInterval(timer);
  await sleep(200);
  await closeAll(pairs.flat());
  lat.sort((x, y) => x - y);
  const q = (p) => lat.length ? +lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(3) : null;
  const wall = (t1 - t0) / 1000;
  return { mode, rooms, rate_per_room: rate, sent_per_s: Math.round((s1 - s0) / wall),
    relayed_per_s: Math.round((r1 - r0) / wall), p50_ms: q(0.5), p99_ms: q(0.99), max_ms: q(1),
    server_cpu_pct: Math.round((100 * (c1 - c0)) / CLK / wall) };
}

(async () => {
  let res;
  if (mode === 'idle') res = await idle(Number(rest[0] || 10000));
  else if (mode === 'joins') res = await joins(Number(rest[0] || 2000));
  else if (mode === 'relay') res = await relay(Number(rest[0] || 1000), Number(rest[1] || 20), Number(rest[2] || 8));
  else throw new Error('mode: idle | relay | joins');
  console.log(JSON.stringify(res));
  process.exit(0);
})().catch((e) => { console.error(`signal-load: ${e.stack || e}`); process.exit(1); });
