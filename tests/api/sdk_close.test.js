// Issue 10 item 2, the SDK's side: a deactivated VideoSDK room ends the
// SDK's Room with code 4052 and no rejoin, whether the client reads the
// error message or only the close frame (status 4052).  /sdk/roomgate.js
// run in Node (ws as the WebSocket, no media), against a real server and
// against a stub that sends nothing but the close frame.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { startServer, REPO_ROOT } from './lib/server.js';

globalThis.WebSocket = WebSocket;
const sdk = await import(pathToFileURL(path.join(REPO_ROOT, 'web/sdk/roomgate.js')).href);
const noMedia = { stream: { getTracks: () => [] } };
const once = (room, name) => new Promise((resolve) => room.once(name, (...a) => resolve(a)));
const TOKEN = 'x.eyJwZXJtaXNzaW9ucyI6WyJhbGxvd19qb2luIl19.x'; // the stub never checks it

/** A signaling stub: answers `join` by onJoin(ws, msg). */
async function stub(onJoin) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => ws.on('message', (d) => onJoin(ws, JSON.parse(d))));
  return { url: `http://127.0.0.1:${wss.address().port}`, joins: () => wss.clients.size, close: () => new Promise((r) => wss.close(r)) };
}

describe('SDK and a deactivated room (4052)', () => {
  it('live room deactivated on the server: disconnected with 4052, no rejoin even with options.reconnect', async () => {
    const srv = await startServer({ args: ['--access-log', 'off'] });
    try {
      const res = await srv.request('GET', '/get-token', { auth: srv.keyAuth, query: { permissions: 'allow_join,allow_mod', participantId: 'alice' } });
      assert.equal(res.status, 200, res.text);
      const token = res.json.token;
      const made = await srv.request('POST', '/v2/rooms', { headers: { Authorization: token }, json: { customRoomId: 'sdk-deact' } });
      assert.equal(made.status, 200, made.text);
      const room = await sdk.connect(srv.url, token, { ...noMedia, room: made.json.roomId, reconnect: { attempts: 5, baseMs: 10 } });
      const events = [];
      room.on('rejoining', () => events.push('rejoining'));
      const gone = once(room, 'disconnected');
      const off = await srv.request('POST', '/v2/rooms/deactivate', { headers: { Authorization: token }, json: { roomId: made.json.roomId } });
      assert.equal(off.status, 200, off.text);
      const [, err] = await gone;
      assert.ok(err instanceof sdk.RoomError);
      assert.equal(err.code, 4052);
      assert.equal(room.state, 'disconnected');
      assert.deepEqual(events, []);
      // and joining it again is refused with 4052
      await assert.rejects(sdk.connect(srv.url, token, { ...noMedia, room: made.json.roomId }), (e) => e.code === 4052);
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });

  it('only the close frame (4052, no error message): the join rejects with 4052, not 53000', async () => {
    const s = await stub((ws) => ws.close(4052));
    try {
      await assert.rejects(sdk.connect(s.url, TOKEN, noMedia), (e) => {
        assert.ok(e instanceof sdk.RoomError);
        assert.equal(e.code, 4052, e.message);
        return true;
      });
    } finally {
      await s.close();
    }
  });

  it('only the close frame after joining: disconnected with 4052, not 53000', async () => {
    const s = await stub((ws) => {
      ws.send(JSON.stringify({ type: 'joined', room: { sid: 'RM1', name: 'r' }, participant: { sid: 'PA1', identity: 'alice' }, participants: [] }));
      setImmediate(() => ws.close(4052));
    });
    try {
      const room = await sdk.connect(s.url, TOKEN, noMedia);
      const [, err] = await once(room, 'disconnected');
      assert.equal(err.code, 4052, err.message);
    } finally {
      await s.close();
    }
  });
});
