// Issue 15: the status callbacks of issue 13 (docs/webhooks.md) from a
// node whose store is PostgreSQL (its outbox, the sealed auth token, the
// per-room order all in PostgreSQL).  In scripts/test.sh's PostgreSQL pass
// the harness gives the node a schema of that pass's cluster
// (ROOMGATE_TEST_PG_URL); in the other passes this file starts a
// throw-away cluster of its own (scripts/pg.sh), so it runs on PostgreSQL
// wherever it runs.  Every event counted here passed the unchanged `twilio`
// helper's signature check (lib/hooks.js: twilio.webhook(), validateRequest).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from './lib/server.js';
import { pgNodeEnv } from './lib/pgnode.js';
import { assertExit0 } from './lib/check.js';
import { join, tok } from './lib/signal.js';
import { startReceiver } from './lib/hooks.js';

const EV_RE = /^EV[0-9a-f]{32}$/;
const roomIs = (name) => (e) => e.params.RoomName === name;
let pg;
let srv;
let rx;

before(async () => {
  pg = pgNodeEnv();
  srv = await startServer({ env: pg.env, args: ['--access-log', 'off', '--webhook-allow-private', '--webhook-retry-base', '50'] });
  rx = await startReceiver(srv.account.auth_token);
});

after(async () => {
  try {
    if (srv) assertExit0(srv, await srv.stop());
  } finally {
    if (rx) await rx.close();
  }
  if (pg) pg.stop();
});

const rest = (method, p, form) => srv.request(method, p, { auth: srv.keyAuth, form });

describe('status callbacks on PostgreSQL', () => {
  it('the node\'s store is PostgreSQL (no SQLite file in its data dir)', () => {
    assert.equal(fs.existsSync(path.join(srv.dataDir, 'roomgate.db')), false);
  });

  it('a call to the account default: created, connected x2, disconnected x2, ended, in order, signed', async () => {
    const set = await rest('POST', '/v1/StatusCallback', { StatusCallback: `${rx.base}/hook` });
    assert.equal(set.status, 200, set.text);
    const a = await join(srv, tok(srv, 'alice', 'pg-call')); // auto-created by the join
    assert.equal(a.joined.type, 'joined', JSON.stringify(a.joined));
    const b = await join(srv, tok(srv, 'bob', 'pg-call'));
    assert.equal(b.joined.type, 'joined', JSON.stringify(b.joined));
    await a.c.close();
    await b.c.close();
    await rx.seen((e) => roomIs('pg-call')(e) && e.params.StatusCallbackEvent === 'participant-disconnected', 2);
    const done = await rest('POST', '/v1/Rooms/pg-call', { Status: 'completed' });
    assert.equal(done.status, 200, done.text);

    const evs = await rx.seen(roomIs('pg-call'), 6, 'call events');
    assert.equal(evs.length, 6, JSON.stringify(evs));
    assert.deepEqual(evs.map((e) => e.params.StatusCallbackEvent), ['room-created', 'participant-connected',
      'participant-connected', 'participant-disconnected', 'participant-disconnected', 'room-ended']);
    assert.deepEqual(evs.map((e) => e.params.SequenceNumber), ['0', '1', '2', '3', '4', '5']);
    assert.deepEqual(evs.map((e) => e.params.ParticipantIdentity), [undefined, 'alice', 'bob', 'alice', 'bob', undefined]);
    for (const e of evs) {
      assert.equal(e.path, '/hook');
      assert.equal(e.params.AccountSid, srv.account.sid);
      assert.equal(e.params.RoomSid, a.joined.room.sid);
      assert.match(e.eventId, EV_RE);
      assert.ok(e.signature, 'signed');
    }
    assert.equal(evs[1].params.ParticipantSid, a.joined.participant.sid);
    assert.equal(evs[3].params.ParticipantStatus, 'disconnected');
    assert.equal(evs[5].params.RoomStatus, 'completed');
  });

  it('the room\'s own callback: a 503 is retried with the same event id, then the next event follows', async () => {
    rx.plan('pg-flaky', [503]);
    const made = await rest('POST', '/v1/Rooms', { UniqueName: 'pg-flaky', StatusCallback: `${rx.base}/plan/pg-flaky` });
    assert.equal(made.status, 201, made.text);
    const done = await rest('POST', '/v1/Rooms/pg-flaky', { Status: 'completed' });
    assert.equal(done.status, 200, done.text);
    const evs = await rx.seen(roomIs('pg-flaky'), 3);
    assert.deepEqual(evs.map((e) => e.params.StatusCallbackEvent), ['room-created', 'room-created', 'room-ended']);
    assert.equal(evs[0].eventId, evs[1].eventId, 'one event id for both attempts');
    assert.notEqual(evs[2].eventId, evs[0].eventId);
    for (const e of evs) assert.equal(e.params.RoomSid, made.json.sid);
  });
});
