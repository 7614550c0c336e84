// Signaling limits and keepalive (docs/signaling.md "Limits"): message
// rate, frame size, binary frames, malformed and out-of-order messages,
// connections per address, pings and the dead-peer drop.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, waitFor } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { connect, join, tok, connectedList } from './lib/signal.js';

let srv;
before(async () => {
  srv = await startServer({
    threads: 2,
    args: ['--access-log', 'off', '--signal-max-rate', '20', '--signal-max-conns-per-ip', '40',
      '--signal-ping-interval', '300', '--signal-ping-misses', '2'],
  });
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

const connected = (room) => connectedList(srv, room, 'identity');

describe('abuse', () => {
  it('anything but a join first is an error and a close', async () => {
    for (const first of ['not json', '[1,2]', '{"type":"signal","to":"PA00000000000000000000000000000000","data":{}}',
      '{"type":"nope"}', '{"type":"join"}', '{"type":"join","token":42}', '{"type":"join","token":"x","token":"y"}']) {
      const c = await connect(srv);
      c.send(first);
      const err = await c.next('error');
      assert.equal(err.code, 53004, first);
      await c.closed;
    }
  });

  it('after the join, bad messages are errors and the connection stays', async () => {
    const a = await join(srv, tok(srv, 'alice', 'abuse-1'));
    const b = await join(srv, tok(srv, 'bob', 'abuse-1'));
    for (const bad of ['{', '{"type":"mute"}', '{"type":"signal","to":"bob","data":{}}',
      '{"type":"signal","to":"' + b.joined.participant.sid + '","data":"str"}', '{"type":"entry_response","participant":"x","decision":"maybe"}']) {
      a.c.send(bad);
      assert.equal((await a.c.next('error')).code, 53004, bad);
    }
    a.c.send({ type: 'join', token: tok(srv, 'alice', 'abuse-2') });
    const second = await a.c.next('error');
    assert.equal(second.code, 53004, 'one room per connection');
    a.c.send({ type: 'signal', to: b.joined.participant.sid, data: { still: 'here' } });
    assert.deepEqual((await b.c.next('signal')).data, { still: 'here' });
    assert.deepEqual(await connected('abuse-1'), ['alice', 'bob']);
    await Promise.all([a.c.close(), b.c.close()]);
  });

  it('a binary frame is an error and a close', async () => {
    const a = await join(srv, tok(srv, 'alice', 'abuse-3'));
    a.c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await a.c.next('error')).code, 53004);
    await a.c.closed;
    assert.deepEqual(await connected('abuse-3'), []);
  });

  it('a frame over the limit (64 KiB) closes with 1009', async () => {
    const a = await join(srv, tok(srv, 'alice', 'abuse-4'));
    a.c.send({ type: 'signal', to: a.joined.participant.sid, data: { blob: 'x'.repeat(70 * 1024) } });
    const { code } = await a.c.closed;
    assert.equal(code, 1009);
    assert.deepEqual(await connected('abuse-4'), []);
    // just under the limit is fine
    const b = await join(srv, tok(srv, 'bob', 'abuse-4'));
    const c = await join(srv, tok(srv, 'carol', 'abuse-4'));
    b.c.send({ type: 'signal', to: c.joined.participant.sid, data: { blob: 'y'.repeat(60 * 1024) } });
    assert.equal((await c.c.next('signal')).data.blob.length, 60 * 1024);
    await Promise.all([b.c.close(), c.c.close()]);
  });

  it('more messages per second than allowed: 20429 and a close', async () => {
    const a = await join(srv, tok(srv, 'alice', 'abuse-5'));
    const b = await join(srv, tok(srv, 'bob', 'abuse-5'));
    for (let i = 0; i < 40; i++) a.c.send({ type: 'signal', to: b.joined.participant.sid, data: { i } });
    assert.equal((await a.c.next('error')).code, 20429);
    await a.c.closed;
    assert.equal((await b.c.next('participant_left')).participant.identity, 'alice');
    let got = 0;
    while (b.c.inbox.some((m) => m.type === 'signal')) { await b.c.next('signal'); got++; }
    assert.ok(got <= 20, `at most the burst was relayed (${got})`);
    await b.c.close();
  });

  it('limits WebSocket connections per client address (429 before the upgrade)', async () => {
    const conns = await Promise.all(Array.from({ length: 40 }, () => connect(srv)));
    await assert.rejects(connect(srv), (e) => e.status === 429 && JSON.parse(e.body).code === 20429);
    await Promise.all(conns.map((c) => c.close()));
    const again = await connect(srv);
    await again.close();
  });

  it('GET /v1/signal without an upgrade is a 400', async () => {
    const res = await srv.request('GET', '/v1/signal');
    assert.equal(res.status, 400);
    assert.equal(res.json.code, 53004);
  });
});

describe('keepalive', () => {
  it('pings; a live client that answers outlasts more pings than --signal-ping-misses and stays', async () => {
    const a = await join(srv, tok(srv, 'alice', 'ka-1'));
    let pings = 0;
    a.c.ws.on('ping', () => { pings++; });
    // 3 pings > --signal-ping-misses 2: had the answers not counted, alice
    // would be gone by now (the interval itself is measured in bench/timing.mjs)
    await waitFor(() => pings >= 3, '3 pings');
    assert.deepEqual(await connected('ka-1'), ['alice']);
    await a.c.close();
  });

  it('drops a peer that stops answering pings, and tells the others', async () => {
    const a = await join(srv, tok(srv, 'alice', 'ka-2'));
    const dead = await join(srv, tok(srv, 'zombie', 'ka-2'), undefined, { autoPong: false });
    const left = await a.c.next('participant_left', 4000);
    assert.equal(left.participant.sid, dead.joined.participant.sid);
    assert.deepEqual(await connected('ka-2'), ['alice']);
    await dead.c.closed;
    await a.c.close();
  });
});

describe('server lifecycle', () => {
  it('SIGTERM tells live connections (53000, close 1001) and exits 0', async () => {
    const s2 = await startServer({ args: ['--access-log', 'off'] });
    const a = await join(s2, tok(s2, 'alice', 'bye'));
    const code = await s2.stop();
    assertExit0(s2, code);
    // told and closed by the server, not dropped when the process ended
    // (how fast is bench/timing.mjs's 'shutdown, live WebSocket')
    const err = await a.c.next('error');
    assert.equal(err.code, 53000);
    assert.equal((await a.c.closed).code, 1001);
  });

  it('participants left connected by a crash are disconnected at the next start', async () => {
    const s2 = await startServer({ args: ['--access-log', 'off'] });
    const a = await join(s2, tok(s2, 'alice', 'crash-1'));
    assert.equal(a.joined.type, 'joined');
    await s2.stop({ signal: 'SIGKILL', expect: 'SIGKILL', keepData: true });
    const s3 = await startServer({ dataDir: s2.dataDir, account: s2.account, key: s2.key, args: ['--access-log', 'off'] });
    try {
      const res = await s3.request('GET', '/v1/Rooms/crash-1/Participants', { auth: s2.keyAuth });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.participants.length, 1);
      assert.equal(res.json.participants[0].status, 'disconnected');
    } finally {
      assertExit0(s3, await s3.stop());
    }
  });

});
