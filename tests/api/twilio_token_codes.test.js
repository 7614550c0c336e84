// GET /signaling token refusals on raw WebSockets, with the codes of
// twilio-video.js's own error table (lib/util/twilio-video-errors.js), so
// the SDK raises the matching AccessToken*Error: 20103 issuer/subject
// (an unknown key, or a subject that is not the key's account), 20105 not
// yet valid (iat/nbf in the future), 20106 grants (no video grant).  Each
// is an `error` room message, then the close (1008); nothing is joined.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { twilioToken, randomSid, now } from './lib/jwt.js';
import { connectedList } from './lib/signal.js';

const require = createRequire(import.meta.url);
const sdkErrors = require('twilio-video/lib/util/twilio-video-errors.js');

let srv;
before(async () => { srv = await startServer({ args: ['--access-log', 'off'] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/** hello with a connect carrying token; resolves {first room message, close code}. */
async function connectWith(token, room) {
  const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + '/signaling');
  const msgs = [];
  ws.on('message', (d) => msgs.push(JSON.parse(d.toString())));
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ type: 'hello', id: 'x', timeout: 5000, version: 2, body: {
    type: 'connect', version: 2, name: room, token, participant: { revision: 1, tracks: [] },
    peer_connections: [], ice_servers: 'acquire', format: 'unified' } }));
  const code = await closed;
  return { body: msgs.find((m) => m.type === 'msg')?.body, code };
}

const base = (identity, room, over = {}) => ({ keySid: srv.key.sid, secret: srv.key.secret, accountSid: srv.account.sid, identity, room, ...over });

describe('token refusals with the SDK\'s codes', () => {
  for (const [what, token, code, sdkClass] of [
    ['a key the server does not know', (r) => twilioToken(base('u1', r, { keySid: randomSid('SK') })), 20103, 'AccessTokenIssuerInvalidError'],
    ['a subject that is not the key\'s account', (r) => twilioToken(base('u2', r, { accountSid: randomSid('AC') })), 20103, 'AccessTokenIssuerInvalidError'],
    ['iat and nbf an hour ahead', (r) => twilioToken(base('u3', r, { iat: now() + 3600 })), 20105, 'AccessTokenNotYetValidError'],
    ['nbf an hour ahead', (r) => twilioToken(base('u4', r, { extra: { nbf: now() + 3600 } })), 20105, 'AccessTokenNotYetValidError'],
    ['no video grant', (r) => twilioToken(base('u5', r, { extra: { grants: { identity: 'u5' } } })), 20106, 'AccessTokenGrantsInvalidError'],
  ]) {
    it(`${what}: ${code} (${sdkClass}), then the close; nobody joins`, async () => {
      const room = `tok-${code}`;
      const { body, code: closeCode } = await connectWith(token(room), room);
      assert.equal(body?.type, 'error', JSON.stringify(body));
      assert.equal(body.code, code);
      assert.equal(typeof body.message, 'string');
      assert.equal(closeCode, 1008);
      // the SDK turns the code into this class
      assert.equal(sdkErrors.createTwilioError(code, body.message).constructor.name, sdkClass);
      const list = await srv.request('GET', `/v1/Rooms/${room}/Participants`, { auth: srv.keyAuth });
      assert.ok(list.status === 404 || (list.status === 200 && list.json.participants.length === 0), list.text);
    });
  }

  it('the same token with its video grant joins (the refusals above are the token\'s)', async () => {
    const room = 'tok-ok';
    const { body } = await (async () => {
      const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + '/signaling');
      const first = new Promise((resolve) => ws.on('message', (d) => { const m = JSON.parse(d.toString()); if (m.type === 'msg') resolve(m); }));
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      ws.send(JSON.stringify({ type: 'hello', id: 'x', timeout: 5000, version: 2, body: {
        type: 'connect', version: 2, name: room, token: twilioToken(base('u6', room)), participant: { revision: 1, tracks: [] },
        peer_connections: [], ice_servers: 'acquire', format: 'unified' } }));
      const m = await first;
      assert.deepEqual(await connectedList(srv, room, 'identity'), ['u6']);
      ws.close();
      await new Promise((resolve) => ws.on('close', resolve));
      return m;
    })();
    assert.equal(body.type, 'connected', JSON.stringify(body));
  });
});
