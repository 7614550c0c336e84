// Issue 15: "no loop ever blocks on the database".  On PostgreSQL a
// request's handler runs on a fiber of its event loop (src/http/fiber.h):
// while its statement waits (here: for a row lock another session holds)
// the loop serves other requests, and the handler resumes when the answer
// comes.  The signaling hub's seats and leaves are written by a thread of
// their own (src/signal/hub_writer.c), so a join waiting for a row lock
// holds no loop either.  One event loop (--threads 1) with the default
// connections (--db-connections 0: one for the loop's fibers, one for the
// hub's writer, one for the rest), so every request below shares that
// loop; one test runs a node with a single connection for everything
// (--db-connections 1).  Without fibers (or the writer) the loop would
// sit in the statement's wait and every "meanwhile" request here would
// hang until the lock is let go: those requests are only answered here
// while the lock is held.
//
// As webhooks_pg.test.js: in scripts/test.sh's PostgreSQL pass the node
// gets a schema of that pass's cluster; elsewhere this file starts a
// throw-away cluster of its own, so it runs on PostgreSQL wherever it runs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { runCli, startServer, waitFor } from './lib/server.js';
import { mediaUrl, patterned, startRecServer, upload } from './lib/rec.js';
import { pgNodeEnv } from './lib/pgnode.js';
import { assertExit0 } from './lib/check.js';
import { connect, join, tok } from './lib/signal.js';

const PSQL = path.join(process.env.PG_BIN || '/usr/lib/postgresql/15/bin', 'psql');
let pg;
let srv;
let pgEnv;
const sessions = new Set(); // psql children, killed in after() if a test left one

before(async () => {
  pg = pgNodeEnv();
  pgEnv = pg.env;
  srv = await node('0');
});

// One event loop; a deadline far beyond the test's waits: nothing here is
// given up.  connections '0': the loop's fibers and the hub's writer have
// one each; '1': they share it with the loop's own stack and the other
// threads.
function node(connections) {
  return startServer({ env: { ...pgEnv, ROOMGATE_DB_CONNECTIONS: connections }, threads: 1,
    args: ['--access-log', 'off', '--db-timeout', '60', '--metrics-listen', '127.0.0.1:0'] });
}

