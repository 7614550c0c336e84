// Rooms a join opens (auto-create, issue 14 item 3): the room is created in
// the same store transaction as the join's seat (src/signal/hub_join.c,
// rg_seat.open), committed durably before the joined answer.  Many
// connections opening one new room at once, on both loops, end up in one
// room; a join whose room another loop opened first is admitted into that
// room; and a kill -9 right after joined keeps the room.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { join, tok, connectedList } from './lib/signal.js';

describe('rooms a join opens', () => {
  let srv;
  before(async () => { srv = await startServer({ threads: 2, args: ['--access-log', 'off'] }); });
  after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

  const rooms = async (name) => {
    const res = await srv.request('GET', `/v1/Rooms?UniqueName=${name}`, { auth: srv.keyAuth });
    assert.equal(res.status, 200, res.text);
    return res.json.rooms;
  };

  it('sixteen joins of one new room at once: one room, everyone in it, each told of the others', async () => {
    const n = 16;
    const all = await Promise.all(Array.from({ length: n }, (_, i) => join(srv, tok(srv, `u${i}`, 'open-crowd'))));
    for (const a of all) assert.equal(a.joined.type, 'joined', JSON.stringify(a.joined));
    const list = await rooms('open-crowd');
    assert.equal(list.length, 1, JSON.stringify(list));
    for (const a of all) assert.equal(a.joined.room.sid, list[0].sid);
    assert.equal(list[0].status, 'in-progress');
    const sids = all.map((a) => a.joined.participant.sid).sort();
    assert.deepEqual(await connectedList(srv, 'open-crowd', 'sid'), sids);
    // who entered later was announced to who was in: n*(n-1)/2 in all
    let announced = 0;
    for (const a of all) announced += a.joined.participants.length;
    assert.equal(announced, (n * (n - 1)) / 2);
    for (const a of all) await a.c.close();
  });

  it('a join refused in the batch does not fail the joins around it', async () => {
    const done = await srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, form: { UniqueName: 'open-done' } });
    assert.equal(done.status, 201, done.text);
    const end = await srv.request('POST', `/v1/Rooms/${done.json.sid}`, { auth: srv.keyAuth, form: { Status: 'completed' } });
    assert.equal(end.status, 200, end.text);
    const tries = await Promise.all([
      join(srv, tok(srv, 'x1', 'open-mixed-1')),
      join(srv, tok(srv, 'x2', 'open-done')),
      join(srv, tok(srv, 'x3', 'open-mixed-2')),
      join(srv, tok(srv, 'x4', 'open-done')),
      join(srv, tok(srv, 'x5', 'open-mixed-1')),
    ]);
    assert.deepEqual(tries.map((t) => t.joined.type), ['joined', 'error', 'joined', 'error', 'joined']);
    assert.equal(tries[1].joined.code, 53118, JSON.stringify(tries[1].joined));
    assert.equal(tries[0].joined.room.sid, tries[4].joined.room.sid);
    assert.deepEqual(await connectedList(srv, 'open-mixed-1', 'identity'), ['x1', 'x5']);
    assert.deepEqual(await connectedList(srv, 'open-mixed-2', 'identity'), ['x3']);
    for (const t of tries) await t.c.close();
  });

  it('kill -9 right after joined: the room it opened is there after the restart', async () => {
    const a = await join(srv, tok(srv, 'kim', 'open-kill'));
    assert.equal(a.joined.type, 'joined', JSON.stringify(a.joined));
    const { sid } = a.joined.room;
    assert.equal(await srv.stop({ signal: 'SIGKILL', expect: 'SIGKILL', keepData: true }), 'signal:SIGKILL');
    srv = await startServer({ threads: 2, args: ['--access-log', 'off'], dataDir: srv.dataDir, account: srv.account, key: srv.key });
    const list = await rooms('open-kill');
    assert.equal(list.length, 1, JSON.stringify(list));
    assert.equal(list[0].sid, sid);
    assert.equal(list[0].status, 'in-progress');
    // the participant row too (marked disconnected by the restart)
    const res = await srv.request('GET', `/v1/Rooms/${sid}/Participants`, { auth: srv.keyAuth });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.participants.map((p) => [p.sid, p.status]), [[a.joined.participant.sid, 'disconnected']]);
  });
});
