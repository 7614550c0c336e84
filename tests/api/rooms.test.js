// Twilio Video Rooms REST (/v1/Rooms): create, fetch, list, complete,
// account isolation, UniqueName rules, the lifecycle timers, the `roomgate
// room` CLI, and the twilio npm client (client.video.v1.rooms).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { startServer, basic, cliJson, rawRequest, waitFor, waitCredentials, UNDER_VALGRIND } from './lib/server.js';
import { assertError, assert401, assertStatus, assertJsonContentType, assertExit0 } from './lib/check.js';
import { makeHttpClient } from './lib/twilio_http.js';
import { ISO_S_RE } from './lib/jwt.js';

const RM_RE = /^RM[0-9a-f]{32}$/;
const ROOM_FIELDS = [
  'sid', 'account_sid', 'unique_name', 'status', 'type', 'max_participants', 'max_participant_duration',
  'max_concurrent_published_tracks', 'empty_room_timeout', 'unused_room_timeout', 'status_callback',
  'status_callback_method', 'record_participants_on_connect', 'video_codecs', 'media_region', 'audio_only',
  'enable_turn', 'large_room', 'date_created', 'date_updated', 'end_time', 'duration', 'url', 'links',
].sort();

let srv;
let other; // a second account: {sid, auth_token, auth}
before(async () => {
  // 1-second "minutes", so the lifecycle timers run within the test
  srv = await startServer({ args: ['--room-timeout-unit', '1'] });
  other = cliJson(srv.cli(['account', 'create']));
  other.auth = basic(other.sid, other.auth_token);
  await waitCredentials(srv, other.sid, other.auth_token); // the server polls the store every 100 ms
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

const create = (form, auth = srv.accountAuth) => srv.request('POST', '/v1/Rooms', { auth, form });
const fetchRoom = (ref, auth = srv.accountAuth) => srv.request('GET', `/v1/Rooms/${encodeURIComponent(ref)}`, { auth });
const complete = (ref, auth = srv.accountAuth, form = { Status: 'completed' }) =>
  srv.request('POST', `/v1/Rooms/${encodeURIComponent(ref)}`, { auth, form });
async function newAccount() {
  const a = cliJson(srv.cli(['account', 'create']));
  await waitCredentials(srv, a.sid, a.auth_token);
  return { ...a, auth: basic(a.sid, a.auth_token) };
}

async function created(form, auth) {
  const res = await create(form, auth);
  assertStatus(res, 201);
  return res.json;
}

/** Polls fetch until the room is completed; returns it. */
function waitCompleted(sid, timeoutMs) {
  return waitFor(async () => {
    const r = (await fetchRoom(sid)).json;
    return r.status === 'completed' && r;
  }, `room ${sid} to complete`, timeoutMs);
}

function assertRoom(r, { name, type, max, status = 'in-progress', account = srv.account.sid } = {}) {
  assert.deepEqual(Object.keys(r).sort(), ROOM_FIELDS, `room fields: ${JSON.stringify(r)}`);
  assert.match(r.sid, RM_RE);
  assert.equal(r.account_sid, account);
  if (name !== undefined) assert.equal(r.unique_name, name);
  if (type !== undefined) assert.equal(r.type, type);
  if (max !== undefined) assert.equal(r.max_participants, max);
  assert.equal(r.status, status);
  assert.match(r.date_created, ISO_S_RE);
  assert.match(r.date_updated, ISO_S_RE);
  assert.equal(r.url, `${srv.url}/v1/Rooms/${r.sid}`);
  // only links to routes the server has (issue 17)
  assert.deepEqual(r.links, { participants: `${srv.url}/v1/Rooms/${r.sid}/Participants` });
  assert.equal(r.record_participants_on_connect, false);
  assert.equal(r.audio_only, false);
  assert.equal(r.enable_turn, true);
  assert.equal(r.large_room, false);
  assert.equal(r.status_callback_method, 'POST');
  assert.equal(r.max_participant_duration, 14400);
  if (status === 'in-progress') {
    assert.equal(r.end_time, null);
    assert.equal(r.duration, null);
  } else {
    assert.match(r.end_time, ISO_S_RE);
    assert.equal(r.duration, (Date.parse(r.end_time) - Date.parse(r.date_created)) / 1000);
  }
}

describe('POST /v1/Rooms', () => {
  it('creates a group room with Twilio defaults; UniqueName defaults to the SID', async () => {
    const res = await create({});
    assertStatus(res, 201);
    assertJsonContentType(res);
    const r = res.json;
    assertRoom(r, { type: 'group', max: 50 });
    assert.equal(r.unique_name, r.sid);
    assert.equal(r.empty_room_timeout, 5);
    assert.equal(r.unused_room_timeout, 5);
    assert.equal(r.status_callback, null);
    assert.deepEqual(r.video_codecs, ['VP8', 'H264']);
    assert.equal(r.media_region, 'gll');
    assert.ok(Math.abs(Date.parse(r.date_created) - Date.now()) < 60000);
    // the SID starts with the creation second (docs/api.md "SIDs")
    assert.equal(parseInt(r.sid.slice(2, 10), 16), Date.parse(r.date_created) / 1000);
  });

  it('makes room SIDs that sort in the order the rooms were made', async () => {
    // the second, then its fraction: rooms made one after the other, even
    // within one second, have ever larger SIDs (docs/api.md "Conventions")
    const sids = [];
    for (let i = 0; i < 20; i++) sids.push((await created({ UniqueName: `in-order-${i}` })).sid);
    assert.deepEqual([...sids].sort(), sids);
    assert.equal(new Set(sids.map((s) => s.slice(14))).size, sids.length); // the random part
  });

  it('takes every parameter, form or JSON, with account or key credentials', async () => {
    const r = await created({
      UniqueName: 'consult-42', Type: 'peer-to-peer', MaxParticipants: '3', EmptyRoomTimeout: '7',
      UnusedRoomTimeout: '9', StatusCallback: 'https://example.com/hooks/room?x=1',
    });
    assertRoom(r, { name: 'consult-42', type: 'peer-to-peer', max: 3 });
    assert.equal(r.empty_room_timeout, 7);
    assert.equal(r.unused_room_timeout, 9);
    assert.equal(r.status_callback, 'https://example.com/hooks/room?x=1');
    assert.equal(r.video_codecs, null);
    assert.equal(r.media_region, null);

    const j = await srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, json: { UniqueName: 'by-key Ω', Type: 'group' } });
    assertStatus(j, 201);
    assertRoom(j.json, { name: 'by-key Ω', type: 'group', max: 50 });
  });

  it('go forces 2 seats; peer-to-peer defaults to 10', async () => {
    assertRoom(await created({ Type: 'go' }), { type: 'go', max: 2 });
    assertRoom(await created({ Type: 'go', MaxParticipants: '10' }), { type: 'go', max: 2 });
    assertRoom(await created({ Type: 'peer-to-peer' }), { type: 'peer-to-peer', max: 10 });
    assertRoom(await created({ MaxParticipants: '1' }), { type: 'group', max: 1 });
    assertRoom(await created({ MaxParticipants: '50' }), { type: 'group', max: 50 });
  });

  it('refuses bad parameters with 400 naming them', async () => {
    const cases = [
      [{ MaxParticipants: '0' }, 21603, 'MaxParticipants'],
      [{ MaxParticipants: '51' }, 21603, 'MaxParticipants'],
      [{ Type: 'go', MaxParticipants: '0' }, 21603, 'MaxParticipants'],
      [{ MaxParticipants: 'many' }, 21603, 'MaxParticipants'],
      [{ Type: 'huge' }, 21603, 'Type'],
      [{ Type: 'group-small' }, 21603, 'Type'],
      [{ EmptyRoomTimeout: '0' }, 21603, 'EmptyRoomTimeout'],
      [{ UnusedRoomTimeout: '61' }, 21603, 'UnusedRoomTimeout'],
      [{ StatusCallback: 'ftp://example.com/x' }, 21603, 'StatusCallback'],
      [{ StatusCallback: 'https://' }, 21603, 'StatusCallback'],
      [{ StatusCallback: 'https://exa mple.com/' }, 21603, 'StatusCallback'],
      [{ StatusCallback: 'https://example.com/' + 'a'.repeat(2048) }, 21603, 'StatusCallback'],
      [{ UniqueName: 'x'.repeat(257) }, 21603, 'UniqueName'],
      [{ UniqueName: 'tab\there' }, 21603, 'UniqueName'],
      [{ UniqueName: 'RM' + '0'.repeat(32) }, 21603, 'UniqueName'],
    ];
    for (const [form, code, param] of cases) assertError(await create(form), 400, code, { param });
    // a callback of exactly 2048 bytes is fine
    const cb = 'http://example.com/' + 'b'.repeat(2048 - 'http://example.com/'.length);
    assert.equal((await created({ StatusCallback: cb })).status_callback, cb);
    // nothing was created by the refused requests
    const list = await srv.request('GET', '/v1/Rooms', { auth: srv.accountAuth, query: { UniqueName: 'x'.repeat(256) } });
    assert.equal(list.json.rooms.length, 0);
  });

  it('a UniqueName in progress is 400 / 53113; after completion it can be reused', async () => {
    const first = await created({ UniqueName: 'dup' });
    assertError(await create({ UniqueName: 'dup' }), 400, 53113);
    assertError(await create({ UniqueName: 'dup' }, srv.keyAuth), 400, 53113);
    // another account has its own names
    assertStatus(await create({ UniqueName: 'dup' }, other.auth), 201);
    assertStatus(await complete(first.sid), 200);
    const second = await created({ UniqueName: 'dup' });
    assert.notEqual(second.sid, first.sid);
    // by name: the room in progress; the completed one stays reachable by SID
    assert.equal((await fetchRoom('dup')).json.sid, second.sid);
    assert.equal((await fetchRoom(first.sid)).json.status, 'completed');
  });

  it('needs credentials', async () => {
    assert401(await srv.request('POST', '/v1/Rooms', { form: {} }));
    assert401(await create({}, basic(srv.account.sid, 'wrong')));
    assert401(await srv.request('GET', '/v1/Rooms'));
    assert401(await srv.request('GET', '/v1/Rooms/anything'));
  });
});