/** A gauge or counter without labels from the node's /metrics. */
async function metric(s, name) {
  const text = await (await fetch(s.metricsUrl)).text();
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

function dbUrlOf(s) {
  const file = path.join(s.dataDir, '.test-pg-store');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : pgEnv.ROOMGATE_DB;
}

after(async () => {
  for (const p of sessions) p.kill('SIGKILL');
  try {
    if (srv) assertExit0(srv, await srv.stop());
  } finally {
    if (pg) pg.stop();
  }
});

const rest = (method, p, form, s = srv) => s.request(method, p, { auth: s.keyAuth, form });

/** Another database session that runs `sql` in a transaction (a lock it
 * takes: `sql` answers `held:<what>` once it has it) until release(). */
async function holdInSession(s, sql, what) {
  const p = spawn(PSQL, [dbUrlOf(s), '-qAtX', '-v', 'ON_ERROR_STOP=1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { out += d; });
  sessions.add(p);
  const exited = new Promise((resolve) => p.on('exit', (code) => { sessions.delete(p); resolve(code); }));
  p.stdin.write(`BEGIN;\n${sql}\n`);
  await waitFor(() => out.includes(`held:${what}`), `psql holding ${what} (${out})`);
  return {
    async release() {
      p.stdin.end('COMMIT;\n');
      assert.equal(await exited, 0, out);
    },
  };
}

/** Room `sid`'s row lock, held by another session. */
const holdRoom = (sid, s = srv) =>
  holdInSession(s, `SELECT 'held:' || sid FROM rooms WHERE sid = '${sid}' FOR UPDATE;`, sid);

/** `table`'s ACCESS EXCLUSIVE lock (every read of it waits), held by another session. */
const holdTable = (s, table) =>
  holdInSession(s, `LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE;\nSELECT 'held:${table}';`, table);

async function newRoom(name, s = srv) {
  const res = await rest('POST', '/v1/Rooms', { UniqueName: name }, s);
  assert.equal(res.status, 201, res.text);
  return res.json.sid;
}

/** Settles to 'pending' unless p settled first: nothing timed, one turn of
 * Node's loop after the answers that came before. */
async function state(p) {
  return Promise.race([p.then(() => 'settled', () => 'settled'), new Promise((r) => setImmediate(() => r('pending')))]);
}

describe('handlers wait for PostgreSQL on fibers, the loop goes on', () => {
  it('a request waiting for a row lock does not hold the loop: others are answered meanwhile', async () => {
    const sid = await newRoom(`fib-${randomBytes(4).toString('hex')}`);
    const lock = await holdRoom(sid);
    const completing = rest('POST', `/v1/Rooms/${sid}`, { Status: 'completed' });
    // each of these is served by the one loop while the completion waits
    const health = await srv.request('GET', '/healthz');
    assert.equal(health.status, 200, health.text);
    const mint = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, form: { Identity: 'meanwhile' } });
    assert.equal(mint.status, 200, mint.text);
    assert.equal(await state(completing), 'pending', 'the completion waits for the lock');
    assert.equal(await metric(srv, 'roomgate_db_waiting_requests'), 1, 'one request waits on a fiber');
    const waits = await metric(srv, 'roomgate_db_waits_total');
    assert.ok(waits >= 1, `roomgate_db_waits_total ${waits}`);
    await lock.release();
    const done = await completing;
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json.status, 'completed');
    await waitFor(async () => (await metric(srv, 'roomgate_db_waiting_requests')) === 0, 'no request waiting');
  });

  it('requests queued behind the waiting one on the loop\'s connection run in order once it answers', async () => {
    const sid = await newRoom(`fib-q-${randomBytes(4).toString('hex')}`);
    const lock = await holdRoom(sid);
    const order = [];
    const first = rest('POST', `/v1/Rooms/${sid}`, { Status: 'completed' }).then((r) => { order.push('first'); return r; });
    await new Promise((r) => setTimeout(r, 50)); // the first is on the connection
    const second = rest('GET', `/v1/Rooms/${sid}`).then((r) => { order.push('second'); return r; });
    const mint = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, form: { Identity: 'meanwhile' } });
    assert.equal(mint.status, 200, mint.text);
    assert.equal(await state(second), 'pending', 'the read waits its turn for the connection');
    await lock.release();
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
    assert.deepEqual(order, ['first', 'second']);
    assert.equal(b.json.status, 'completed', 'the read ran after the completion committed');
  });

  it('a client that leaves while its request waits: the write still commits, the server stays well', async () => {
    const sid = await newRoom(`fib-gone-${randomBytes(4).toString('hex')}`);
    const lock = await holdRoom(sid);
    const u = new URL(`/v1/Rooms/${sid}`, srv.url);
    const body = 'Status=completed';
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, headers: {
      Authorization: srv.keyAuth, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } });
    req.on('error', () => {});
    req.end(body);
    await new Promise((r) => setTimeout(r, 200)); // the server has it, waiting
    req.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const health = await srv.request('GET', '/healthz');
    assert.equal(health.status, 200, health.text);
    await lock.release();
    await waitFor(async () => (await rest('GET', `/v1/Rooms/${sid}`)).json?.status === 'completed', 'the completion committed');
  });

  it('one shared connection: a signaling join needing it while a request waits on it: both go through, nothing deadlocks', async () => {
    const one = await node('1');
    try {
      const sid = await newRoom(`fib-join-${randomBytes(4).toString('hex')}`, one);
      const lock = await holdRoom(sid, one);
      const completing = rest('POST', `/v1/Rooms/${sid}`, { Status: 'completed' }, one);
      await new Promise((r) => setTimeout(r, 50));
      // the join's reads and seat are written from the loop itself, which
      // takes the connection from the waiting request's fiber: it runs the
      // fiber's statement to its end (the lock let go below), then its own
      const joining = join(one, tok(one, 'alice', `fib-join-other-${randomBytes(4).toString('hex')}`));
      const released = new Promise((r) => setTimeout(r, 300)).then(() => lock.release());
      const [done, j] = await Promise.all([completing, joining, released]);
      assert.equal(done.status, 200, done.text);
      assert.equal(j.joined.type, 'joined', JSON.stringify(j.joined));
      await j.c.close();
    } finally {
      assertExit0(one, await one.stop());
    }
  });

  it('a join whose seat waits for a row lock does not hold the loop: requests and relays meanwhile', async () => {
    const name = `fib-seat-${randomBytes(4).toString('hex')}`;
    const sid = await newRoom(name);
    const other = `fib-seat-other-${randomBytes(4).toString('hex')}`;
    const a = await join(srv, tok(srv, 'amy', other));
    const b = await join(srv, tok(srv, 'ben', other));
    assert.equal(b.joined.type, 'joined', JSON.stringify(b.joined));
    await a.c.next('participant_joined');
    const lock = await holdRoom(sid);
    // admission reads the room (no lock needed); its seat locks the row
    const waiting = join(srv, tok(srv, 'cat', name));
    await new Promise((r) => setTimeout(r, 100)); // the seat is at the writer, waiting
    const health = await srv.request('GET', '/healthz');
    assert.equal(health.status, 200, health.text);
    const read = await rest('GET', `/v1/Rooms/${other}`);
    assert.equal(read.status, 200, read.text);
    b.c.send({ type: 'signal', to: a.joined.participant.sid, data: { meanwhile: 1 } });
    assert.deepEqual((await a.c.next('signal')).data, { meanwhile: 1 });
    assert.equal(await state(waiting), 'pending', 'the join waits for its seat');
    await lock.release();
    const c = await waiting;
    assert.equal(c.joined.type, 'joined', JSON.stringify(c.joined));
    const live = await rest('GET', `/v1/Rooms/${sid}/Participants?Status=connected`);
    assert.deepEqual(live.json.participants.map((p) => p.identity), ['cat']);
    // its leave goes through the writer too: written, then the close
    await c.c.close();
    await waitFor(async () => (await rest('GET', `/v1/Rooms/${sid}/Participants?Status=connected`)).json.participants.length === 0,
      'the leave written');
    await a.c.close();
    await b.c.close();
  });

  it('a join whose admission read waits does not hold the loop; a connection that leaves meanwhile is let go', async () => {
    const other = `fib-adm-other-${randomBytes(4).toString('hex')}`;
    const a = await join(srv, tok(srv, 'ann', other));
    const b = await join(srv, tok(srv, 'bo', other));
    assert.equal(b.joined.type, 'joined', JSON.stringify(b.joined));
    await a.c.next('participant_joined');
    const lock = await holdTable(srv, 'rooms');
    // each join's admission reads its room: both wait, on fibers
    const waiting = join(srv, tok(srv, 'cy', `fib-adm-${randomBytes(4).toString('hex')}`));
    const leaving = connect(srv);
    const l = await leaving;
    l.send({ type: 'join', token: tok(srv, 'di', `fib-adm-gone-${randomBytes(4).toString('hex')}`) });
    await new Promise((r) => setTimeout(r, 100));
    const health = await srv.request('GET', '/healthz');
    assert.equal(health.status, 200, health.text);
    const mint = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, form: { Identity: 'meanwhile' } });
    assert.equal(mint.status, 200, mint.text);
    b.c.send({ type: 'signal', to: a.joined.participant.sid, data: { adm: 1 } });
    assert.deepEqual((await a.c.next('signal')).data, { adm: 1 });
    assert.equal(await state(waiting), 'pending', 'the join waits for its admission read');
    await l.close(); // gone while its admission waits
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await srv.request('GET', '/healthz')).status, 200);
    await lock.release();
    const c = await waiting;
    assert.equal(c.joined.type, 'joined', JSON.stringify(c.joined));
    await c.c.close();
    await a.c.close();
    await b.c.close();
  });

  it('a media link whose recording is not cached reads it on a fiber: the loop goes on meanwhile', async () => {
    const rs = await startRecServer({ env: pgEnv, threads: 1, args: ['--access-log', 'off', '--db-timeout', '60'] });
    try {
      const body = patterned(3000);
      const up = await upload(rs, body, { query: { AllowedIdentities: 'alice' } });
      assert.equal(up.status, 201, up.text);
      const url = await mediaUrl(rs, up.json.sid); // /sec_rec caches the recording...
      // ...and another process's commit clears the node's caches (its change watcher)
      runCli(rs.dataDir, ['account', 'create'], { env: pgEnv });
      await new Promise((r) => setTimeout(r, 500));
      const lock = await holdTable(rs, 'recordings');
      const fetching = fetch(url).then(async (r) => ({ status: r.status, body: Buffer.from(await r.arrayBuffer()) }));
      await new Promise((r) => setTimeout(r, 100));
      const health = await rs.request('GET', '/healthz');
      assert.equal(health.status, 200, health.text);
      assert.equal(await state(fetching), 'pending', 'the media request waits for its recording');
      await lock.release();
      const got = await fetching;
      assert.equal(got.status, 200);
      assert.ok(got.body.equals(body), 'the recording, decrypted');
    } finally {
      assertExit0(rs, await rs.stop());
    }
  });

  it('a connection per loop: a signaling join is served while a request of the same loop waits', async () => {
    const sid = await newRoom(`fib-own-${randomBytes(4).toString('hex')}`);
    const lock = await holdRoom(sid);
    const completing = rest('POST', `/v1/Rooms/${sid}`, { Status: 'completed' });
    await new Promise((r) => setTimeout(r, 50));
    // the hub's statements share the first connection with the server's
    // other threads; the fibers have the loop's own
    const j = await join(srv, tok(srv, 'bob', `fib-own-other-${randomBytes(4).toString('hex')}`));
    assert.equal(j.joined.type, 'joined', JSON.stringify(j.joined));
    assert.equal(await state(completing), 'pending', 'the completion still waits for the lock');
    await j.c.close();
    await lock.release();
    const done = await completing;
    assert.equal(done.status, 200, done.text);
  });
});
