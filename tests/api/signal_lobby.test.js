// Signaling lobby (VideoSDK ask_join) and moderation (allow_mod), as
// docs/signaling.md describes them.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { connect, join, tok, connectedList } from './lib/signal.js';

let srv;
before(async () => { srv = await startServer({ threads: 2, args: ['--access-log', 'off', '--lobby-timeout', '1'] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/** A VideoSDK token from /get-token. */
async function vtok(permissions, participantId, roomId) {
  const res = await srv.request('GET', '/get-token', { auth: srv.keyAuth, query: { permissions, participantId, roomId } });
  assert.equal(res.status, 200, res.text);
  return res.json.token;
}

const connected = (room) => connectedList(srv, room, 'identity');

describe('lobby', () => {
  it('a guest waits until a host allows it, then joins', async () => {
    const host = await join(srv, await vtok('allow_join', 'host'), 'lobby-1');
    assert.equal(host.joined.type, 'joined');
    const guest = await join(srv, await vtok('ask_join', 'guest'), 'lobby-1');
    assert.equal(guest.joined.type, 'waiting', JSON.stringify(guest.joined));
    const gsid = guest.joined.participant.sid;
    const asked = await host.c.next('entry_requested');
    assert.deepEqual(asked.participant, { sid: gsid, identity: 'guest' });
    assert.deepEqual(await connected('lobby-1'), ['host'], 'a guest is not a participant');
    guest.c.send({ type: 'signal', to: host.joined.participant.sid, data: {} });
    assert.equal((await guest.c.next('error')).code, 53004, 'nothing is relayed from the lobby');
    host.c.send({ type: 'entry_response', participant: gsid, decision: 'allowed' });
    assert.deepEqual(await guest.c.next('entry_responded'), { type: 'entry_responded', decision: 'allowed' });
    const joined = await guest.c.next('joined');
    assert.equal(joined.participant.sid, gsid);
    assert.deepEqual(joined.participants.map((p) => p.identity), ['host']);
    assert.equal((await host.c.next('participant_joined')).participant.sid, gsid);
    assert.deepEqual(await connected('lobby-1'), ['guest', 'host']);
    host.c.send({ type: 'entry_response', participant: gsid, decision: 'allowed' });
    assert.equal((await host.c.next('error')).code, 53204, 'answered once');
    await Promise.all([host.c.close(), guest.c.close()]);
  });

  it('a denied guest is told and closed, and never joins', async () => {
    const host = await join(srv, await vtok('allow_join', 'host'), 'lobby-2');
    const guest = await join(srv, await vtok('ask_join', 'guest'), 'lobby-2');
    const asked = await host.c.next('entry_requested');
    host.c.send({ type: 'entry_response', participant: asked.participant.sid, decision: 'denied' });
    assert.deepEqual(await guest.c.next('entry_responded'), { type: 'entry_responded', decision: 'denied' });
    await guest.c.closed;
    // marker: a later direct join; the first participant_joined the host
    // gets being that one proves the denied guest never joined
    const late = await join(srv, await vtok('allow_join', 'late'), 'lobby-2');
    assert.equal((await host.c.next('participant_joined')).participant.identity, 'late');
    assert.deepEqual(await connected('lobby-2'), ['host', 'late']);
    await Promise.all([host.c.close(), late.c.close()]);
  });

  it('a host arriving after the guest is told about it; nobody is admitted automatically', async () => {
    const guest = await join(srv, await vtok('ask_join', 'guest'), 'lobby-3');
    assert.equal(guest.joined.type, 'waiting');
    const plain = await join(srv, await vtok('allow_join', 'someone'), 'lobby-3');
    assert.equal((await plain.c.next('entry_requested')).participant.identity, 'guest');
    // any participant admitted directly (allow_join) may answer.  Its answer
    // being the one that settles the request (no 53204 "answered already")
    // proves nobody admitted the guest before; the refused mute sent after
    // it on the same connection is the marker: its 4008 must be the first
    // error plain gets.
    plain.c.send({ type: 'entry_response', participant: guest.joined.participant.sid, decision: 'allowed' });
    plain.c.send({ type: 'mute', participant: guest.joined.participant.sid, kind: 'audio' });
    const seen = await plain.c.until((m) => m.type === 'error');
    assert.equal(seen.at(-1).code, 4008, `the answer was refused: ${JSON.stringify(seen)}`);
    assert.deepEqual(await guest.c.next(), { type: 'entry_responded', decision: 'allowed' });
    assert.equal((await guest.c.next()).type, 'joined');
    await Promise.all([guest.c.close(), plain.c.close()]);
  });

  it('the other hosts hear when a request is settled: answered by one host, or the guest gave up', async () => {
    const h1 = await join(srv, await vtok('allow_join', 'host-1'), 'lobby-6');
    const h2 = await join(srv, await vtok('allow_join', 'host-2'), 'lobby-6');
    await h1.c.next('participant_joined');
    const g1 = await join(srv, await vtok('ask_join', 'guest-1'), 'lobby-6');
    const g1sid = g1.joined.participant.sid;
    await h1.c.next('entry_requested');
    await h2.c.next('entry_requested');
    h1.c.send({ type: 'entry_response', participant: g1sid, decision: 'denied' });
    assert.deepEqual(await h2.c.next('entry_responded'),
      { type: 'entry_responded', participant: { sid: g1sid, identity: 'guest-1' }, decision: 'denied' });
    await g1.c.closed;
    // the answering host knows already: h1's first entry_responded is the
    // one about guest-2 below (the marker), not one about guest-1
    // a guest that leaves the lobby unanswered
    const g2 = await join(srv, await vtok('ask_join', 'guest-2'), 'lobby-6');
    const g2sid = g2.joined.participant.sid;
    await h1.c.next('entry_requested');
    await h2.c.next('entry_requested');
    await g2.c.close();
    for (const h of [h1, h2])
      assert.deepEqual(await h.c.next('entry_responded'),
        { type: 'entry_responded', participant: { sid: g2sid, identity: 'guest-2' }, decision: 'left' });
    await Promise.all([h1.c.close(), h2.c.close()]);
  });

  it('a guest that waits too long gets 53002 and is closed', async () => {
    const guest = await join(srv, await vtok('ask_join', 'slow'), 'lobby-4');
    assert.equal(guest.joined.type, 'waiting');
    const err = await guest.c.next('error', 4000);
    assert.equal(err.code, 53002);
    await guest.c.closed;
    const host = await join(srv, await vtok('allow_join', 'host'), 'lobby-4');
    // marker: a new guest; the first entry_requested the host gets being
    // that one proves the timed-out guest left the lobby
    const next = await join(srv, await vtok('ask_join', 'next'), 'lobby-4');
    assert.equal(next.joined.type, 'waiting');
    assert.equal((await host.c.next('entry_requested')).participant.identity, 'next', 'the guest left the lobby');
    await Promise.all([host.c.close(), next.c.close()]);
  });

  it('a connection that never sends its join is closed after the same wait (53002)', async () => {
    const c = await connect(srv);
    assert.equal((await c.next('error', 4000)).code, 53002);
    await c.closed;
  });

  it('a guest cannot answer the lobby, not even for itself (53004)', async () => {
    const g1 = await join(srv, await vtok('ask_join', 'g1'), 'lobby-5');
    g1.c.send({ type: 'entry_response', participant: g1.joined.participant.sid, decision: 'allowed' });
    assert.equal((await g1.c.next('error')).code, 53004);
    await g1.c.close();
  });
});

describe('moderation', () => {
  it('allow_mod mutes and kicks; the kicked token cannot rejoin', async () => {
    const mod = await join(srv, await vtok('allow_join,allow_mod', 'mod'), 'mod-1');
    const userTok = await vtok('allow_join', 'user');
    const user = await join(srv, userTok, 'mod-1');
    const usid = user.joined.participant.sid;
    await mod.c.next('participant_joined');
    mod.c.send({ type: 'mute', participant: usid, kind: 'audio' });
    assert.deepEqual(await user.c.next('mute'), { type: 'mute', kind: 'audio', by: mod.joined.participant.sid });
    mod.c.send({ type: 'mute', participant: usid, kind: 'video' });
    assert.equal((await user.c.next('mute')).kind, 'video');
    mod.c.send({ type: 'kick', participant: usid });
    const err = await user.c.next('error');
    assert.equal(err.code, 53216);
    await user.c.closed;
    assert.equal((await mod.c.next('participant_left')).participant.sid, usid);
    assert.deepEqual(await connected('mod-1'), ['mod']);
    const again = await join(srv, userTok, 'mod-1');
    assert.equal(again.joined.code, 20106, JSON.stringify(again.joined));
    await again.c.closed;
    await mod.c.close();
  });

  it('refuses moderation without allow_mod (4008), Twilio tokens included', async () => {
    const a = await join(srv, await vtok('allow_join', 'a'), 'mod-2');
    const b = await join(srv, tok(srv, 'b', 'mod-2'));
    for (const x of [a, b]) {
      const target = x === a ? b.joined.participant.sid : a.joined.participant.sid;
      x.c.send({ type: 'mute', participant: target, kind: 'audio' });
      assert.equal((await x.c.next('error')).code, 4008);
      x.c.send({ type: 'kick', participant: target });
      assert.equal((await x.c.next('error')).code, 4008);
    }
    // marker: a moderator's mute; it being the first mute a gets proves the
    // refused ones never reached it
    const m = await join(srv, await vtok('allow_join,allow_mod', 'm'), 'mod-2');
    m.c.send({ type: 'mute', participant: b.joined.participant.sid, kind: 'video' });
    m.c.send({ type: 'mute', participant: a.joined.participant.sid, kind: 'video' });
    assert.deepEqual(await a.c.next('mute'), { type: 'mute', kind: 'video', by: m.joined.participant.sid });
    assert.deepEqual(await b.c.next('mute'), { type: 'mute', kind: 'video', by: m.joined.participant.sid });
    assert.deepEqual(await connected('mod-2'), ['a', 'b', 'm']);
    await Promise.all([a.c.close(), b.c.close(), m.c.close()]);
  });

  it('a VideoSDK token without participantId is one identity (its jti): a second use replaces the first', async () => {
    const t = await vtok('allow_join');
    const x = await join(srv, t, 'vs-jti');
    const y = await join(srv, t, 'vs-jti');
    assert.equal(y.joined.type, 'joined');
    assert.equal(x.joined.participant.identity, y.joined.participant.identity);
    assert.equal((await x.c.next('error')).code, 53205);
    await y.c.close();
  });

  it('refuses a VideoSDK token with only the crawler role, or for another roomId (4008)', async () => {
    const res = await srv.request('GET', '/get-token', { auth: srv.keyAuth, query: { permissions: 'allow_join', roles: 'crawler', participantId: 'c' } });
    const x = await join(srv, res.json.token, 'vs-roles');
    assert.equal(x.joined.code, 4008);
    const room = (await srv.request('POST', '/v2/rooms', { headers: { Authorization: res.json.token }, json: {} })).json.roomId;
    const other = (await srv.request('POST', '/v2/rooms', { headers: { Authorization: res.json.token }, json: {} })).json.roomId;
    const y = await join(srv, await vtok('allow_join', 'p', room), other);
    assert.equal(y.joined.code, 4008);
    const z = await join(srv, await vtok('allow_join', 'p', room));
    assert.equal(z.joined.type, 'joined');
    assert.equal(z.joined.room.name, room);
    await z.c.close();
  });
});