describe('GET /v1/Rooms/{sid|UniqueName} and account isolation', () => {
  it('fetches by SID and by UniqueName (percent-encoded)', async () => {
    const r = await created({ UniqueName: 'room with spaces é', Type: 'go' });
    const a = await fetchRoom(r.sid);
    assertStatus(a, 200);
    assert.deepEqual(a.json, r);
    const b = await fetchRoom('room with spaces é', srv.keyAuth);
    assertStatus(b, 200);
    assert.equal(b.json.sid, r.sid);
  });

  it('another account cannot see, list or complete the room: 404', async () => {
    const r = await created({ UniqueName: 'private-a' });
    assertError(await fetchRoom(r.sid, other.auth), 404, 20404);
    assertError(await fetchRoom('private-a', other.auth), 404, 20404);
    assertError(await complete(r.sid, other.auth), 404, 20404);
    const list = await srv.request('GET', '/v1/Rooms', { auth: other.auth, query: { PageSize: 1000 } });
    assert.ok(!list.json.rooms.some((x) => x.sid === r.sid));
    assert.equal((await fetchRoom(r.sid)).json.status, 'in-progress');
  });

  it('unknown rooms and odd names are 404; wrong methods 405', async () => {
    assertError(await fetchRoom('RM' + 'f'.repeat(32)), 404, 20404);
    assertError(await fetchRoom('no-such-room'), 404, 20404);
    assertError(await srv.request('GET', '/v1/Rooms/%00x', { auth: srv.accountAuth }), 404, 20404);
    assertError(await srv.request('GET', '/v1/Rooms/%FF', { auth: srv.accountAuth }), 404, 20404);
    assertError(await fetchRoom('x'.repeat(257)), 404, 20404);
    const res = await srv.request('DELETE', '/v1/Rooms/no-such-room', { auth: srv.accountAuth });
    assertError(res, 405, 20004);
    assert.equal(res.headers.get('allow'), 'GET, POST');
  });
});

