// Twilio Video Participants REST (/v1/Rooms/{room}/Participants): list,
// fetch, kick, and the revocation a kick records, as token validation sees
// it. Participants are written with the `roomgate participant` test helper
// (the signaling server writes them in production).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, cliJson, waitFor, waitCredentials } from './lib/server.js';
import { assertError, assert401, assertStatus, assertValid, assertInvalid, validate, mint, assertExit0 } from './lib/check.js';
import { twilioToken, sign, now, ISO_S_RE } from './lib/jwt.js';

const PA_RE = /^PA[0-9a-f]{32}$/;
const FIELDS = ['sid', 'room_sid', 'account_sid', 'identity', 'status', 'start_time', 'end_time', 'duration',
  'date_created', 'date_updated', 'url', 'links'].sort();

let srv;
let other;
before(async () => {
  srv = await startServer();
  other = cliJson(srv.cli(['account', 'create']));
  other.auth = basic(other.sid, other.auth_token);
  await waitCredentials(srv, other.sid, other.auth_token); // the server polls the store every 100 ms
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

async function room(form) {
  const res = await srv.request('POST', '/v1/Rooms', { auth: srv.accountAuth, form });
  assertStatus(res, 201);
  return res.json;
}
const join = (r, identity, account = srv.account.sid) =>
  cliJson(srv.cli(['participant', 'join', '--account', account, '--room', r, '--identity', identity]));
const leave = (r, identity) =>
  cliJson(srv.cli(['participant', 'leave', '--account', srv.account.sid, '--room', r, '--identity', identity]));
const base = (r) => `/v1/Rooms/${encodeURIComponent(r)}/Participants`;
const list = (r, query, auth = srv.accountAuth) => srv.request('GET', base(r), { auth, query });
const get = (r, p, auth = srv.accountAuth) => srv.request('GET', `${base(r)}/${encodeURIComponent(p)}`, { auth });
const kick = (r, p, auth = srv.accountAuth, form = { Status: 'disconnected' }) =>
  srv.request('POST', `${base(r)}/${encodeURIComponent(p)}`, { auth, form });

function assertParticipant(p, { identity, roomSid, status = 'connected' }) {
  assert.deepEqual(Object.keys(p).sort(), FIELDS, `participant fields: ${JSON.stringify(p)}`);
  assert.match(p.sid, PA_RE);
  assert.equal(p.room_sid, roomSid);
  assert.equal(p.account_sid, srv.account.sid);
  assert.equal(p.identity, identity);
  assert.equal(p.status, status);
  assert.match(p.start_time, ISO_S_RE);
  assert.equal(p.date_created, p.start_time);
  assert.equal(p.url, `${srv.url}/v1/Rooms/${roomSid}/Participants/${p.sid}`);
  assert.deepEqual(p.links, {}, 'no links to track routes the server does not have (issue 17)');
  if (status === 'connected') {
    assert.equal(p.end_time, null);
    assert.equal(p.duration, null);
    assert.equal(p.date_updated, p.start_time);
  } else {
    assert.match(p.end_time, ISO_S_RE);
    assert.equal(p.duration, (Date.parse(p.end_time) - Date.parse(p.start_time)) / 1000);
    assert.equal(p.date_updated, p.end_time);
  }
}

describe('participant join/leave helper (CLI)', () => {
  it('joins up to the capacity; the same identity replaces its old connection', async () => {
    const r = await room({ UniqueName: 'go-room', Type: 'go' });
    const a = join('go-room', 'alice');
    assert.equal(a.status, 'connected');
    assert.equal(a.room_sid, r.sid);
    join(r.sid, 'bob');
    assert.throws(() => join(r.sid, 'carol'), (e) => e.status === 1 && /full/.test(e.stderr));
    const a2 = join(r.sid, 'alice');
    assert.notEqual(a2.sid, a.sid);
    const old = await get(r.sid, a.sid);
    assert.equal(old.json.status, 'disconnected');
    assert.equal(leave(r.sid, 'bob').status, 'disconnected');
    join(r.sid, 'carol');
    assert.throws(() => leave(r.sid, 'zed'), (e) => e.status === 1 && /no participant/.test(e.stderr));
    assert.throws(() => join('no-such-room', 'x'), (e) => e.status === 1 && /no such room/.test(e.stderr));
    // another account's room is not reachable from the CLI either
    assert.throws(() => join(r.sid, 'x', other.sid), (e) => e.status === 1 && /no such room/.test(e.stderr));
  });
});

describe('GET /v1/Rooms/{room}/Participants', () => {
  it('lists in join order, filters by Status, pages with absolute URLs', async () => {
    const r = await room({ UniqueName: 'listing' });
    for (const id of ['p1', 'p2', 'p3']) join(r.sid, id);
    leave(r.sid, 'p2');
    const all = await list('listing');
    assertStatus(all, 200);
    assert.deepEqual(all.json.participants.map((p) => p.identity), ['p1', 'p2', 'p3']);
    assertParticipant(all.json.participants[0], { identity: 'p1', roomSid: r.sid });
    assertParticipant(all.json.participants[1], { identity: 'p2', roomSid: r.sid, status: 'disconnected' });
    assert.equal(all.json.meta.key, 'participants');
    assert.equal(all.json.meta.url, `${srv.url}/v1/Rooms/${r.sid}/Participants?PageSize=50&Page=0`);

    const conn = await list(r.sid, { Status: 'connected' });
    assert.deepEqual(conn.json.participants.map((p) => p.identity), ['p1', 'p3']);
    assert.equal(conn.json.meta.url, `${srv.url}/v1/Rooms/${r.sid}/Participants?Status=connected&PageSize=50&Page=0`);
    const disc = await list(r.sid, { Status: 'disconnected' });
    assert.deepEqual(disc.json.participants.map((p) => p.identity), ['p2']);

    const p0 = await list(r.sid, { PageSize: 2 });
    assert.equal(p0.json.participants.length, 2);
    assert.equal(p0.json.meta.previous_page_url, null);
    const p1 = await srv.request('GET', p0.json.meta.next_page_url, { auth: srv.accountAuth });
    assert.deepEqual(p1.json.participants.map((p) => p.identity), ['p3']);
    assert.equal(p1.json.meta.next_page_url, null);
    assert.equal(p1.json.meta.previous_page_url, `${srv.url}/v1/Rooms/${r.sid}/Participants?PageSize=2&Page=0`);
  });

  it('refuses bad parameters; other accounts and unknown rooms are 404', async () => {
    const r = await room({ UniqueName: 'listing-2' });
    assertError(await list(r.sid, { Status: 'gone' }), 400, 21603, { param: 'Status' });
    assertError(await list(r.sid, { PageSize: 0 }), 400, 21603, { param: 'PageSize' });
    assertError(await list(r.sid, {}, other.auth), 404, 20404);
    assertError(await list('no-such-room'), 404, 20404);
    assert401(await srv.request('GET', base(r.sid)));
    assertStatus(await list(r.sid, {}, srv.keyAuth), 200);
  });
});

describe('GET /v1/Rooms/{room}/Participants/{sid|identity}', () => {
  it('fetches by PA SID or by identity (the connected one first)', async () => {
    const r = await room({ UniqueName: 'fetching' });
    const first = join(r.sid, 'Zoë Q');
    leave(r.sid, 'Zoë Q');
    const second = join(r.sid, 'Zoë Q');
    const bySid = await get(r.sid, first.sid);
    assertStatus(bySid, 200);
    assertParticipant(bySid.json, { identity: 'Zoë Q', roomSid: r.sid, status: 'disconnected' });
    const byId = await get('fetching', 'Zoë Q');
    assert.equal(byId.json.sid, second.sid);
    assertParticipant(byId.json, { identity: 'Zoë Q', roomSid: r.sid });
    assertError(await get(r.sid, 'nobody'), 404, 20404);
    assertError(await get(r.sid, 'PA' + '0'.repeat(32)), 404, 20404);
    assertError(await get(r.sid, first.sid, other.auth), 404, 20404);
    // a participant of another room is not found through this room
    const r2 = await room({});
    assertError(await get(r2.sid, first.sid), 404, 20404);
  });
});

describe('POST .../Participants/{sid|identity} Status=disconnected (kick)', () => {
  it('disconnects; needs Status=disconnected; other accounts get 404', async () => {
    const r = await room({ UniqueName: 'kicking' });
    const p = join(r.sid, 'noisy');
    assertError(await kick(r.sid, 'noisy', srv.accountAuth, {}), 400, 21602, { param: 'Status' });
    assertError(await kick(r.sid, 'noisy', srv.accountAuth, { Status: 'connected' }), 400, 21603, { param: 'Status' });
    assertError(await kick(r.sid, 'noisy', other.auth), 404, 20404);
    assertError(await kick(r.sid, 'ghost'), 404, 20404);
    assert.equal((await get(r.sid, p.sid)).json.status, 'connected');
    const res = await kick('kicking', p.sid, srv.keyAuth);
    assertStatus(res, 200);
    assertParticipant(res.json, { identity: 'noisy', roomSid: r.sid, status: 'disconnected' });
    assert.equal(res.json.sid, p.sid);
    assertStatus(await kick(r.sid, 'noisy'), 200); // again: fine
    // the seat is free again
    assert.equal(join(r.sid, 'next').status, 'connected');
  });

  it('a token both revoked and expired reports expired (20104): the time rules come before the revocation', async () => {
    const r = await room({ UniqueName: 'revoked-and-expired' });
    join(r.sid, 'trudy');
    const mk = (iat, ttl) => twilioToken({ keySid: srv.key.sid, secret: srv.key.secret, accountSid: srv.account.sid,
      identity: 'trudy', room: 'revoked-and-expired', iat, ttl });
    const expired = mk(now() - 7200, 3600); // issued before the kick, expired an hour ago
    const live = mk(now() - 60, 3600); // issued before the kick, not expired
    assertInvalid(await validate(srv, expired), 20104);
    assertValid(await validate(srv, live), { identity: 'trudy' });
    assertStatus(await kick(r.sid, 'trudy'), 200);
    // the kick applies to both (the live one shows it), yet the expired one
    // still reports 20104: docs/api.md checks the revocation last
    assertInvalid(await validate(srv, live), 20106);
    assertInvalid(await validate(srv, expired), 20104);
  });

  it('revokes the identity\'s tokens for that room issued up to the kick; later ones validate', async () => {
    const r = await room({ UniqueName: 'revoking' });
    join(r.sid, 'mallory');
    const byName = (await mint(srv, { identity: 'mallory', room: 'revoking' })).token;
    const bySid = (await mint(srv, { identity: 'mallory', room: r.sid })).token;
    const otherRoom = (await mint(srv, { identity: 'mallory', room: 'elsewhere' })).token;
    const otherUser = (await mint(srv, { identity: 'alice', room: 'revoking' })).token;
    const noRoom = (await mint(srv, { identity: 'mallory' })).token;
    const vsdk = sign({ alg: 'HS256', typ: 'JWT' }, {
      apikey: srv.key.sid, permissions: ['allow_join'], version: 2, roomId: 'revoking', participantId: 'mallory',
      iat: now(), exp: now() + 600,
    }, srv.key.secret);
    assertValid(await validate(srv, byName), { identity: 'mallory' });
    assertValid(await validate(srv, vsdk), { identity: 'mallory' });

    const kicked = await kick(r.sid, 'mallory');
    assertStatus(kicked, 200);
    const kickSecond = Date.parse(kicked.json.end_time) / 1000;
    for (const t of [byName, bySid, vsdk]) {
      const res = await validate(srv, t);
      assertStatus(res, 200);
      assert.equal(res.json.valid, false, res.text);
      assert.equal(res.json.code, 20106);
      assert.equal(res.json.message, 'token revoked for this room');
      assert.equal(res.json.identity, null);
    }
    // the token as its own credential (IAM style) is refused as well
    const iam = await srv.request('POST', `/v1/Accounts/${srv.account.sid}/Tokens/validate`, {
      headers: { Authorization: 'Basic ' + Buffer.from(`token:${byName}`).toString('base64') },
    });
    assert.equal(iam.json.code, 20106);
    // other rooms, other identities and room-less grants are untouched
    assertValid(await validate(srv, otherRoom), { identity: 'mallory' });
    assertValid(await validate(srv, otherUser), { identity: 'alice' });
    assertValid(await validate(srv, noRoom), { identity: 'mallory' });
    // a token that claims an older iat is still refused, a newer one passes
    const forged = twilioToken({ keySid: srv.key.sid, secret: srv.key.secret, accountSid: srv.account.sid,
      identity: 'mallory', room: 'revoking', iat: now() - 30 });
    assert.equal((await validate(srv, forged)).json.code, 20106);
    // revocations have one-second resolution: a token issued in a later
    // second than the kick validates
    await waitFor(() => now() > kickSecond, 'a second after the kick');
    const fresh = (await mint(srv, { identity: 'mallory', room: 'revoking' })).token;
    assertValid(await validate(srv, fresh), { identity: 'mallory' });
    // the revocation belongs to this account: another account's room of the same name is unaffected
    const b = cliJson(srv.cli(['key', 'create', '--account', other.sid]));
    await waitCredentials(srv, b.sid, b.secret);
    const theirs = twilioToken({ keySid: b.sid, secret: b.secret, accountSid: other.sid, identity: 'mallory',
      room: 'revoking', iat: now() - 30 });
    assertValid(await validate(srv, theirs, { account: other }), { identity: 'mallory' });
  });
});
