// 1:1 consultations (seed 001): POST /v1/Consultations, GET/DELETE
// /v1/Consultations/{id}, POST /v1/Consultations/{id}/Tokens, the
// `serve --consultation-margin` flag and `roomgate consultation`
// (docs/api.md "Consultations").  Windows are placed relative to now, with
// a known margin, so nothing sleeps.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, basic, cliJson, BIN, waitFor } from './lib/server.js';
import { assertError, assertStatus, assertJsonContentType, assert401, assertValid, assertInvalid, validate, assertExit0 } from './lib/check.js';
import { decode, verifies, now } from './lib/jwt.js';

const MARGIN = 300;
const ISO_S_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const CONSULT_KEYS = ['account_sid', 'client_identity', 'consultation_id', 'date_created', 'date_updated', 'detail_id', 'ends_at', 'provider_identity', 'room_name', 'sid', 'starts_at', 'status', 'url'];

let srv;
let other; // another account on the same server
let seq = 0;

before(async () => {
  srv = await startServer({
    args: ['--consultation-margin', String(MARGIN)],
    async beforeServe(cli) {
      const account = cliJson(cli(['account', 'create', '--name', 'other clinic']));
      const key = cliJson(cli(['key', 'create', '--account', account.sid]));
      other = { account, key, auth: basic(key.sid, key.secret) };
    },
  });
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

const iso = (t) => new Date(t * 1000).toISOString();
const isoS = (t) => iso(t).replace(/\.\d{3}Z$/, 'Z');

/** The six fields, starting `start` seconds from now and lasting `len`. */
function fields({ start = 0, len = 1800, id, ...rest } = {}) {
  const t = now();
  return {
    consultation_id: id ?? `consult-${process.pid}-${++seq}`,
    detail_id: 'detail-7',
    client_identity: 'client alice',
    provider_identity: 'dr-bob',
    starts_at: iso(t + start),
    ends_at: iso(t + start + len),
    ...rest,
  };
}

async function create(opts = {}, { auth = srv.keyAuth } = {}) {
  const body = fields(opts);
  const res = await srv.request('POST', '/v1/Consultations', { auth, json: body });
  assertStatus(res, 201);
  return { body, res, c: res.json };
}

function tokens(id, json, { auth = srv.keyAuth } = {}) {
  return srv.request('POST', `/v1/Consultations/${encodeURIComponent(id)}/Tokens`, { auth, json });
}

function assertConsultation(c, body, { status = 'scheduled', account = srv.account.sid } = {}) {
  assert.deepEqual(Object.keys(c).sort(), CONSULT_KEYS);
  assert.match(c.sid, /^CN[0-9a-f]{32}$/);
  assert.equal(c.account_sid, account);
  assert.equal(c.consultation_id, body.consultation_id);
  assert.equal(c.detail_id, body.detail_id);
  assert.equal(c.client_identity, body.client_identity);
  assert.equal(c.provider_identity, body.provider_identity);
  assert.equal(c.starts_at, isoS(Math.floor(Date.parse(body.starts_at) / 1000)));
  assert.equal(c.ends_at, isoS(Math.floor(Date.parse(body.ends_at) / 1000)));
  assert.equal(c.status, status);
  assert.equal(c.room_name, body.consultation_id);
  assert.match(c.date_created, ISO_S_RE);
  assert.match(c.date_updated, ISO_S_RE);
  assert.equal(c.url, `${srv.url}/v1/Consultations/${body.consultation_id}`);
}

describe('POST /v1/Consultations', () => {
  it('201 with the consultation (JSON body, key auth)', async () => {
    const { body, res, c } = await create();
    assertJsonContentType(res);
    assertConsultation(c, body);
    assert.equal(c.date_created, c.date_updated);
  });

  it('form-encoded PascalCase, account auth, zone offsets and fractions', async () => {
    const id = `form-${process.pid}`;
    const res = await srv.request('POST', '/v1/Consultations', {
      auth: srv.accountAuth,
      form: { ConsultationId: id, DetailId: 'd-1', ClientIdentity: 'c', ProviderIdentity: 'p', StartsAt: '2030-01-02T12:00:00.999+02:00', EndsAt: '2030-01-02T10:30:00Z' },
    });
    assertStatus(res, 201);
    assert.equal(res.json.starts_at, '2030-01-02T10:00:00Z');
    assert.equal(res.json.ends_at, '2030-01-02T10:30:00Z');
    assert.equal(res.json.consultation_id, id);
  });

  it('a duplicate consultation_id -> 409 53455; the same id in another account is fine', async () => {
    const { body } = await create();
    const again = await srv.request('POST', '/v1/Consultations', { auth: srv.accountAuth, json: { ...body, detail_id: 'other' } });
    assertError(again, 409, 53455);
    assert.ok(again.json.message.includes(body.consultation_id));
    const theirs = await srv.request('POST', '/v1/Consultations', { auth: other.auth, json: body });
    assertStatus(theirs, 201);
    assert.equal(theirs.json.account_sid, other.account.sid);
    // ours is untouched
    const mine = await srv.request('GET', `/v1/Consultations/${body.consultation_id}`, { auth: srv.keyAuth });
    assert.equal(mine.json.detail_id, 'detail-7');
  });

  it('missing fields -> 400 21602 naming the field', async () => {
    for (const name of ['consultation_id', 'detail_id', 'client_identity', 'provider_identity', 'starts_at', 'ends_at']) {
      const body = fields();
      delete body[name];
      assertError(await srv.request('POST', '/v1/Consultations', { auth: srv.keyAuth, json: body }), 400, 21602, { param: name });
    }
  });

  it('bad values -> 400 21603 naming the field', async () => {
    const cases = [
      ['consultation_id', { id: 'a/b' }],
      ['consultation_id', { id: 'has space' }],
      ['consultation_id', { id: 'x'.repeat(257) }],
      ['consultation_id', { id: 'café' }],
      ['consultation_id', { id: '' }],
      ['detail_id', { detail_id: 'd?x' }],
      ['detail_id', { detail_id: 'x'.repeat(257) }],
      ['client_identity', { client_identity: 'a\nb' }],
      ['client_identity', { client_identity: 'x'.repeat(257) }],
      ['provider_identity', { provider_identity: ['x'] }],
      ['provider_identity', { client_identity: 'same', provider_identity: 'same' }],
      ['starts_at', { starts_at: '2030-01-02T10:00:00' }],
      ['starts_at', { starts_at: 'tomorrow' }],
      ['starts_at', { starts_at: 1893578400 }],
      ['ends_at', { ends_at: '2030-02-30T10:00:00Z' }],
      ['ends_at', { len: 0 }],
      ['ends_at', { len: -60 }],
      ['ends_at', { len: 86401 }],
    ];
    for (const [param, opts] of cases) {
      const res = await srv.request('POST', '/v1/Consultations', { auth: srv.keyAuth, json: fields(opts) });
      assertError(res, 400, 21603, { param });
    }
    // the limits themselves are fine
    await create({ id: 'x'.repeat(256), len: 86400 });
    await create({ id: 'A.b_c~d:e@f+g=h-9' });
  });

  it('needs credentials', async () => {
    assert401(await srv.request('POST', '/v1/Consultations', { json: fields() }));
    assert401(await srv.request('POST', '/v1/Consultations', { auth: basic(srv.key.sid, 'wrong'), json: fields() }));
  });
});

describe('GET and DELETE /v1/Consultations/{id}', () => {
  it('GET returns it; by consultation_id or CN sid; 404 for unknown', async () => {
    const { body, c } = await create();
    for (const id of [body.consultation_id, c.sid]) {
      const res = await srv.request('GET', `/v1/Consultations/${id}`, { auth: srv.accountAuth });
      assertStatus(res, 200);
      assertConsultation(res.json, body);
      assert.deepEqual(res.json, c);
    }
    assertError(await srv.request('GET', '/v1/Consultations/nope', { auth: srv.keyAuth }), 404, 20404);
    assertError(await srv.request('GET', '/v1/Consultations/bad%20id', { auth: srv.keyAuth }), 404, 20404);
    assertError(await srv.request('GET', `/v1/Consultations/${'x'.repeat(300)}`, { auth: srv.keyAuth }), 404, 20404);
    for (const bad of ['%FF%FE', '%C3%28', 'a%00b', '%0A']) {
      assertError(await srv.request('GET', `/v1/Consultations/${bad}`, { auth: srv.keyAuth }), 404, 20404);
      assertError(await srv.request('POST', `/v1/Consultations/x${bad}/Tokens`, { auth: srv.keyAuth, json: { identity: 'a', detail_id: 'b' } }), 404, 20404);
      assertError(await srv.request('DELETE', `/v1/Consultations/${bad}`, { auth: srv.keyAuth }), 404, 20404);
    }
    assert401(await srv.request('GET', `/v1/Consultations/${body.consultation_id}`));
  });

  it('another account\'s consultation is 404 for GET, DELETE and Tokens', async () => {
    const { body } = await create();
    assertError(await srv.request('GET', `/v1/Consultations/${body.consultation_id}`, { auth: other.auth }), 404, 20404);
    assertError(await srv.request('DELETE', `/v1/Consultations/${body.consultation_id}`, { auth: other.auth }), 404, 20404);
    assertError(await tokens(body.consultation_id, { identity: body.client_identity, detail_id: body.detail_id }, { auth: other.auth }), 404, 20404);
    const res = await srv.request('GET', `/v1/Consultations/${body.consultation_id}`, { auth: srv.keyAuth });
    assert.equal(res.json.status, 'scheduled');
  });

  it('DELETE cancels (200, status cancelled, idempotent); tokens then -> 410', async () => {
    const { body } = await create();
    assertStatus(await tokens(body.consultation_id, { identity: body.client_identity, detail_id: body.detail_id }), 200);
    const res = await srv.request('DELETE', `/v1/Consultations/${body.consultation_id}`, { auth: srv.keyAuth });
    assertStatus(res, 200);
    assertConsultation(res.json, body, { status: 'cancelled' });
    const again = await srv.request('DELETE', `/v1/Consultations/${body.consultation_id}`, { auth: srv.accountAuth });
    assertStatus(again, 200);
    assert.equal(again.json.status, 'cancelled');
    assert.equal(again.json.date_updated, res.json.date_updated);
    assert.equal((await srv.request('GET', `/v1/Consultations/${body.consultation_id}`, { auth: srv.keyAuth })).json.status, 'cancelled');
    for (const identity of [body.client_identity, body.provider_identity, 'stranger']) {
      assertError(await tokens(body.consultation_id, { identity, detail_id: body.detail_id }), 410, 53454);
    }
    assertError(await srv.request('DELETE', '/v1/Consultations/nope', { auth: srv.keyAuth }), 404, 20404);
  });

  it('cancelling ends the room and revokes the tokens already minted', async () => {
    const { body } = await create();
    const tok = (await tokens(body.consultation_id, { identity: body.provider_identity, detail_id: body.detail_id })).json.token;
    assertValid(await validate(srv, tok), { identity: body.provider_identity });
    let room = await srv.request('GET', `/v1/Rooms/${body.consultation_id}`, { auth: srv.keyAuth });
    assert.equal(room.json.status, 'in-progress');
    assertStatus(await srv.request('DELETE', `/v1/Consultations/${body.consultation_id}`, { auth: srv.keyAuth }), 200);
    room = await srv.request('GET', `/v1/Rooms/${body.consultation_id}`, { auth: srv.keyAuth });
    assert.equal(room.json.status, 'completed');
    // revoked, with the revocation's code - not just any refusal
    assertInvalid(await validate(srv, tok), 20106);
  });
});

describe('POST /v1/Consultations/{id}/Tokens', () => {
  it('the client and the provider each get a token for the consultation\'s room', async () => {
    const { body } = await create({ start: -60 });
    for (const identity of [body.client_identity, body.provider_identity]) {
      const res = await tokens(body.consultation_id, { identity, detail_id: body.detail_id });
      assertStatus(res, 200);
      assertJsonContentType(res);
      assert.deepEqual(Object.keys(res.json), ['identity', 'room', 'token', 'expires_at']);
      assert.equal(res.json.identity, identity);
      assert.equal(res.json.room, body.consultation_id);
      const { header, payload } = decode(res.json.token);
      assert.equal(header.cty, 'twilio-fpa;v=1');
      assert.equal(payload.iss, srv.key.sid);
      assert.equal(payload.sub, srv.account.sid);
      // the grant names the room: the token opens this room and no other
      assert.deepEqual(payload.grants, { identity, video: { room: body.consultation_id } });
      assert.equal(payload.exp - payload.iat, 900, 'default ttl 15 minutes');
      assert.equal(Date.parse(res.json.expires_at), payload.exp * 1000);
      assert.ok(verifies(res.json.token, srv.key.secret));
      const v = assertValid(await validate(srv, res.json.token), { identity, keySid: srv.key.sid, exp: payload.exp });
      assert.equal(v.grants.video.room, body.consultation_id);
    }
  });

  it('creates the room on demand: a go room (max 2) named after the consultation', async () => {
    const { body } = await create();
    assertError(await srv.request('GET', `/v1/Rooms/${body.consultation_id}`, { auth: srv.keyAuth }), 404, 20404);
    assertStatus(await tokens(body.consultation_id, { identity: body.client_identity, detail_id: body.detail_id }), 200);
    const room = await srv.request('GET', `/v1/Rooms/${body.consultation_id}`, { auth: srv.keyAuth });
    assertStatus(room, 200);
    assert.equal(room.json.unique_name, body.consultation_id);
    assert.equal(room.json.type, 'go');
    assert.equal(room.json.max_participants, 2);
    assert.equal(room.json.status, 'in-progress');
    // the second request reuses it
    assertStatus(await tokens(body.consultation_id, { identity: body.provider_identity, detail_id: body.detail_id }), 200);
    const list = await srv.request('GET', '/v1/Rooms', { auth: srv.keyAuth, query: { UniqueName: body.consultation_id } });
    assert.equal(list.json.rooms.length, 1);
  });

  it('a completed room is made again on a later request (rechecked at most once a second)', async () => {
    const { body } = await create();
    const ask = () => tokens(body.consultation_id, { identity: body.client_identity, detail_id: body.detail_id });
    assertStatus(await ask(), 200);
    const first = (await srv.request('GET', `/v1/Rooms/${body.consultation_id}`, { auth: srv.keyAuth })).json;
    assertStatus(await srv.request('POST', `/v1/Rooms/${first.sid}`, { auth: srv.keyAuth, form: { Status: 'completed' } }), 200);
    // asked again until the recheck has run (no fixed sleep): every answer
    // is a token, and a new room appears
    const list = await waitFor(async () => {
      assertStatus(await ask(), 200);
      const l = await srv.request('GET', '/v1/Rooms', { auth: srv.keyAuth, query: { UniqueName: body.consultation_id, Status: 'in-progress' } });
      return l.json.rooms.length > 0 && l;
    }, 'the room to be made again');
    assert.equal(list.json.rooms.length, 1);
    assert.notEqual(list.json.rooms[0].sid, first.sid);
    assert.equal(list.json.rooms[0].type, 'go');
  });

  it('a non-go room squatting the name -> 409 53113, no token', async () => {
    const { body } = await create();
    const room = await srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, form: { UniqueName: body.consultation_id, Type: 'group' } });
    assertStatus(room, 201);
    assertError(await tokens(body.consultation_id, { identity: body.client_identity, detail_id: body.detail_id }), 409, 53113);
  });

  it('account credentials sign with the account\'s newest key', async () => {
    const { body } = await create();
    const res = await tokens(body.consultation_id, { identity: body.client_identity, detail_id: body.detail_id }, { auth: srv.accountAuth });
    assertStatus(res, 200);
    assert.match(decode(res.json.token).payload.iss, /^SK[0-9a-f]{32}$/);
    assertValid(await validate(srv, res.json.token), { identity: body.client_identity });
  });

  it('wrong identity -> 403 53450; wrong detail id -> 403 53451', async () => {
    const { body } = await create();
    for (const identity of ['mallory', 'client', 'Client alice', 'client alice ', 'dr-bob2']) {
      assertError(await tokens(body.consultation_id, { identity, detail_id: body.detail_id }), 403, 53450);
    }
    for (const detail_id of ['detail-8', 'detail-77', 'detail', 'DETAIL-7']) {
      assertError(await tokens(body.consultation_id, { identity: body.client_identity, detail_id }), 403, 53451);
    }
    // identity is checked before the clock: a stranger learns nothing of the schedule
    const late = await create({ start: -7200, len: 600 });
    assertError(await tokens(late.body.consultation_id, { identity: 'mallory', detail_id: 'x' }), 403, 53450);
  });

  it('too early -> 403 53452, open from starts_at - margin', async () => {
    const early = await create({ start: MARGIN + 120 });
    assertError(await tokens(early.body.consultation_id, { identity: early.body.client_identity, detail_id: early.body.detail_id }), 403, 53452);
    const soon = await create({ start: MARGIN - 120 });
    assertStatus(await tokens(soon.body.consultation_id, { identity: soon.body.client_identity, detail_id: soon.body.detail_id }), 200);
  });

  it('too late -> 403 53453 once ends_at has passed', async () => {
    const over = await create({ start: -1800, len: 1790 });
    assertError(await tokens(over.body.consultation_id, { identity: over.body.provider_identity, detail_id: over.body.detail_id }), 403, 53453);
  });

  it('close to the end the TTL is capped at ends_at + margin', async () => {
    const { body } = await create({ start: -1800, len: 1860 }); // ends in 60 s
    const res = await tokens(body.consultation_id, { identity: body.client_identity, detail_id: body.detail_id });
    assertStatus(res, 200);
    const { payload } = decode(res.json.token);
    const endsAt = Date.parse(body.ends_at) / 1000;
    assert.equal(payload.exp, Math.floor(endsAt) + MARGIN, 'exp = ends_at + margin');
    assert.ok(payload.exp - payload.iat < 900);
  });

  it('ttl: a shorter wish is kept, a longer one capped, bad values -> 400', async () => {
    const { body } = await create({ start: -60, len: 7200 });
    const ask = (ttl) => tokens(body.consultation_id, { identity: body.client_identity, detail_id: body.detail_id, ttl });
    let { payload } = decode((await ask(30)).json.token);
    assert.equal(payload.exp - payload.iat, 30);
    ({ payload } = decode((await ask(86400)).json.token));
    assert.equal(payload.exp, Math.floor(Date.parse(body.ends_at) / 1000) + MARGIN);
    for (const ttl of [0, -1, 86401, 'x', 1.5]) assertError(await ask(ttl), 400, 21603, { param: 'ttl' });
  });

  it('missing or bad parameters -> 400; unknown consultation -> 404', async () => {
    const { body } = await create();
    assertError(await tokens(body.consultation_id, { detail_id: body.detail_id }), 400, 21602, { param: 'identity' });
    assertError(await tokens(body.consultation_id, { identity: body.client_identity }), 400, 21602, { param: 'detail_id' });
    assertError(await tokens(body.consultation_id, { identity: 'a\u0001', detail_id: body.detail_id }), 400, 21603, { param: 'identity' });
    assertError(await tokens(body.consultation_id, { identity: ['x'], detail_id: body.detail_id }), 400, 21603, { param: 'identity' });
    assertError(await tokens('no-such-consultation', { identity: 'a', detail_id: 'b' }), 404, 20404);
    assert401(await srv.request('POST', `/v1/Consultations/${body.consultation_id}/Tokens`, { json: { identity: body.client_identity, detail_id: body.detail_id } }));
    // form encoding, PascalCase
    const form = await srv.request('POST', `/v1/Consultations/${body.consultation_id}/Tokens`, { auth: srv.keyAuth, form: { Identity: body.client_identity, DetailId: body.detail_id } });
    assertStatus(form, 200);
  });
});