describe('GET /v1/Rooms (list)', () => {
  it('pages newest first, with absolute meta URLs that can be followed', async () => {
    const acct = await newAccount();
    const sids = [];
    for (let i = 0; i < 5; i++) sids.push((await created({ UniqueName: `p${i}` }, acct.auth)).sid);
    const res = await srv.request('GET', '/v1/Rooms', { auth: acct.auth, query: { PageSize: 2 } });
    assertStatus(res, 200);
    const { rooms, meta } = res.json;
    assert.deepEqual(Object.keys(res.json).sort(), ['meta', 'rooms']);
    assert.deepEqual(rooms.map((r) => r.sid), [sids[4], sids[3]]);
    for (const r of rooms) assertRoom(r, { account: acct.sid });
    assert.deepEqual(meta, {
      page: 0,
      page_size: 2,
      first_page_url: `${srv.url}/v1/Rooms?PageSize=2&Page=0`,
      previous_page_url: null,
      next_page_url: `${srv.url}/v1/Rooms?PageSize=2&Page=1`,
      url: `${srv.url}/v1/Rooms?PageSize=2&Page=0`,
      key: 'rooms',
    });
    const seen = [...rooms];
    let next = meta.next_page_url;
    while (next) {
      const page = await srv.request('GET', next, { auth: acct.auth });
      assertStatus(page, 200);
      seen.push(...page.json.rooms);
      assert.ok(page.json.meta.previous_page_url);
      next = page.json.meta.next_page_url;
    }
    assert.deepEqual(seen.map((r) => r.sid), [...sids].reverse());
  });

  it('filters by Status and UniqueName and repeats the filters in the URLs', async () => {
    const acct = await newAccount();
    const a = await created({ UniqueName: 'f a' }, acct.auth);
    const b = await created({ UniqueName: 'f-b' }, acct.auth);
    assertStatus(await complete(a.sid, acct.auth), 200);
    const done = await srv.request('GET', '/v1/Rooms', { auth: acct.auth, query: { Status: 'completed' } });
    assert.deepEqual(done.json.rooms.map((r) => r.sid), [a.sid]);
    assert.equal(done.json.meta.url, `${srv.url}/v1/Rooms?Status=completed&PageSize=50&Page=0`);
    const live = await srv.request('GET', '/v1/Rooms', { auth: acct.auth, query: { Status: 'in-progress' } });
    assert.deepEqual(live.json.rooms.map((r) => r.sid), [b.sid]);
    const named = await srv.request('GET', '/v1/Rooms', { auth: acct.auth, query: { UniqueName: 'f a' } });
    assert.deepEqual(named.json.rooms.map((r) => r.sid), [a.sid]);
    assert.equal(named.json.meta.first_page_url, `${srv.url}/v1/Rooms?UniqueName=f%20a&PageSize=50&Page=0`);
  });

  it('refuses bad list parameters', async () => {
    const q = (query) => srv.request('GET', '/v1/Rooms', { auth: srv.accountAuth, query });
    assertError(await q({ Status: 'failed' }), 400, 21603, { param: 'Status' });
    assertError(await q({ PageSize: 0 }), 400, 21603, { param: 'PageSize' });
    assertError(await q({ PageSize: 1001 }), 400, 21603, { param: 'PageSize' });
    assertError(await q({ Page: -1 }), 400, 21603, { param: 'Page' });
    assertStatus(await q({ Page: 999 }), 200);
  });

  it('a Host header that is not a host name does not reach the links', async () => {
    const res = await rawRequest(srv.url, 'GET', '/v1/Rooms?PageSize=1', {
      headers: { Host: 'evil.example"><script>', Authorization: srv.accountAuth },
    });
    assert.equal(res.status, 200);
    // not a Host anyone vouched for: relative links (docs/security.md "Links in answers")
    assert.match(res.json.meta.url, /^\/v1\/Rooms\?/);
  });
});

