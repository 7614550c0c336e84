// The per-thread cache of positive validate answers (src/core/verdict.h)
// must never outlive what made the answer true: deleting the key or kicking
// the identity turns a cached valid:true into valid:false at once.  The
// server runs one loop (--threads 1), so the loop asked again is surely the
// one that cached the answer; which loop of several answers a connection is
// not observable from outside, so that every loop drops its copy rests on
// the shared generation number the cache is keyed with (test_verdict).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cliJson, waitCredentials } from './lib/server.js';
import { assertInvalid, assertValid, assertStatus, validate, mint, assertExit0 } from './lib/check.js';

let srv;
before(async () => { srv = await startServer({ threads: 1 }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/** Validates `token` n times concurrently, over several connections. */
async function validateMany(token, n = 24) {
  return Promise.all(Array.from({ length: n }, () => validate(srv, token)));
}

describe('verdict cache', () => {
  it('repeated validations give the same full answer', async () => {
    const { token } = await mint(srv, { identity: 'repeat', room: 'r1' });
    const first = assertValid(await validate(srv, token), { identity: 'repeat', keySid: srv.key.sid });
    for (const res of await validateMany(token)) assert.deepEqual(assertValid(res), first);
  });

  it('a deleted key invalidates cached answers at once', async () => {
    const k = cliJson(srv.cli(['key', 'create', '--account', srv.account.sid]));
    await waitCredentials(srv, k.sid, k.secret); // the server polls the store every 100 ms
    const auth = 'Basic ' + Buffer.from(`${k.sid}:${k.secret}`).toString('base64');
    const { token } = await mint(srv, { auth, identity: 'doomed', room: 'r2' });
    for (const res of await validateMany(token)) assertValid(res, { keySid: k.sid });
    const del = await srv.request('DELETE', `/2010-04-01/Accounts/${srv.account.sid}/Keys/${k.sid}.json`, { auth: srv.accountAuth });
    assertStatus(del, 204);
    for (const res of await validateMany(token)) assertInvalid(res, 20103);
  });

  it('a kick invalidates cached answers for that identity at once', async () => {
    const room = await srv.request('POST', '/v1/Rooms', { auth: srv.accountAuth, form: { UniqueName: 'cached-room' } });
    assertStatus(room, 201);
    cliJson(srv.cli(['participant', 'join', '--account', srv.account.sid, '--room', 'cached-room', '--identity', 'mallory']));
    const { token } = await mint(srv, { identity: 'mallory', room: 'cached-room' });
    const { token: other } = await mint(srv, { identity: 'alice', room: 'cached-room' });
    for (const res of await validateMany(token)) assertValid(res, { identity: 'mallory' });
    for (const res of await validateMany(other)) assertValid(res, { identity: 'alice' });
    const kick = await srv.request('POST', `/v1/Rooms/${room.json.sid}/Participants/mallory`, { auth: srv.accountAuth, form: { Status: 'disconnected' } });
    assertStatus(kick, 200);
    for (const res of await validateMany(token)) assertInvalid(res, 20106);
    for (const res of await validateMany(other)) assertValid(res, { identity: 'alice' });
  });

  it('an answer for one account is not served for another', async () => {
    const { token } = await mint(srv, { identity: 'scoped' });
    assertValid(await validate(srv, token));
    const b = cliJson(srv.cli(['account', 'create']));
    await waitCredentials(srv, b.sid, b.auth_token);
    assertInvalid(await validate(srv, token, { account: b }), 20103);
  });
});
