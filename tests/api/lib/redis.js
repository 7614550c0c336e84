// A throw-away redis-server (Debian's) for the multi-node tests: its own
// temporary directory, a free loopback port, no persistence; started and
// stopped by PID.
//
//   const r = await startRedis();      // r.url = redis://127.0.0.1:PORT
//   await r.stop();  await r.start();  // the same port again (an outage)
//   await r.close();                   // stopped, directory removed
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REDIS_BIN = process.env.REDIS_SERVER || '/usr/bin/redis-server';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

export async function startRedis() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-redis-'));
  const port = await freePort();
  const r = { dir, port, url: `redis://127.0.0.1:${port}`, proc: null, log: '' };
  r.start = () => new Promise((resolve, reject) => {
    const proc = spawn(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', ''],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    r.proc = proc;
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`redis-server did not start:\n${r.log}`)); }, 10000);
    const onData = (d) => {
      r.log += d;
      if (/Ready to accept connections/.test(r.log)) { clearTimeout(timer); resolve(r); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => { clearTimeout(timer); if (r.proc === proc) r.proc = null; reject(new Error(`redis-server exited ${code}:\n${r.log}`)); });
  });
  r.stop = () => {
    const proc = r.proc;
    if (!proc) return Promise.resolve();
    r.log = '';
    return new Promise((resolve) => { proc.once('exit', () => resolve()); process.kill(proc.pid, 'SIGTERM'); });
  };
  r.close = async () => { await r.stop(); fs.rmSync(dir, { recursive: true, force: true }); };
  process.on('exit', () => { if (r.proc) r.proc.kill('SIGKILL'); });
  await r.start();
  return r;
}
