// Issue 13 Operations item 3, the browser SDK's side: /sdk/roomgate.js,
// run in Node (ws as the WebSocket, no media), against real servers.  The
// server's `reconnect` hint (docs/signaling.md) disconnects a room with
// 53001 unless the app opted in (options.reconnect); with it the room joins
// again with the same token once a server answers at the same address.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { startServer, waitFor, REPO_ROOT } from './lib/server.js';
import { tok } from './lib/signal.js';

globalThis.WebSocket = WebSocket;
const sdk = await import(pathToFileURL(path.join(REPO_ROOT, 'web/sdk/roomgate.js')).href);
const noMedia = { stream: { getTracks: () => [] } };

/** Resolves with the arguments of the room's next `name` event. */
const once = (room, name) => new Promise((resolve) => room.once(name, (...a) => resolve(a)));

async function connectedIdentities(srv, room) {
  const res = await srv.request('GET', `/v1/Rooms/${room}/Participants`, { auth: srv.keyAuth, query: { Status: 'connected' } });
  assert.equal(res.status, 200, res.text);
  return res.json.participants.map((p) => p.identity);
}

describe('SDK and the reconnect hint', () => {
  it('without options.reconnect: disconnected with 53001, and the server exits 0 without waiting', async () => {
    const srv = await startServer({ args: ['--access-log', 'off', '--drain-grace', '120'] });
    const room = await sdk.connect(srv.url, tok(srv, 'alice', 'sdk-drain-1'), noMedia);
    assert.equal(room.state, 'connected');
    const gone = once(room, 'disconnected');
    srv.proc.kill('SIGTERM');
    const [r, err] = await gone;
    assert.equal(r, room);
    assert.ok(err instanceof sdk.RoomError);
    assert.equal(err.code, 53001);
    assert.equal(room.state, 'disconnected');
    // the SDK closed its socket: the drain did not wait out its 60 s window
    assert.equal(await srv.exited, 0, srv.stderr());
    assert.equal(await srv.stop(), 0);
  });

  it('with options.reconnect: rejoining, then rejoined on the server that answers next at the same URL', async () => {
    const s1 = await startServer({ args: ['--access-log', 'off', '--drain-grace', '120'] });
    const events = [];
    const room = await sdk.connect(s1.url, tok(s1, 'alice', 'sdk-drain-2'), { ...noMedia, reconnect: { attempts: 40, baseMs: 100 } });
    const firstSid = room.localParticipant.sid;
    for (const name of ['rejoining', 'rejoined', 'disconnected']) room.on(name, () => events.push(name));
    const rejoined = once(room, 'rejoined');
    s1.proc.kill('SIGTERM');
    assert.equal(await s1.exited, 0, 'the SDK left as told');
    assert.equal(await s1.stop({ keepData: true }), 0);
    // the same data and address: a restarted server (or the next instance)
    const s2 = await startServer({ dataDir: s1.dataDir, account: s1.account, key: s1.key,
      args: ['--access-log', 'off', '--listen', `127.0.0.1:${s1.port}`] });
    try {
      await rejoined;
      assert.equal(room.state, 'connected');
      assert.equal(events[0], 'rejoining');
      assert.equal(events.at(-1), 'rejoined');
      assert.ok(!events.includes('disconnected'));
      assert.notEqual(room.localParticipant.sid, firstSid, 'a new participant of the same identity');
      await waitFor(async () => (await connectedIdentities(s2, 'sdk-drain-2')).join() === 'alice', 'alice connected on s2');
      room.disconnect();
    } finally {
      assert.equal(await s2.stop(), 0);
    }
  });
});
