#!/usr/bin/env node
// bench/timing.mjs - the durations the test suites do not assert (issue 16:
// tests check order and outcome; how long things take depends on the
// machine, so it is measured here and compared with a target, never a
// pass/fail of `make test`).  Run by bench/run.sh (BENCH_TIMING=0 skips it)
// or alone after `make`: `node bench/timing.mjs`.
//
//   shutdown, idle keep-alive   SIGTERM -> exit with an idle HTTP/1.1 keep-alive connection open
//   shutdown, live WebSocket    SIGTERM -> exit with a joined signaling connection that
//                               follows the reconnect hint, and one that ignores it
//   ping interval               time between pings at --signal-ping-interval 300
//   validator timeout           /sec_rec -> 504 with --validator-timeout 700, validator never answers
//   unused room timeout         creation -> completed at UnusedRoomTimeout 2, --room-timeout-unit 1
//
// Every process it starts is stopped by PID; temp dirs are removed.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.resolve(ROOT, process.env.ROOMGATE || 'build/roomgate');
const WebSocket = createRequire(path.join(ROOT, 'tests/package.json'))('ws');
const b64 = (s) => Buffer.from(s).toString('base64url');
const results = [];

function cli(dir, args) {
  return JSON.parse(execFileSync(BIN, [...args, '--data', dir], { encoding: 'utf8' }).trim().split('\n').pop());
}

async function serve(args = [], prep) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-timing-'));
  const account = cli(dir, ['account', 'create']);
  const key = cli(dir, ['key', 'create', '--account', account.sid]);
  if (prep) prep(dir);
  const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', dir, '--threads', '2', '--access-log', 'off', ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => proc.on('exit', (code, sig) => r(code ?? sig)));
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d) => { buf += d; const m = /listening on (http:\/\/[^/]+)\//.exec(buf); if (m) resolve(m[1]); });
    proc.on('exit', () => reject(new Error('roomgate exited at startup')));
  });
  const auth = 'Basic ' + Buffer.from(`${account.sid}:${account.auth_token}`).toString('base64');
  return {
    url, account, key, auth, proc, exited, dir,
    async stop() {
      proc.kill('SIGTERM');
      const code = await exited;
      fs.rmSync(dir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`roomgate exit ${code}`);
    },
  };
}

function twilioToken(s, identity, room) {
  const iat = Math.floor(Date.now() / 1000);
  const h = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' }));
  const p = b64(JSON.stringify({ jti: `${s.key.sid}-${iat}`, iss: s.key.sid, sub: s.account.sid, iat, exp: iat + 600,
    grants: { identity, video: { room } } }));
  const sig = createRequire(import.meta.url)('node:crypto').createHmac('sha256', s.key.secret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${sig}`;
}

function record(name, ms, target) {
  results.push({ name, ms, target, ok: ms <= target });
}

async function shutdownIdleKeepAlive() {
  const s = await serve();
  const agent = new http.Agent({ keepAlive: true });
  await new Promise((r, j) => http.get(`${s.url}/healthz`, { agent }, (res) => { res.resume(); res.on('end', r); }).on('error', j));
  const t0 = performance.now();
  await s.stop();
  record('shutdown, idle keep-alive', performance.now() - t0, 2000);
  agent.destroy();
}

async function withSocket(s, room, opts = {}) {
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/v1/signal`, opts);
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  ws.send(JSON.stringify({ type: 'join', token: twilioToken(s, 'alice', room) }));
  await new Promise((r) => ws.once('message', r));
  return ws;
}

// A drain hints each signaling connection to reconnect and gives them half
// of --drain-grace to leave (README "Operations"): measured with a client
// that follows the hint at once, as the SDKs do, and with one that ignores
// it, on a server with --drain-grace 2 (closed after 1 s).
async function shutdownWebSocket() {
  const s = await serve();
  const ws = await withSocket(s, 'bye');
  ws.on('message', (d) => { if (JSON.parse(String(d)).type === 'reconnect') ws.close(); });
  const t0 = performance.now();
  await s.stop();
  record('shutdown, live WebSocket that moves', performance.now() - t0, 2000);
  ws.terminate();
}

async function shutdownStubbornWebSocket() {
  const s = await serve(['--drain-grace', '2']);
  const ws = await withSocket(s, 'stay');
  const t0 = performance.now();
  await s.stop();
  record('shutdown, WebSocket that stays (grace 2s)', performance.now() - t0, 2000);
  ws.terminate();
}

async function pingInterval() {
  const s = await serve(['--signal-ping-interval', '300']);
  const ws = await withSocket(s, 'ka');
  const at = [];
  await new Promise((r) => ws.on('ping', () => { at.push(performance.now()); if (at.length === 6) r(); }));
  const gaps = at.slice(1).map((t, i) => t - at[i]);
  record('ping interval (300 ms), worst gap', Math.max(...gaps), 450);
  ws.terminate();
  await s.stop();
}

async function validatorTimeout() {
  const never = http.createServer(() => {}); // never answers
  const port = await new Promise((r) => never.listen(0, '127.0.0.1', () => r(never.address().port)));
  const s = await serve(['--playback-validator', `http://127.0.0.1:${port}/v`, '--validator-timeout', '700'],
    (dir) => cli(dir, ['keys', 'generate-recording-keypair']));
  const up = await fetch(`${s.url}/v1/Recordings?AllowedIdentities=alice`, { method: 'POST', headers: { Authorization: s.auth, 'Content-Type': 'audio/ogg' }, body: 'x' });
  const rec = await up.json();
  const t0 = performance.now();
  const r = await fetch(`${s.url}/sec_rec?recording_sid=${rec.sid}`, { headers: { Authorization: 'Basic ' + Buffer.from('token:never').toString('base64') } });
  const ms = performance.now() - t0;
  if (r.status !== 504) throw new Error(`validator timeout: HTTP ${r.status}`);
  record('validator timeout (700 ms) -> 504', ms, 1500);
  never.closeAllConnections();
  never.close();
  await s.stop();
}

async function unusedRoom() {
  const s = await serve(['--room-timeout-unit', '1']);
  const t0 = performance.now();
  const made = await (await fetch(`${s.url}/v1/Rooms`, { method: 'POST', headers: { Authorization: s.auth, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'UnusedRoomTimeout=2&EmptyRoomTimeout=1' })).json();
  for (;;) {
    const r = await (await fetch(`${s.url}/v1/Rooms/${made.sid}`, { headers: { Authorization: s.auth } })).json();
    if (r.status === 'completed') break;
    await new Promise((res) => setTimeout(res, 20));
  }
  record('unused room timeout (2 s) -> completed', performance.now() - t0, 3500);
  await s.stop();
}

for (const f of [shutdownIdleKeepAlive, shutdownWebSocket, shutdownStubbornWebSocket, pingInterval, validatorTimeout, unusedRoom]) await f();
console.log('== durations (targets, not test assertions)');
for (const r of results) console.log(`${r.name.padEnd(42)} ${r.ms.toFixed(0).padStart(6)} ms   target <= ${r.target} ms: ${r.ok ? 'ok' : 'MISSED'}`);