describe('POST /v1/Rooms/{sid} Status=completed', () => {
  it('completes the room and disconnects its participants; twice is fine', async () => {
    const r = await created({ UniqueName: 'ending', Type: 'group' });
    srv.cli(['participant', 'join', '--account', srv.account.sid, '--room', r.sid, '--identity', 'ann']);
    srv.cli(['participant', 'join', '--account', srv.account.sid, '--room', 'ending', '--identity', 'ben']);
    const res = await complete('ending', srv.keyAuth);
    assertStatus(res, 200);
    assertRoom(res.json, { name: 'ending', status: 'completed' });
    const parts = await srv.request('GET', `/v1/Rooms/${r.sid}/Participants`, { auth: srv.accountAuth });
    assert.equal(parts.json.participants.length, 2);
    for (const p of parts.json.participants) {
      assert.equal(p.status, 'disconnected');
      assert.equal(p.end_time, res.json.end_time);
    }
    const again = await complete(r.sid);
    assertStatus(again, 200);
    assert.equal(again.json.end_time, res.json.end_time);
    // nobody joins a completed room
    assert.throws(
      () => srv.cli(['participant', 'join', '--account', srv.account.sid, '--room', r.sid, '--identity', 'cat']),
      (e) => e.status === 1 && /completed/.test(e.stderr),
    );
  });

  it('needs Status=completed', async () => {
    const r = await created({});
    assertError(await complete(r.sid, srv.accountAuth, {}), 400, 21602, { param: 'Status' });
    assertError(await complete(r.sid, srv.accountAuth, { Status: 'in-progress' }), 400, 21603, { param: 'Status' });
    assertError(await complete('no-such-room'), 404, 20404);
    assert.equal((await fetchRoom(r.sid)).json.status, 'in-progress');
  });
});

