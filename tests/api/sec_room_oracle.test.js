// Issue 10 item 8: a recording's room and consultation decide who may play
// it, so they must belong to the recording's account (404 otherwise), and
// participation is looked up within that account only.  Otherwise account
// A attaches account B's room to its own recording and learns, through
// /sec_rec, whether an identity was in B's room.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cliJson, basic } from './lib/server.js';
import { assertError, assertStatus, assertExit0 } from './lib/check.js';
import { startRecServer, upload, tokenFor, secRec, sqlite } from './lib/rec.js';

let srv, b, bRoom, aRoom;
const inAnHour = () => new Date(Date.now() + 3600e3).toISOString();
const inTwoHours = () => new Date(Date.now() + 7200e3).toISOString();

function recordingCount() {
  return Number(sqlite(srv.dataDir, 'SELECT COUNT(*) FROM recordings').trim());
}

before(async () => {
  srv = await startRecServer();
  const acct = cliJson(srv.cli(['account', 'create', '--name', 'B']));
  b = { sid: acct.sid, auth: basic(acct.sid, acct.auth_token) };
  // B's room, where alice took part, and B's consultation with alice as client
  bRoom = cliJson(srv.cli(['room', 'create', '--account', b.sid, '--name', 'b-room']));
  srv.cli(['participant', 'join', '--account', b.sid, '--room', bRoom.sid, '--identity', 'alice']);
  srv.cli(['consultation', 'create', '--account', b.sid, '--consultation-id', 'cons-b', '--detail-id', 'd',
    '--client-identity', 'alice', '--provider-identity', 'doc', '--starts-at', inAnHour(), '--ends-at', inTwoHours()]);
  // A's own room, where carol took part
  aRoom = cliJson(srv.cli(['room', 'create', '--account', srv.account.sid, '--name', 'a-room']));
  srv.cli(['participant', 'join', '--account', srv.account.sid, '--room', aRoom.sid, '--identity', 'carol']);
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

describe('attaching a room or consultation of another account', () => {
  it("account B's RoomSid on A's upload -> 404, nothing stored", async () => {
    const before = recordingCount();
    const r = await upload(srv, Buffer.from('probe'), { query: { RoomSid: bRoom.sid } });
    assertError(r, 404, 20404);
    assert.match(r.json.message, new RegExp(bRoom.sid));
    // the JSON import form is checked the same way, before any file is read
    const j = await srv.request('POST', '/v1/Recordings', { auth: srv.accountAuth,
      json: { path: 'whatever.ogg', room_sid: bRoom.sid } });
    assertError(j, 404, 20404);
    assert.equal(recordingCount(), before);
  });

  it("account B's consultation on A's upload -> 404, nothing stored", async () => {
    const before = recordingCount();
    assertError(await upload(srv, Buffer.from('probe'), { query: { ConsultationId: 'cons-b' } }), 404, 20404);
    assertError(await srv.request('POST', '/v1/Recordings', { auth: srv.accountAuth,
      json: { path: 'whatever.ogg', consultation_id: 'cons-b' } }), 404, 20404);
    assert.equal(recordingCount(), before);
  });

  it('an unknown room or consultation is 404 too; a malformed RoomSid stays 400', async () => {
    assertError(await upload(srv, Buffer.from('x'), { query: { RoomSid: 'RM' + '0'.repeat(32) } }), 404, 20404);
    assertError(await upload(srv, Buffer.from('x'), { query: { ConsultationId: 'nope' } }), 404, 20404);
    assertError(await upload(srv, Buffer.from('x'), { query: { RoomSid: 'RMnope' } }), 400, 21603);
  });

  it("B attaches its own room and consultation: 201, and B's participants may play", async () => {
    const r = await upload(srv, Buffer.from('b rec'), { auth: b.auth, query: { RoomSid: bRoom.sid, ConsultationId: 'cons-b' } });
    assertStatus(r, 201);
    assert.equal(r.json.room_sid, bRoom.sid);
    assert.equal(r.json.account_sid, b.sid);
  });

  it("A's own room: 201, and its participant may play, others not", async () => {
    const r = await upload(srv, Buffer.from('a rec'), { query: { RoomSid: aRoom.sid } });
    assertStatus(r, 201);
    assertStatus(await secRec(srv, r.json.sid, await tokenFor(srv, 'carol')), 200);
    assertError(await secRec(srv, r.json.sid, await tokenFor(srv, 'alice')), 403, 20403);
  });
});

describe('participation is looked up within the recording\'s account', () => {
  it("a stored row that names B's room (made before the check) grants nothing to B's participants", async () => {
    const r = await upload(srv, Buffer.from('legacy'), { query: { AllowedIdentities: 'nobody' } });
    assertStatus(r, 201);
    // as a recording stored by an older version could be: pointing at B's room
    sqlite(srv.dataDir, `UPDATE recordings SET room_sid = '${bRoom.sid}' WHERE sid = '${r.json.sid}'`);
    const got = await srv.request('GET', `/v1/Recordings/${r.json.sid}`, { auth: srv.accountAuth });
    assert.equal(got.json.room_sid, bRoom.sid);
    // alice was in B's room; with A's token she is not a participant of A's recording
    assertError(await secRec(srv, r.json.sid, await tokenFor(srv, 'alice')), 403, 20403);
    const log = await srv.request('GET', `/v1/Recordings/${r.json.sid}/AccessLog`, { auth: srv.accountAuth });
    assert.equal(log.json.access_log.at(-1).outcome, 'refused');
  });

  it("the same for a stored row that names B's consultation", async () => {
    const r = await upload(srv, Buffer.from('legacy 2'), { query: { AllowedIdentities: 'nobody' } });
    assertStatus(r, 201);
    sqlite(srv.dataDir, `UPDATE recordings SET consultation_id = 'cons-b' WHERE sid = '${r.json.sid}'`);
    assertError(await secRec(srv, r.json.sid, await tokenFor(srv, 'alice')), 403, 20403);
  });
});
