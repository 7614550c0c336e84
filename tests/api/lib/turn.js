// TURN test helpers: Debian's coturn on loopback, and a minimal STUN/TURN
// client (RFC 5389 / 5766) that performs an authenticated Allocate, then
// relays one datagram to a peer through the allocation.
//
//   const turn = await startCoturn({ secrets: ['s1', 's2'] });   // turn.port, turn.realm
//   const r = await allocate({ port: turn.port, username, password });
//   // r.ok with r.relay {address, port}, or r.code (401 ...)
//   await turn.stop();
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { REPO_ROOT } from './server.js';

const COOKIE = 0x2112a442;
const T = {
  ALLOCATE: 0x0003, ALLOCATE_OK: 0x0103, ALLOCATE_ERR: 0x0113,
  PERMISSION: 0x0008, PERMISSION_OK: 0x0108, PERMISSION_ERR: 0x0118,
  BINDING: 0x0001, BINDING_OK: 0x0101, SEND: 0x0016,
};
const A = {
  USERNAME: 0x0006, MESSAGE_INTEGRITY: 0x0008, ERROR_CODE: 0x0009, XOR_PEER_ADDRESS: 0x0012,
  DATA: 0x0013, REALM: 0x0014, NONCE: 0x0015, XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_TRANSPORT: 0x0019,
};

/** The turnserver binary, or throws with a loud, actionable message. */
export function turnserverPath() {
  for (const p of ['/usr/bin/turnserver', '/usr/sbin/turnserver']) if (fs.existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v turnserver'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('coturn is not installed: turnserver not found. `make test` installs it via '
      + 'scripts/deps.sh test (Debian package coturn); run `scripts/deps.sh test`.');
  }
}

function attr(type, value) {
  const pad = (4 - (value.length % 4)) % 4;
  const h = Buffer.alloc(4);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(value.length, 2);
  return Buffer.concat([h, value, Buffer.alloc(pad)]);
}

function xorAddress(address, port) {
  const v = Buffer.alloc(8);
  v.writeUInt8(0x01, 1); // IPv4
  v.writeUInt16BE(port ^ (COOKIE >>> 16), 2);
  const ip = address.split('.').map(Number);
  v.writeUInt32BE((((ip[0] << 24) | (ip[1] << 16) | (ip[2] << 8) | ip[3]) ^ COOKIE) >>> 0, 4);
  return v;
}

