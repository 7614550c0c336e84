// Seats taken in batches (issue 14 item 3): the joins one event-loop turn
// reads are committed in one store transaction (src/signal/hub_join.c
// rg_hub_seats_run), yet each connection sees what it saw when every join
// was its own transaction: a message sent in the same TCP write as the
// join is handled after the joined answer, the same identity arriving
// twice at once leaves exactly one of them in the room and in the store,
// and the REST list agrees with the live connections once joined returns.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { startServer, UNDER_VALGRIND } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { join, tok, connectedList } from './lib/signal.js';

let srv;
before(async () => { srv = await startServer({ threads: 2, args: ['--access-log', 'off'] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

const rest = (method, p, form) => srv.request(method, p, { auth: srv.keyAuth, form });

const connected = (room) => connectedList(srv, room, 'sid');

/** A masked client text frame. */
function textFrame(obj) {
  const body = Buffer.from(JSON.stringify(obj));
  const len = body.length;
  const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff]);
  const key = randomBytes(4);
  for (let i = 0; i < len; i++) body[i] ^= key[i & 3];
  return Buffer.concat([head, key, body]);
}

/** An upgraded raw socket; next() is the server's next text message. */
async function rawSocket() {
  const url = new URL(srv.url);
  const sock = net.connect(Number(url.port), url.hostname);
  let buf = Buffer.alloc(0);
  let ended = false;
  const waiters = [];
  const wake = () => { while (waiters.length) waiters.shift()(); };
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); wake(); });
  sock.on('close', () => { ended = true; wake(); });
  const more = () => new Promise((resolve, reject) => {
    if (ended) return reject(new Error('connection closed'));
    const ms = UNDER_VALGRIND ? 60000 : 10000;
    const t = setTimeout(() => reject(new Error(`no data within ${ms} ms`)), ms);
    waiters.push(() => { clearTimeout(t); resolve(); });
  });
  await new Promise((resolve) => sock.once('connect', resolve));
  sock.write(`GET /v1/signal HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  while (buf.indexOf('\r\n\r\n') < 0) await more();
  assert.match(buf.toString('latin1', 0, 12), /^HTTP\/1\.1 101/);
  buf = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
  return {
    sock,
    async next() {
      for (;;) {
        if (buf.length >= 2) {
          let len = buf[1] & 0x7f, off = 2;
          if (len === 126 && buf.length >= 4) { len = buf.readUInt16BE(2); off = 4; }
          if (len !== 126 && buf.length >= off + len) {
            const opcode = buf[0] & 0x0f, payload = buf.subarray(off, off + len);
            buf = buf.subarray(off + len);
            if (opcode === 1) return JSON.parse(payload.toString());
            if (opcode === 8) return { type: '<close>', status: payload.length >= 2 ? payload.readUInt16BE(0) : 1005 };
            continue;
          }
        }
        await more();
      }
    },
    end() { sock.destroy(); },
  };
}

describe('seats taken in batches', () => {
  it('a message in the same write as the join is handled after joined, not refused', async () => {
    const a = await join(srv, tok(srv, 'alice', 'batch-pipe'));
    assert.equal(a.joined.type, 'joined', JSON.stringify(a.joined));
    const s = await rawSocket();
    const to = a.joined.participant.sid;
    s.sock.write(Buffer.concat([
      textFrame({ type: 'join', token: tok(srv, 'bob', 'batch-pipe') }),
      textFrame({ type: 'signal', to, data: { n: 1 } }),
    ]));
    const joined = await s.next();
    assert.equal(joined.type, 'joined', JSON.stringify(joined));
    const relayed = await a.c.next('signal');
    assert.equal(relayed.from, joined.participant.sid);
    assert.deepEqual(relayed.data, { n: 1 });
    assert.deepEqual(await connected('batch-pipe'), [to, joined.participant.sid].sort());
    s.end();
    assert.equal((await a.c.next('participant_left')).participant.sid, joined.participant.sid);
    await a.c.close();
  });

  it('one identity joining on many connections at once: one stays, in the room and in the store', async () => {
    await rest('POST', '/v1/Rooms', { UniqueName: 'batch-dup', Type: 'go' });
    const socks = await Promise.all(Array.from({ length: 6 }, () => rawSocket()));
    const token = tok(srv, 'carol', 'batch-dup');
    for (const s of socks) s.sock.write(textFrame({ type: 'join', token }));
    const firsts = await Promise.all(socks.map((s) => s.next()));
    // each was admitted in its turn and each later one replaced the one
    // before.  Each hears joined first, or, when it was replaced before
    // it could be told (on PostgreSQL the hub's writer seats a batch
    // before its loop announces it: signal/hub_seats.c), only 53205
    for (const f of firsts)
      assert.ok(f.type === 'joined' || (f.type === 'error' && f.code === 53205), JSON.stringify(f));
    assert.ok(firsts.some((f) => f.type === 'joined'), JSON.stringify(firsts));
    const live = await connected('batch-dup');
    assert.equal(live.length, 1, JSON.stringify(live));
    const stay = firsts.findIndex((f) => f.type === 'joined' && f.participant.sid === live[0]);
    assert.ok(stay >= 0, 'the connected participant is one of the joined answers');
    // and every other one hears 53205 and is closed
    for (let i = 0; i < socks.length; i++) {
      if (i === stay) continue;
      const m = firsts[i].type === 'error' ? firsts[i] : await socks[i].next();
      assert.equal(m.type, 'error', JSON.stringify(m));
      assert.equal(m.code, 53205, JSON.stringify(m));
      assert.equal((await socks[i].next()).type, '<close>');
    }
    for (const s of socks) s.end();
  });
});