describe('room lifecycle timers (--room-timeout-unit 1)', () => {
  const join = (room, identity) =>
    cliJson(srv.cli(['participant', 'join', '--account', srv.account.sid, '--room', room, '--identity', identity]));
  const leave = (room, identity) =>
    cliJson(srv.cli(['participant', 'leave', '--account', srv.account.sid, '--room', room, '--identity', identity]));

  it('an unused room completes, not before UnusedRoomTimeout after creation', async () => {
    const r = await created({ UnusedRoomTimeout: '2', EmptyRoomTimeout: '1' });
    assert.equal(r.status, 'in-progress');
    const done = await waitCompleted(r.sid);
    assert.equal(done.status, 'completed');
    // the server's own clock: not early (how late depends on the machine,
    // which is for bench/, not for a test)
    assert.ok(done.duration >= 2, `duration ${done.duration}`);
    assert.equal(done.duration, (Date.parse(done.end_time) - Date.parse(done.date_created)) / 1000);
  });

  it('a room with someone connected stays; once empty it completes EmptyRoomTimeout later', async () => {
    // UnusedRoomTimeout 6: the CLI joins below must land before either room
    // completes as unused (a CLI process on PostgreSQL under ASan on a loaded
    // machine took over a second); left's EmptyRoomTimeout 7 keeps it the
    // marker: busy, created first, would complete by its creation + 6 s
    // should an unused timeout apply to an occupied room, before left can.
    const busy = await created({ UnusedRoomTimeout: '6', EmptyRoomTimeout: '1' });
    const left = await created({ UnusedRoomTimeout: '6', EmptyRoomTimeout: '7' });
    join(busy.sid, 'stays');
    join(left.sid, 'goes');
    const gone = leave(left.sid, 'goes');
    assert.equal(gone.status, 'disconnected');
    const done = await waitCompleted(left.sid, UNDER_VALGRIND ? 90000 : 30000);
    assert.equal(done.status, 'completed');
    // the server's own clock: not before EmptyRoomTimeout after the last leave
    const emptyFor = (Date.parse(done.end_time) - Date.parse(gone.end_time)) / 1000;
    assert.ok(emptyFor >= 7, `completed ${emptyFor}s after the last leave`);
    // busy's timeouts (6 after creation, 1 when empty) end before left's
    // EmptyRoomTimeout (7 after a later leave): had they applied to a room
    // with someone in it, busy would have completed before left did.
    // left's completion is the marker.
    assert.equal((await fetchRoom(busy.sid)).json.status, 'in-progress');

    const l2 = leave(busy.sid, 'stays');
    const done2 = await waitCompleted(busy.sid);
    assert.equal(done2.status, 'completed');
    assert.ok(Date.parse(done2.end_time) >= Date.parse(l2.end_time) + 1000);
  });
});

