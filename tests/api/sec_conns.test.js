// Issue 10 (leftover of item 1): a per-address cap on open HTTP
// connections (--max-conns-per-ip).  Each connection can hold request
// bodies in memory, so one address may hold only so many.  Over the cap
// a new connection is closed at accept, before any byte is read; another
// address is not affected, and a connection that closes frees its slot.
//
// The server listens on 127.0.0.1; other client addresses are other
// loopback addresses bound with `localAddress`.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';

const servers = [];
after(async () => {
  for (const s of servers) if (!s.stopped) assertExit0(s, await s.stop());
});

const open = new Set();
after(() => { for (const s of open) s.destroy(); });

/**
 * A connection from `from` that sends one keep-alive request and stays
 * open.  Resolves {sock, status} once the response head arrived, or
 * {refused: true, got} when the server closed it before answering.
 */
function hold(srv, from) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port: srv.port, localAddress: from });
    open.add(sock);
    let got = '';
    let done = false;
    const finish = (v) => { if (!done) { done = true; resolve(v); } };
    sock.setEncoding('latin1');
    sock.on('connect', () => sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    sock.on('data', (d) => {
      got += d;
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(got);
      if (m && got.includes('\r\n\r\n')) finish({ sock, status: Number(m[1]) });
    });
    sock.on('error', () => {}); // a reset at accept shows as 'close' too
    sock.on('close', () => { open.delete(sock); finish({ refused: true, got }); });
  });
}

async function release(sock) {
  const closed = new Promise((r) => sock.once('close', r));
  sock.end();
  await closed;
}

describe('--max-conns-per-ip', () => {
  it('refuses the sixth connection of an address, not another address, and frees a slot on close', async () => {
    const srv = await startServer({ args: ['--max-conns-per-ip', '5', '--access-log', 'off', '--metrics-listen', '127.0.0.1:0'] });
    servers.push(srv);
    const held = [];
    for (let i = 0; i < 5; i++) {
      const h = await hold(srv, '127.0.0.1');
      assert.equal(h.status, 200, `connection ${i + 1}: ${JSON.stringify(h)}`);
      held.push(h.sock);
    }
    const sixth = await hold(srv, '127.0.0.1');
    assert.equal(sixth.refused, true, 'the sixth connection is closed');
    assert.equal(sixth.got, '', 'and answered nothing');

    const other = await hold(srv, '127.0.0.2');
    assert.equal(other.status, 200, 'another address still gets in');
    await release(other.sock);

    // one of the five goes: a new connection from 127.0.0.1 gets in once the
    // server has seen the close (poll with a deadline)
    await release(held.shift());
    const deadline = Date.now() + 5000;
    let again;
    for (;;) {
      again = await hold(srv, '127.0.0.1');
      if (!again.refused || Date.now() > deadline) break;
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(again.status, 200, `a freed slot is taken again: ${JSON.stringify(again)}`);
    held.push(again.sock);
    // and the cap still holds with the new one
    assert.equal((await hold(srv, '127.0.0.1')).refused, true, 'five again: the next is refused');

    for (const s of held) await release(s);
    // every refusal is counted: the sixth, the last one, and any the poll met
    const metrics = await (await fetch(srv.metricsUrl)).text();
    const m = /^roomgate_rate_limited_total\{limit="conns"\} (\d+)$/m.exec(metrics);
    assert.ok(m && Number(m[1]) >= 2, `conns refusals in /metrics: ${m?.[0]}`);
    srv.stopped = true;
    assertExit0(srv, await srv.stop());
  });

  it('0 turns the cap off; a bad value is a usage error', async () => {
    const srv = await startServer({ args: ['--max-conns-per-ip', '0', '--access-log', 'off'] });
    servers.push(srv);
    const held = [];
    for (let i = 0; i < 8; i++) {
      const h = await hold(srv, '127.0.0.1');
      assert.equal(h.status, 200, `connection ${i + 1}: ${JSON.stringify(h)}`);
      held.push(h.sock);
    }
    for (const s of held) await release(s);
    srv.stopped = true;
    assertExit0(srv, await srv.stop());

    for (const bad of ['-1', 'x', '10000001']) {
      await assert.rejects(startServer({ args: ['--max-conns-per-ip', bad] }), (e) => {
        assert.equal(e.exitCode, 2, `--max-conns-per-ip ${bad}: ${e.message}`);
        assert.match(e.stderr, /max-conns-per-ip/);
        return true;
      });
    }
  });
});
