// The WebSocket layer of /v1/signal on raw TCP (src/core/wsframe.c,
// src/http/wsconn.c): the handshake, fragmented messages, control frames
// between fragments, and the RFC 6455 rules a server must enforce, each of
// which closes with the RFC's status and leaves the room cleanly.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { startServer, UNDER_VALGRIND } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { join, tok, connectedList } from './lib/signal.js';

let srv;
before(async () => { srv = await startServer({ threads: 2, args: ['--access-log', 'off'] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A client frame: masked unless mask is false. */
function frame(opcode, payload = Buffer.alloc(0), { fin = true, mask = true, rsv = 0 } = {}) {
  const body = Buffer.from(payload);
  const len = body.length;
  const head = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  if (len < 126) head.push((mask ? 0x80 : 0) | len);
  else head.push((mask ? 0x80 : 0) | 126, len >> 8, len & 0xff);
  if (!mask) return Buffer.concat([Buffer.from(head), body]);
  const key = randomBytes(4);
  for (let i = 0; i < len; i++) body[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** Opens a raw upgraded socket; frames() yields the server's frames. */
async function rawSocket() {
  const url = new URL(srv.url);
  const sock = net.connect(Number(url.port), url.hostname);
  const key = randomBytes(16).toString('base64');
  let buf = Buffer.alloc(0);
  const waiters = [];
  let ended = false;
  const wake = () => { while (waiters.length) waiters.shift()(); };
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); wake(); });
  sock.on('close', () => { ended = true; wake(); });
  const more = () => new Promise((resolve, reject) => {
    if (ended) return reject(new Error('connection closed'));
    const t = setTimeout(() => reject(new Error('no data within 3 s')), 3000);
    waiters.push(() => { clearTimeout(t); resolve(); });
  });
  await new Promise((resolve) => sock.once('connect', resolve));
  sock.write(`GET /v1/signal HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  while (buf.indexOf('\r\n\r\n') < 0) await more();
  const end = buf.indexOf('\r\n\r\n');
  const head = buf.subarray(0, end).toString();
  buf = buf.subarray(end + 4);
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  return {
    head, accept, sock,
    get ended() { return ended; },
    /** The next server frame: {fin, opcode, payload}. */
    async next() {
      for (;;) {
        if (buf.length >= 2) {
          let len = buf[1] & 0x7f, off = 2;
          if (len === 126) { len = buf.length >= 4 ? buf.readUInt16BE(2) : -1; off = 4; }
          assert.equal(buf[1] & 0x80, 0, 'server frames are never masked');
          if (len >= 0 && buf.length >= off + len) {
            const f = { fin: (buf[0] & 0x80) !== 0, opcode: buf[0] & 0x0f, payload: buf.subarray(off, off + len) };
            buf = buf.subarray(off + len);
            return f;
          }
        }
        await more();
      }
    },
    /** The next text message, parsed, skipping pings. */
    async json() {
      for (;;) {
        const f = await this.next();
        if (f.opcode === 1) return JSON.parse(f.payload.toString());
        assert.equal(f.opcode, 9, `unexpected opcode ${f.opcode}`);
      }
    },
    /** Reads up to the server's close frame; returns its status. */
    async closeStatus() {
      for (;;) {
        const f = await this.next();
        if (f.opcode === 8) return f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
      }
    },
  };
}

const connected = (room) => connectedList(srv, room, 'identity');

async function rawJoin(identity, room) {
  const s = await rawSocket();
  s.sock.write(frame(1, JSON.stringify({ type: 'join', token: tok(srv, identity, room) })));
  const joined = await s.json();
  assert.equal(joined.type, 'joined', JSON.stringify(joined));
  return s;
}

describe('WebSocket wire', () => {
  it('answers the handshake with 101 and the RFC accept key', async () => {
    const s = await rawSocket();
    assert.match(s.head, /^HTTP\/1\.1 101 /);
    assert.match(s.head, /\r\nupgrade: websocket/i);
    const line = s.head.split('\r\n').find((l) => /^sec-websocket-accept:/i.test(l));
    assert.equal(line.split(':')[1].trim(), s.accept);
    s.sock.destroy();
  });

  it('reassembles a fragmented join, answers a ping sent between its fragments, and echoes a close', async () => {
    const s = await rawSocket();
    const msg = Buffer.from(JSON.stringify({ type: 'join', token: tok(srv, 'frag', 'wire-1') }));
    const third = Math.floor(msg.length / 3);
    s.sock.write(frame(1, msg.subarray(0, third), { fin: false }));
    s.sock.write(frame(9, 'are you there'));
    s.sock.write(frame(0, msg.subarray(third, 2 * third), { fin: false }));
    s.sock.write(frame(0, msg.subarray(2 * third)));
    const pong = await s.next();
    assert.equal(pong.opcode, 10);
    assert.equal(pong.payload.toString(), 'are you there');
    assert.equal((await s.json()).type, 'joined');
    assert.deepEqual(await connected('wire-1'), ['frag']);
    const status = Buffer.alloc(2);
    status.writeUInt16BE(1000);
    s.sock.write(frame(8, status));
    assert.equal(await s.closeStatus(), 1000, 'the close is echoed with its status');
    await new Promise((resolve) => (s.ended ? resolve() : s.sock.once('close', resolve)));
    assert.deepEqual(await connected('wire-1'), []);
  });

  it('a flood of pings is refused like a flood of messages (20429, close 1008)', async () => {
    const peer = await join(srv, tok(srv, 'peer', 'wire-pings'));
    const s = await rawJoin('pinger', 'wire-pings');
    await peer.c.next('participant_joined');
    s.sock.write(Buffer.concat(Array.from({ length: 200 }, () => frame(9, 'p'))));
    let pongs = 0, error = null;
    for (;;) {
      const f = await s.next();
      if (f.opcode === 10) pongs++;
      else if (f.opcode === 1) error = JSON.parse(f.payload.toString());
      else if (f.opcode === 8) { assert.equal(f.payload.readUInt16BE(0), 1008); break; }
    }
    assert.equal(error?.code, 20429, JSON.stringify(error));
    assert.ok(pongs <= 50, `${pongs} pongs: no more than the rate allows`);
    assert.equal((await peer.c.next('participant_left')).participant.identity, 'pinger');
    s.sock.destroy();
    await peer.c.close();
  });

  const violations = [
    ['an unmasked frame', () => frame(1, '{"type":"x"}', { mask: false }), 1002],
    ['an RSV bit without an extension', () => frame(1, '{}', { rsv: 4 }), 1002],
    ['a reserved opcode', () => frame(3, 'x'), 1002],
    ['a fragmented ping', () => frame(9, 'x', { fin: false }), 1002],
    ['a continuation with no message', () => frame(0, 'x'), 1002],
    ['a text message that is not UTF-8', () => frame(1, Buffer.from([0x22, 0xc0, 0xaf, 0x22])), 1007],
    ['a close with a reserved code', () => frame(8, Buffer.from([0x03, 0xed])), 1002],
    ['fragments adding up to more than 64 KiB', () => Buffer.concat([
      frame(1, 'x'.repeat(40000), { fin: false }), frame(0, 'y'.repeat(40000))]), 1009],
  ];
  for (const [i, [what, bytes, code]] of violations.entries()) {
    it(`${what} closes with ${code} and the participant leaves`, async () => {
      const room = `wire-v-${i}`;
      const peer = await join(srv, tok(srv, 'peer', room));
      const s = await rawJoin('breaker', room);
      await peer.c.next('participant_joined');
      s.sock.write(bytes());
      assert.equal(await s.closeStatus(), code);
      assert.equal((await peer.c.next('participant_left')).participant.identity, 'breaker');
      s.sock.destroy();
      assert.deepEqual(await connected(room), ['peer']);
      await peer.c.close();
    });
  }
});

describe('a peer that does not read', () => {
  let fast;
  before(async () => { fast = await startServer({ threads: 2, args: ['--access-log', 'off', '--signal-max-rate', '5000'] }); });
  after(async () => { if (fast) assertExit0(fast, await fast.stop()); });

  it('is dropped once 1 MiB waits for it, and the others hear it left', async () => {
    const sender = await join(fast, tok(fast, 'sender', 'slow-1'));
    const stuck = await join(fast, tok(fast, 'stuck', 'slow-1'));
    assert.equal(stuck.joined.type, 'joined');
    await sender.c.next('participant_joined');
    stuck.c.ws._socket.pause(); // reads nothing more: the kernel's buffers fill, then ours
    const blob = 'z'.repeat(60 * 1024);
    const to = stuck.joined.participant.sid;
    let left = null;
    // a deadline, not a measure: memcheck relays the 60 MB slowly
    const gone = sender.c.next('participant_left', UNDER_VALGRIND ? 240000 : 30000).then((m) => { left = m; });
    // Sent no faster than the server takes them: what the sender's own
    // socket has not written yet would otherwise pile up (tens of MB under
    // memcheck) and still be arriving when the server is told to stop.
    for (let i = 0; i < 1000 && !left; i++) {
      sender.c.send({ type: 'signal', to, data: { i, blob } });
      while (!left && sender.c.ws.bufferedAmount > 256 * 1024) await new Promise((r) => setTimeout(r, 5));
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 20));
    }
    await gone;
    assert.equal(left.participant.sid, to);
    const res = await fast.request('GET', '/v1/Rooms/slow-1/Participants?Status=connected', { auth: fast.keyAuth });
    assert.deepEqual(res.json.participants.map((p) => p.identity), ['sender']);
    stuck.c.ws.terminate();
    // dropped, not closed: a close handshake would wait behind whatever
    // the sender still has queued
    sender.c.ws.terminate();
  });
});