describe('roomgate room CLI', () => {
  const ac = () => srv.account.sid;

  it('create, get, list, complete print one JSON object per line', async () => {
    const r = cliJson(srv.cli(['room', 'create', '--account', ac(), '--name', 'cli-room', '--type', 'go', '--max', '9']));
    assert.match(r.sid, RM_RE);
    assert.equal(r.unique_name, 'cli-room');
    assert.equal(r.type, 'go');
    assert.equal(r.max_participants, 2);
    assert.equal(r.url, undefined);
    // the server sees it
    assert.equal((await fetchRoom('cli-room')).json.sid, r.sid);
    assert.equal(cliJson(srv.cli(['room', 'get', '--account', ac(), 'cli-room'])).sid, r.sid);
    const p2p = cliJson(srv.cli(['room', 'create', '--account', ac(), '--type', 'peer-to-peer']));
    assert.equal(p2p.max_participants, 10);
    assert.equal(p2p.unique_name, p2p.sid);
    const done = cliJson(srv.cli(['room', 'complete', '--account', ac(), r.sid]));
    assert.equal(done.status, 'completed');
    assert.match(done.end_time, ISO_S_RE);
    const lines = srv.cli(['room', 'list', '--account', ac(), '--status', 'completed']).trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.some((x) => x.sid === r.sid));
    assert.ok(lines.every((x) => x.status === 'completed'));
    const all = srv.cli(['room', 'list', '--account', ac()]).trim().split('\n');
    assert.ok(all.length > lines.length);
  });

  it('--help, usage errors (exit 2) and failures (exit 1)', () => {
    assert.match(srv.cli(['room', '--help']), /roomgate room create/);
    assert.match(srv.cli(['room', 'create', '--help']), /roomgate room list/);
    assert.match(srv.cli(['participant', '--help']), /tests and scripts/);
    const fails = (args, status, re) =>
      assert.throws(() => srv.cli(args), (e) => e.status === status && re.test(e.stderr), args.join(' '));
    fails(['room', 'create', '--account', ac(), '--type', 'huge'], 2, /--type/);
    fails(['room', 'create', '--account', ac(), '--max', '51'], 2, /--max/);
    fails(['room', 'create', '--account', 'nope'], 2, /--account/);
    fails(['room', 'create'], 2, /--account/);
    fails(['room', 'explode', '--account', ac()], 2, /unknown command/);
    fails(['room', 'list', '--account', ac(), '--status', 'failed'], 2, /--status/);
    fails(['room', 'get', '--account', ac()], 2, /ROOM/);
    fails(['room', 'get', '--account', ac(), 'no-such-room'], 1, /no such room/);
    fails(['room', 'create', '--account', 'AC' + '0'.repeat(32)], 1, /no such account/);
    cliJson(srv.cli(['room', 'create', '--account', ac(), '--name', 'cli-dup']));
    fails(['room', 'create', '--account', ac(), '--name', 'cli-dup'], 1, /in progress/);
    // rooms of another account are not found
    fails(['room', 'get', '--account', other.sid, 'cli-dup'], 1, /no such room/);
    fails(['participant', 'join', '--account', ac(), '--room', 'cli-dup'], 2, /--identity/);
  });
});

