// Security review (issue 12): Twilio's `ice` on GET /signaling hands out
// roomgate's STUN/TURN servers (TURN credentials when configured) to a token
// before any join.  It checked the token and its grant but not the
// revocations a REST kick makes, so a kicked participant kept getting TURN
// credentials (relay bandwidth) with the token the kick revoked, until it
// expired; a join with that token is refused with 20106 (docs/security.md,
// "Twilio's ice and sync honour kicks").
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { tok } from './lib/signal.js';

let srv;
before(async () => {
  srv = await startServer({ args: ['--access-log', 'off', '--turn-uri', 'turn:turn.example.com:3478', '--turn-secret', 'a-turn-secret-of-enough-length'] });
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/** Opens /signaling, says hello with body; resolves the first room message and the close. */
async function helloWith(body) {
  const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + '/signaling');
  const closed = new Promise((r) => ws.on('close', (code) => r(code)));
  const first = new Promise((resolve) => ws.on('message', (d) => { const m = JSON.parse(d.toString()); if (m.type === 'msg') resolve(m.body); }));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ type: 'hello', version: 2, body }));
  return { ws, first, closed };
}

it('a kicked participant\'s token gets no ice servers (20106), as its join gets none', async () => {
  const token = tok(srv, 'kicked', 'ice-room');
  // before the kick: iced with a TURN credential
  const ok = await helloWith({ type: 'ice', version: 1, token });
  const iced = await ok.first;
  assert.equal(iced.type, 'iced');
  assert.ok(iced.ice_servers.some((s) => s.credential), JSON.stringify(iced));
  ok.ws.close();
  await ok.closed;
  // join, then the REST kick
  const tw = await helloWith({ type: 'connect', version: 2, name: 'ice-room', token, participant: { revision: 1, tracks: [] }, peer_connections: [] });
  const connected = await tw.first;
  assert.equal(connected.type, 'connected');
  const kick = await srv.request('POST', `/v1/Rooms/ice-room/Participants/${connected.participant.sid}`, { auth: srv.keyAuth, form: { Status: 'disconnected' } });
  assert.equal(kick.status, 200, kick.text);
  await tw.closed;
  // the same token: the join is refused, and so is ice
  for (const body of [{ type: 'connect', version: 2, name: 'ice-room', token }, { type: 'ice', version: 1, token }]) {
    const c = await helloWith(body);
    const answer = await c.first;
    assert.equal(answer.type, 'error', `${body.type}: ${JSON.stringify(answer)}`);
    assert.equal(answer.code, 20106, `${body.type}: ${JSON.stringify(answer)}`);
    assert.equal(await c.closed, 1008);
  }
  // a token issued after the kick gets them again
  await new Promise((r) => setTimeout(r, 1100)); // iat has one-second resolution
  const fresh = await helloWith({ type: 'ice', version: 1, token: tok(srv, 'kicked', 'ice-room') });
  assert.equal((await fresh.first).type, 'iced');
  fresh.ws.close();
  await fresh.closed;
});