function readXorAddress(v) {
  const port = v.readUInt16BE(2) ^ (COOKIE >>> 16);
  const ip = (v.readUInt32BE(4) ^ COOKIE) >>> 0;
  return { address: [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.'), port };
}

/** A STUN message; with key, MESSAGE-INTEGRITY (HMAC-SHA1) is appended. */
function message(type, txid, attrs, key) {
  let body = Buffer.concat(attrs);
  const header = (len) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(type, 0);
    h.writeUInt16BE(len, 2);
    h.writeUInt32BE(COOKIE, 4);
    txid.copy(h, 8);
    return h;
  };
  if (key) {
    // The length field covers MESSAGE-INTEGRITY when the HMAC is computed.
    const mac = crypto.createHmac('sha1', key).update(Buffer.concat([header(body.length + 24), body])).digest();
    body = Buffer.concat([body, attr(A.MESSAGE_INTEGRITY, mac)]);
  }
  return Buffer.concat([header(body.length), body]);
}

function parse(buf) {
  if (buf.length < 20 || buf.readUInt32BE(4) !== COOKIE) return null;
  const type = buf.readUInt16BE(0);
  const len = buf.readUInt16BE(2);
  const attrs = new Map();
  for (let off = 20; off + 4 <= 20 + len && off + 4 <= buf.length;) {
    const t = buf.readUInt16BE(off);
    const l = buf.readUInt16BE(off + 2);
    if (!attrs.has(t)) attrs.set(t, buf.subarray(off + 4, off + 4 + l));
    off += 4 + l + ((4 - (l % 4)) % 4);
  }
  const err = attrs.get(A.ERROR_CODE);
  return {
    type, txid: buf.subarray(8, 20), attrs,
    code: err ? (err[2] & 7) * 100 + err[3] : undefined,
    reason: err ? err.subarray(4).toString('utf8') : undefined,
  };
}

/** A UDP socket that answers request/response transactions with retries. */
async function stunSocket(port) {
  const sock = dgram.createSocket('udp4');
  await new Promise((resolve, reject) => { sock.once('error', reject); sock.bind(0, '127.0.0.1', resolve); });
  const waiting = new Map();
  sock.on('message', (buf) => {
    const m = parse(buf);
    const w = m && waiting.get(m.txid.toString('hex'));
    if (w) { waiting.delete(m.txid.toString('hex')); w(m); }
  });
  const transact = (type, attrs, key, timeoutMs = 3000) => new Promise((resolve, reject) => {
    const txid = crypto.randomBytes(12);
    const msg = message(type, txid, attrs, key);
    const id = txid.toString('hex');
    let tries = 0;
    const send = () => sock.send(msg, port, '127.0.0.1');
    const retry = setInterval(() => { if (++tries < 10) send(); }, 250);
    const timer = setTimeout(() => {
      clearInterval(retry);
      waiting.delete(id);
      reject(new Error(`no STUN answer from 127.0.0.1:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    waiting.set(id, (m) => { clearTimeout(timer); clearInterval(retry); resolve(m); });
    send();
  });
  return { sock, transact, close: () => sock.close() };
}

/**
 * Allocate a UDP relay with long-term credentials (the nonce/realm come
 * from the server's first 401).  With a peer socket, also creates a
 * permission and sends one datagram through the relay, which the peer
 * must receive from the relayed address.
 * Resolves {ok:true, relay, relayed} or {ok:false, code, reason}.
 */
export async function allocate({ port, username, password, relayTo = true }) {
  const s = await stunSocket(port);
  try {
    const transport = attr(A.REQUESTED_TRANSPORT, Buffer.from([17, 0, 0, 0]));
    const first = await s.transact(T.ALLOCATE, [transport]);
    if (first.type !== T.ALLOCATE_ERR || first.code !== 401) {
      throw new Error(`unauthenticated Allocate: expected 401, got type ${first.type} code ${first.code}`);
    }
    const realm = first.attrs.get(A.REALM);
    const nonce = first.attrs.get(A.NONCE);
    const key = crypto.createHash('md5').update(`${username}:${realm.toString('utf8')}:${password}`).digest();
    const auth = [attr(A.USERNAME, Buffer.from(username, 'utf8')), attr(A.REALM, realm), attr(A.NONCE, nonce)];
    const res = await s.transact(T.ALLOCATE, [transport, ...auth], key);
    if (res.type !== T.ALLOCATE_OK) return { ok: false, code: res.code, reason: res.reason };
    const relay = readXorAddress(res.attrs.get(A.XOR_RELAYED_ADDRESS));
    if (!relayTo) return { ok: true, relay };

    // Prove the relay relays: permission for a peer, then a Send indication.
    const peer = dgram.createSocket('udp4');
    await new Promise((resolve) => peer.bind(0, '127.0.0.1', resolve));
    try {
      const peerAddr = attr(A.XOR_PEER_ADDRESS, xorAddress('127.0.0.1', peer.address().port));
      const perm = await s.transact(T.PERMISSION, [peerAddr, ...auth], key);
      if (perm.type !== T.PERMISSION_OK) throw new Error(`CreatePermission failed: ${perm.code} ${perm.reason}`);
      const payload = crypto.randomBytes(16);
      const got = new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('the peer received nothing through the relay')), 3000);
        peer.on('message', (buf, rinfo) => {
          if (buf.equals(payload)) { clearTimeout(t); resolve(rinfo); }
        });
      });
      s.sock.send(message(T.SEND, crypto.randomBytes(12), [peerAddr, attr(A.DATA, payload)]), port, '127.0.0.1');
      const from = await got;
      return { ok: true, relay, relayed: { address: from.address, port: from.port } };
    } finally {
      peer.close();
    }
  } finally {
    s.close();
  }
}

function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Whether a TCP listener can be had on 127.0.0.1:port right now. */
function tcpFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port free for UDP and for TCP when asked (coturn listens on both). */
async function freeUdpTcpPort() {
  for (let i = 0; i < 50; i++) {
    const port = await freeUdpPort();
    if (await tcpFree(port)) return port;
  }
  throw new Error('no loopback port free for both UDP and TCP in 50 tries');
}

/** A STUN Binding over TCP; resolves true when the answer is its success. */
function tcpBinding(port, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const txid = crypto.randomBytes(12);
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const done = (v) => { clearTimeout(t); sock.destroy(); resolve(v); };
    const t = setTimeout(() => done(false), timeoutMs);
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write(message(T.BINDING, txid, [])));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 20 || buf.length < 20 + buf.readUInt16BE(2)) return;
      const m = parse(buf);
      done(Boolean(m && m.type === T.BINDING_OK && m.txid.equals(txid)));
    });
  });
}

/** Thrown when coturn could not have the port it was given: try another. */
class PortClash extends Error {}

/**
 * Starts turnserver in the foreground on a loopback port free for UDP and
 * TCP, with a temp config, log, pid file and user db.  The port is picked
 * by binding and closing it, so another process can take it before coturn
 * does: when coturn then cannot bind it (its log says so, or it answers a
 * STUN Binding on one transport but not the other), it is stopped and
 * started again on a new port, up to 5 times.  Throws (loudly, with the
 * log) on any other failure, or when it does not answer within 10 s.
 * firstPort: the port of the first attempt (harness test of the retry).
 */
export async function startCoturn({ secrets, realm = 'roomgate.test', firstPort } = {}) {
  const bin = turnserverPath();
  const tried = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = attempt === 0 && firstPort ? firstPort : await freeUdpTcpPort();
    tried.push(port);
    try {
      const turn = await coturnOn(bin, port, secrets, realm);
      turn.tried = tried;
      return turn;
    } catch (e) {
      if (!(e instanceof PortClash)) throw e;
    }
  }
  throw new Error(`COTURN could not get a port: tried ${tried.join(', ')}`);
}

const BIND_FAILED_RE = /Address already in use|[Cc]annot bind|bind: /;

async function coturnOn(bin, port, secrets, realm) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-coturn-'));
  // deploy/turnserver.conf is the base, so the shipped example is what is
  // tested; only ports, secrets, files and the loopback peer are overridden.
  const OVERRIDDEN = new Set(['listening-port', 'static-auth-secret', 'realm', 'pidfile', 'log-file', 'userdb']);
  const base = fs.readFileSync(path.join(REPO_ROOT, 'deploy/turnserver.conf'), 'utf8').split('\n')
    .filter((l) => !OVERRIDDEN.has(l.split('=')[0].trim()))
    // the relay test's peer is on loopback
    .filter((l) => l.trim() !== 'denied-peer-ip=127.0.0.0-127.255.255.255');
  assert.ok(base.includes('use-auth-secret') && base.includes('listening-ip=127.0.0.1'),
    'deploy/turnserver.conf: use-auth-secret, loopback listener');
  const conf = [
    ...base,
    '# --- test overrides (tests/api/lib/turn.js) ---',
    `listening-port=${port}`,
    ...secrets.map((s) => `static-auth-secret=${s}`), `realm=${realm}`,
    'allow-loopback-peers',
    `pidfile=${dir}/turnserver.pid`, `log-file=${dir}/turnserver.log`, `userdb=${dir}/turndb`,
  ].join('\n') + '\n';
  fs.writeFileSync(path.join(dir, 'turnserver.conf'), conf, { mode: 0o600 });
  const proc = spawn(bin, ['-c', path.join(dir, 'turnserver.conf'), '--no-stdout-log'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  let exited = null;
  const exit = new Promise((resolve) => proc.on('exit', (code, sig) => { exited = code ?? sig; resolve(exited); }));
  const log = () => {
    let text = out;
    try { for (const f of fs.readdirSync(dir)) if (f.startsWith('turnserver') && f.endsWith('.log')) text += fs.readFileSync(path.join(dir, f), 'utf8'); } catch { /* gone */ }
    return text;
  };
  const stop = async () => {
    if (exited === null) proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(t);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10000;
  for (;;) {
    if (exited !== null) {
      const text = log();
      fs.rmSync(dir, { recursive: true, force: true });
      if (BIND_FAILED_RE.test(text)) throw new PortClash(`port ${port} taken`);
      throw new Error(`COTURN DID NOT START (exit ${exited}); log:\n${text}`);
    }
    const s = await stunSocket(port);
    let udp = false;
    try {
      const m = await s.transact(T.BINDING, [], undefined, 500);
      udp = m.type === T.BINDING_OK;
    } catch { /* not up yet */ } finally {
      s.close();
    }
    if (udp) {
      // the UDP listener is coturn's; the TCP one on the same number must be too
      if (await tcpBinding(port)) break;
      await stop();
      throw new PortClash(`port ${port}: STUN over UDP answered, over TCP not`);
    }
    if (BIND_FAILED_RE.test(log())) {
      await stop();
      throw new PortClash(`port ${port} taken`);
    }
    if (Date.now() > deadline) {
      const text = log();
      await stop();
      throw new Error(`COTURN DID NOT ANSWER a STUN Binding on 127.0.0.1:${port} within 10 s; log:\n${text}`);
    }
  }
  return { port, realm, proc, log, stop };
}

/** A coturn REST credential computed here, independently of roomgate. */
export function turnCredential(secret, identity, expiry) {
  const username = `${expiry}:${identity}`;
  return { username, password: crypto.createHmac('sha1', secret).update(username).digest('base64') };
}