describe('twilio npm client: client.video.v1.rooms', () => {
  it('creates, fetches, lists (following next_page_url), completes; lists participants', async () => {
    const acct = await newAccount();
    const log = [];
    const client = twilio(acct.sid, acct.auth_token, { httpClient: makeHttpClient(srv.url, log) });
    const room = await client.video.v1.rooms.create({ uniqueName: 'tw-consult', type: 'go', statusCallback: 'https://example.com/cb' });
    assert.match(room.sid, RM_RE);
    assert.equal(room.uniqueName, 'tw-consult');
    assert.equal(room.maxParticipants, 2);
    assert.equal(room.status, 'in-progress');
    assert.equal(room.statusCallback, 'https://example.com/cb');
    assert.ok(room.dateCreated instanceof Date && !Number.isNaN(room.dateCreated.getTime()));
    assert.ok(Math.abs(room.dateCreated.getTime() - Date.now()) < 60000);
    assert.ok(log[0].startsWith('POST /v1/Rooms'), log.join(' | '));

    assert.equal((await client.video.v1.rooms(room.sid).fetch()).uniqueName, 'tw-consult');
    assert.equal((await client.video.v1.rooms('tw-consult').fetch()).sid, room.sid);

    for (let i = 0; i < 3; i++) await client.video.v1.rooms.create({ uniqueName: `tw-${i}` });
    const listed = await client.video.v1.rooms.list({ status: 'in-progress', pageSize: 2 });
    assert.equal(listed.length, 4);
    assert.ok(listed.some((r) => r.sid === room.sid));
    assert.ok(log.filter((l) => l.startsWith('GET /v1/Rooms?')).length >= 2, `paging: ${log.join(' | ')}`);

    srv.cli(['participant', 'join', '--account', acct.sid, '--room', room.sid, '--identity', 'tw-alice']);
    const parts = await client.video.v1.rooms(room.sid).participants.list({ status: 'connected' });
    assert.deepEqual(parts.map((p) => p.identity), ['tw-alice']);
    assert.ok(parts[0].startTime instanceof Date);

    const done = await client.video.v1.rooms(room.sid).update({ status: 'completed' });
    assert.equal(done.status, 'completed');
    assert.ok(done.endTime instanceof Date && !Number.isNaN(done.endTime.getTime()));
    assert.equal(typeof done.duration, 'number');
    const after = await client.video.v1.rooms(room.sid).participants.list({ status: 'disconnected' });
    assert.deepEqual(after.map((p) => p.identity), ['tw-alice']);
  });

  it('errors surface as RestException with Twilio codes', async () => {
    const client = twilio(srv.key.sid, srv.key.secret, { accountSid: srv.account.sid, httpClient: makeHttpClient(srv.url) });
    await client.video.v1.rooms.create({ uniqueName: 'tw-dup' });
    await assert.rejects(client.video.v1.rooms.create({ uniqueName: 'tw-dup' }), (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, 53113);
      return true;
    });
    await assert.rejects(client.video.v1.rooms('RM' + 'a'.repeat(32)).fetch(), (e) => {
      assert.equal(e.status, 404);
      assert.equal(e.code, 20404);
      return true;
    });
  });
});
