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

/** One RESP value at buf[pos]: [value, next] or null when incomplete. */
function parseResp(buf, pos) {
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return null;
  const head = buf.toString('utf8', pos + 1, eol);
  const next = eol + 2;
  switch (String.fromCharCode(buf[pos])) {
    case '+': return [head, next];
    case '-': return [new Error(head), next];
    case ':': return [Number(head), next];
    case '$': {
      const n = Number(head);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return null;
      return [buf.toString('utf8', next, next + n), next + n + 2];
    }
    case '*': {
      const items = [];
      let at = next;
      for (let i = 0; i < Number(head); i++) {
        const r = parseResp(buf, at);
        if (r === null) return null;
        items.push(r[0]);
        at = r[1];
      }
      return [items, at];
    }
    default: throw new Error(`not RESP: ${buf.toString('utf8', pos, eol)}`);
  }
}

/**
 * A minimal Redis client over RESP, for tests that speak to the nodes'
 * bus directly: c.command(...args) resolves to the reply; after
 * c.command('SUBSCRIBE', ch) the connection only collects pushed
 * messages in c.messages ({channel, data}).  c.close() ends it.
 */
export async function redisClient(url) {
  const { hostname, port } = new URL(url);
  const sock = net.connect(Number(port), hostname);
  await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  let buf = Buffer.alloc(0);
  const pending = [];
  const c = {
    messages: [],
    command(...args) {
      const parts = [`*${args.length}\r\n`];
      for (const a of args) parts.push(`$${Buffer.byteLength(String(a))}\r\n${a}\r\n`);
      sock.write(parts.join(''));
      return new Promise((resolve, reject) => pending.push({ resolve, reject }));
    },
    close() { sock.destroy(); },
  };
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (let r; (r = parseResp(buf, 0)) !== null;) {
      buf = buf.subarray(r[1]);
      const v = r[0];
      if (Array.isArray(v) && v[0] === 'message') c.messages.push({ channel: v[1], data: v[2] });
      else if (pending.length > 0) {
        const p = pending.shift();
        if (v instanceof Error) p.reject(v); else p.resolve(v);
      }
    }
  });
  return c;
}
