// Run by sec_redteam.test.js inside its own network namespace (unshare -n),
// where lo carries fd00::1..fd00::4/64: starts roomgate on [fd00::1], opens
// WebSocket upgrades from other addresses of the same /64 and prints one
// JSON line {statuses, exit, stderr}.  Nothing here touches the host's
// network.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

const BIN = process.argv[2];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-ipv6-'));
execFileSync(BIN, ['account', 'create', '--data', dataDir], { stdio: 'ignore' });
const proc = spawn(BIN, ['serve', '--listen', '[fd00::1]:0', '--data', dataDir, '--threads', '1',
  '--signal-max-conns-per-ip', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
let err = '';
proc.stderr.on('data', (d) => { err += d; });
const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve(code ?? `signal:${sig}`)));
const port = await new Promise((resolve, reject) => {
  let buf = '';
  proc.stdout.on('data', (d) => {
    buf += d;
    const m = /listening on http:\/\/\[fd00::1\]:(\d+)\//.exec(buf);
    if (m) resolve(Number(m[1]));
  });
  exited.then((c) => reject(new Error(`exited ${c}: ${err}`)));
});

// resolves to the HTTP status of the upgrade (101 when it was accepted)
const open = (localAddress) => new Promise((resolve) => {
  const ws = new WebSocket(`ws://[fd00::1]:${port}/v1/signal`, { localAddress, family: 6 });
  ws.on('open', () => { sockets.push(ws); resolve(101); });
  ws.on('unexpected-response', (req, res) => { resolve(res.statusCode); res.resume(); });
  ws.on('error', (e) => resolve(`error: ${e.message}`));
});
const sockets = [];
const statuses = [];
for (const a of ['fd00::2', 'fd00::3', 'fd00::4']) statuses.push(await open(a));
for (const ws of sockets) ws.terminate();
proc.kill('SIGTERM');
const exit = await exited;
fs.rmSync(dataDir, { recursive: true, force: true });
console.log(JSON.stringify({ statuses, exit, stderr: err.slice(-2000) }));