describe('serve --consultation-margin / ROOMGATE_CONSULTATION_MARGIN', () => {
  it('margin 0 (env): the window opens exactly at starts_at', async () => {
    const s = await startServer({ env: { ROOMGATE_CONSULTATION_MARGIN: '0' } });
    try {
      const t = now();
      const body = { consultation_id: 'm0', detail_id: 'd', client_identity: 'c', provider_identity: 'p', starts_at: iso(t + 30), ends_at: iso(t + 90) };
      assertStatus(await s.request('POST', '/v1/Consultations', { auth: s.keyAuth, json: body }), 201);
      assertError(await s.request('POST', '/v1/Consultations/m0/Tokens', { auth: s.keyAuth, json: { identity: 'c', detail_id: 'd' } }), 403, 53452);
      // tokens never outlive ends_at when the margin is 0
      const open = { ...body, consultation_id: 'm0b', starts_at: iso(t - 30), ends_at: iso(t + 20) };
      assertStatus(await s.request('POST', '/v1/Consultations', { auth: s.keyAuth, json: open }), 201);
      const res = await s.request('POST', '/v1/Consultations/m0b/Tokens', { auth: s.keyAuth, json: { identity: 'p', detail_id: 'd' } });
      assertStatus(res, 200);
      assert.equal(decode(res.json.token).payload.exp, t + 20);
    } finally {
      assertExit0(s, await s.stop());
    }
  });

  it('bad values are refused at start (exit 2)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-margin-'));
    try {
      for (const v of ['-1', '86401', 'abc', '10s', '+5']) {
        let status = 0;
        let stderr = '';
        try {
          execFileSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', dir, `--consultation-margin=${v}`], { stdio: 'pipe', timeout: 10000 });
        } catch (e) {
          status = e.status;
          stderr = String(e.stderr);
        }
        assert.equal(status, 2, `--consultation-margin=${v}`);
        assert.match(stderr, /consultation-margin/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('roomgate consultation (CLI)', () => {
  it('create, get and cancel print one JSON line; the server sees the same rows', async () => {
    const t = now();
    const id = `cli-${process.pid}`;
    const made = cliJson(srv.cli(['consultation', 'create', '--account', srv.account.sid, '--consultation-id', id, '--detail-id', 'd9', '--client-identity', 'c1', '--provider-identity', 'p1', '--starts-at', iso(t - 60), '--ends-at', iso(t + 600)]));
    assert.match(made.sid, /^CN[0-9a-f]{32}$/);
    assert.equal(made.status, 'scheduled');
    assert.equal(made.url, undefined, 'the CLI has no host to name');
    const viaRest = await srv.request('GET', `/v1/Consultations/${id}`, { auth: srv.keyAuth });
    assertStatus(viaRest, 200);
    assert.equal(viaRest.json.sid, made.sid);
    assertStatus(await tokens(id, { identity: 'c1', detail_id: 'd9' }), 200);
    assert.deepEqual(cliJson(srv.cli(['consultation', 'get', '--account', srv.account.sid, id])), made);
    const cancelled = cliJson(srv.cli(['consultation', 'cancel', '--account', srv.account.sid, id]));
    assert.equal(cancelled.status, 'cancelled');
    // the server sees another process's change on its next poll (100 ms)
    let res;
    for (let i = 0; i < 40; i++) {
      res = await tokens(id, { identity: 'c1', detail_id: 'd9' });
      if (res.status !== 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assertError(res, 410, 53454);
    assert.equal((await srv.request('GET', `/v1/Consultations/${id}`, { auth: srv.keyAuth })).json.status, 'cancelled');
  });

  it('errors: usage -> exit 2, duplicate or unknown -> exit 1', () => {
    const run = (args) => {
      try {
        srv.cli(args);
        return 0;
      } catch (e) {
        return e.status;
      }
    };
    const t = now();
    const base = ['consultation', 'create', '--account', srv.account.sid, '--consultation-id', `cli-dup-${process.pid}`, '--detail-id', 'd', '--client-identity', 'c', '--provider-identity', 'p', '--starts-at', iso(t), '--ends-at', iso(t + 60)];
    assert.equal(run(base), 0);
    assert.equal(run(base), 1, 'duplicate');
    assert.equal(run(['consultation', 'create', '--account', srv.account.sid]), 2, 'missing fields');
    assert.equal(run([...base.slice(0, -2), '--ends-at', iso(t - 60)]), 2, 'ends before it starts');
    assert.equal(run([...base.slice(0, -2), '--ends-at', 'soon']), 2, 'bad date');
    assert.equal(run(['consultation', 'get', '--account', srv.account.sid, 'nope']), 1);
    assert.equal(run(['consultation', 'cancel', '--account', srv.account.sid, 'nope']), 1);
    assert.equal(run(['consultation', 'get', '--account', other.account.sid, `cli-dup-${process.pid}`]), 1, 'scoped to the account');
    assert.equal(run(['consultation', 'get', `cli-dup-${process.pid}`]), 2, '--account is required');
    assert.equal(run(['consultation', 'frob', '--account', srv.account.sid]), 2);
    assert.equal(run(['consultation', 'create', '--account', 'ACnope', '--consultation-id', 'x']), 2);
  });
});
