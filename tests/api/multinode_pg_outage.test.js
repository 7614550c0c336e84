// Issue 15, failure behaviour: PostgreSQL stopped under a running node
// (docs/deploy.md "When PostgreSQL or Redis fails").  A node on a
// throw-away PostgreSQL (scripts/pg.sh); the cluster is halted and started
// again on the same port (pg.sh halt / start DIR) while the node runs.
// While it is down, what needs the store answers 503 (REST) or error 53000
// (a WebSocket join) with a message that names the cause, at once rather
// than after a hang; /readyz says 503 "store unavailable"; what the
// in-memory caches serve (token mint and validation with a known key)
// still answers.  Once it is back, the same calls succeed without a
// restart of roomgate (the store reconnects by itself, src/store/pg/conn.c).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, REPO_ROOT, UNDER_VALGRIND } from './lib/server.js';
import { assertExit0, assertValid, mint, validate } from './lib/check.js';
import { connect, tok } from './lib/signal.js';
import { until } from './lib/multinode.js';

const PG_SH = path.join(REPO_ROOT, 'scripts/pg.sh');
const pg = (...args) => execFileSync('bash', [PG_SH, ...args], { encoding: 'utf8', timeout: 120000 });
// an answer is due at once (no hang); valgrind slows everything ~20x
const REPLY_MS = UNDER_VALGRIND ? 60000 : 10000;
const CAUSE_RE = /the store is unavailable: its database cannot be reached/i;
// the sweeper's --node-timeout (docs/deploy.md "Dead nodes"): an outage
// longer than it must not make a node that recovers first free the seats
// of the others; a node beats and sweeps every PERIOD_MS
const NODE_TIMEOUT = UNDER_VALGRIND ? 30 : 10;
const PERIOD_MS = Math.min(NODE_TIMEOUT * 200, 3000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let pgDir;
let srv;
let b; // a second node on the same cluster (the sweeper scenario)
let nodeEnv; // the cluster's location and master key, for the nodes started later

before(async () => {
  const out = pg('start');
  pgDir = /RG_TEST_PG_DIR='([^']+)'/.exec(out)[1];
  const port = /port=(\d+)/.exec(out)[1];
  const env = nodeEnv = {
    ROOMGATE_DB: `postgres://roomgate@127.0.0.1:${port}/postgres?connect_timeout=5`,
    ROOMGATE_MASTER_KEY: randomBytes(32).toString('hex'),
  };
  const args = ['--access-log', 'off', '--signal-join-burst', '0', '--node-timeout', String(NODE_TIMEOUT)];
  srv = await startServer({ env, args });
  b = await startServer({ env, args, account: srv.account, key: srv.key });
});

after(async () => {
  // whatever happened, the cluster is running again before the node stops
  if (pgDir) try { pg('start', pgDir); } catch { /* it was running */ }
  if (b) { try { process.kill(b.proc.pid, 'SIGCONT'); } catch { /* gone */ } }
  const exits = [];
  for (const s of [b, srv]) if (s) exits.push([s, await s.stop()]);
  if (pgDir) pg('stop', pgDir);
  for (const [s, exit] of exits) assertExit0(s, exit);
});

/** A join's first answer, waited for generously (a join is answered, never left hanging). */
async function joinOnce(identity, room, on = srv) {
  const c = await connect(on);
  c.send({ type: 'join', token: tok(on, identity), room });
  const first = await c.next(undefined, REPLY_MS);
  await c.close();
  return first;
}

/** Joins and stays (on node `on`, default the first): {c, sid}. */
async function joinStay(identity, room, on = srv) {
  const c = await connect(on);
  c.send({ type: 'join', token: tok(on, identity), room });
  const joined = await c.next(undefined, REPLY_MS);
  assert.equal(joined.type, 'joined', JSON.stringify(joined));
  return { c, sid: joined.participant.sid };
}

const keysPath = () => `/2010-04-01/Accounts/${srv.account.sid}/Keys`;
const createRoom = (name) => srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, form: { UniqueName: name, Type: 'go' } });
const createKey = () => srv.request('POST', `${keysPath()}.json`, { auth: srv.accountAuth, form: { FriendlyName: 'outage' } });
const readyz = (on = srv) => on.request('GET', '/readyz');

function assertStoreDown(res, what) {
  assert.equal(res.status, 503, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.json.code, 20500, `${what}: ${res.text}`);
  assert.match(res.json.message, CAUSE_RE, `${what}: ${res.text}`);
}

describe('PostgreSQL stopped under a running node', () => {
  it('answers 503 naming the cause while it is down, stays up, and recovers by itself', async () => {
    // up: everything works, and the key is in the node's cache
    assert.equal((await createRoom('before-outage')).status, 201);
    const early = await mint(srv, { identity: 'early' });
    assertValid(await validate(srv, early.token), { identity: 'early' });
    assert.equal((await joinOnce('j0', 'outage-room')).type, 'joined');
    const alice = await joinStay('alice', 'outage-call');
    const bob = await joinStay('bob', 'outage-call');

    pg('halt', pgDir);
    await until(async () => (await readyz()).status === 503, '/readyz 503', REPLY_MS * 3);
    assert.deepEqual((await readyz()).json, { status: 'store unavailable' });

    // what needs the store: 503, the cause named, answered (not hung)
    assertStoreDown(await createRoom('during-outage'), 'create room');
    assertStoreDown(await createKey(), 'create key');
    assertStoreDown(await srv.request('GET', `${keysPath()}.json`, { auth: srv.accountAuth }), 'list keys');
    assertStoreDown(await srv.request('GET', '/v1/Rooms', { auth: srv.keyAuth }), 'list rooms');
    const refused = await joinOnce('j1', 'outage-room-2');
    assert.equal(refused.type, 'error', JSON.stringify(refused));
    assert.equal(refused.code, 53000, JSON.stringify(refused));
    assert.match(refused.message, CAUSE_RE);

    // what the in-memory caches serve still answers: a known key mints
    // and validates (docs/deploy.md lists these)
    const during = await mint(srv, { identity: 'during' });
    assertValid(await validate(srv, during.token), { identity: 'during' });
    assertValid(await validate(srv, early.token), { identity: 'early' });
    assert.equal((await srv.request('GET', '/healthz')).status, 200);
    // a call in progress goes on: relays need no store
    alice.c.send({ type: 'signal', to: bob.sid, data: { during: 1 } });
    assert.deepEqual(await bob.c.next('signal', REPLY_MS), { type: 'signal', from: alice.sid, data: { during: 1 } });

    // back: the same calls succeed without a restart of roomgate
    pg('start', pgDir);
    await until(async () => (await readyz()).status === 200, '/readyz 200 again', REPLY_MS * 3);
    assert.deepEqual((await readyz()).json, { status: 'ready' });
    let made;
    await until(async () => (made = await createRoom('after-outage')).status === 201, 'create room again', REPLY_MS * 3);
    assert.equal(made.json.unique_name, 'after-outage');
    const key = await createKey();
    assert.equal(key.status, 201, key.text);
    const list = await srv.request('GET', `${keysPath()}.json`, { auth: srv.accountAuth });
    assert.equal(list.status, 200, list.text);
    assert.ok(list.json.keys.some((k) => k.sid === key.json.sid));
    const joined = await joinOnce('j2', 'outage-room-3');
    assert.equal(joined.type, 'joined', JSON.stringify(joined));
    await Promise.all([alice.c.close(), bob.c.close()]);

    // the outage was said once per connection, and its end too
    const err = srv.stderr();
    assert.match(err, /connection to PostgreSQL is lost/);
    assert.match(err, /reconnected to PostgreSQL/);
    assert.ok(srv.proc.exitCode === null && srv.proc.signalCode === null, 'the node stayed up');
  });
});

describe('PostgreSQL stopped for longer than --node-timeout', () => {
  it('the node back first frees no live seat of another node (its sweeps wait a timeout)', async () => {
    // both nodes reconnected after the outage above (B, idle through it,
    // heals its connection only as its pollers use it)
    for (const s of [srv, b]) await until(async () => (await readyz(s)).status === 200, 'ready before', REPLY_MS * 3);
    const alice = await joinStay('alice', 'sweep-room', srv);
    const bob = await joinStay('bob', 'sweep-room', b);
    const both = [alice.sid, bob.sid].sort();
    const seats = async () => {
      const res = await srv.request('GET', '/v1/Rooms/sweep-room/Participants?Status=connected', { auth: srv.keyAuth });
      assert.equal(res.status, 200, res.text);
      return res.json.participants.map((p) => p.sid).sort();
    };
    assert.deepEqual(await seats(), both);

    pg('halt', pgDir);
    for (const s of [srv, b]) await until(async () => (await readyz(s)).status === 503, '/readyz 503', REPLY_MS * 3);
    await sleep((NODE_TIMEOUT + 2) * 1000); // the outage outlasts the timeout: every beat is stale
    // node B frozen while PostgreSQL comes back: A recovers alone and
    // sweeps (without the hold it would free bob's seat at once)
    process.kill(b.proc.pid, 'SIGSTOP');
    try {
      pg('start', pgDir);
      await until(async () => (await readyz(srv)).status === 200, 'A ready again', REPLY_MS * 3);
      await sleep(2 * PERIOD_MS + 1000); // A's sweeper runs at least once
    } finally {
      process.kill(b.proc.pid, 'SIGCONT');
    }
    await until(async () => (await readyz(b)).status === 200, 'B ready again', REPLY_MS * 3);
    await sleep((NODE_TIMEOUT * 1000) + 2 * PERIOD_MS); // past A's hold: its sweeps judge B by B's new beats
    assert.deepEqual(await seats(), both, 'both seats still taken');
    assert.doesNotMatch(srv.stderr(), /seat\(s\) of silent node\(s\) freed/);
    assert.doesNotMatch(b.stderr(), /freed its seats/);
    await Promise.all([alice.c.close(), bob.c.close()]);
  });
});

// A database that stops answering without closing its sockets (its
// processes stopped: a hung or swapped-out server, a lock never released)
// is worse than one that is gone: libpq alone would wait for the answer
// for ever, holding the event loop, and every loop behind the store's
// mutex.  Each statement is awaited for --db-timeout at most
// (src/store/pg/wait.c); past it the connection is given up, the store
// answers 503 and heals as after a loss.
describe('PostgreSQL frozen under a running node (processes stopped, sockets open)', () => {
  it('answers 503 after --db-timeout instead of hanging, and recovers by itself', async () => {
    const DEADLINE_S = UNDER_VALGRIND ? 8 : 2;
    const f = await startServer({ env: nodeEnv, account: srv.account, key: srv.key,
      args: ['--access-log', 'off', '--signal-join-burst', '0', '--db-timeout', String(DEADLINE_S)] });
    const onF = (name) => f.request('POST', '/v1/Rooms', { auth: f.keyAuth, form: { UniqueName: name, Type: 'go' } });
    // the postmaster (first line of postmaster.pid) and its children, from
    // /proc (no ps: procps is not on every Debian machine)
    const cluster = () => {
      const head = Number(fs.readFileSync(path.join(pgDir, 'data/postmaster.pid'), 'utf8').split('\n')[0]);
      const parentOf = (pid) => {
        try {
          const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); // "pid (comm) state ppid ..."
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        } catch { return -1; } // gone meanwhile
      };
      const kids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && parentOf(d) === head).map(Number);
      assert.ok(head > 0 && kids.length > 0, `the cluster's processes: ${head} ${kids}`);
      return [head, ...kids];
    };
    /** res, or a failure naming what hung: an answer is due soon after the deadline. */
    const answered = (p, what) => Promise.race([p, sleep(DEADLINE_S * 1000 + REPLY_MS)
      .then(() => { throw new Error(`${what}: no answer (the loop hangs on the database)`); })]);
    try {
      await until(async () => (await readyz(f)).status === 200, 'the new node ready', REPLY_MS * 3);
      assert.equal((await onF('before-freeze')).status, 201);
      const early = await mint(f, { identity: 'early' });
      const alice = await joinStay('alice', 'freeze-call', f);
      const bob = await joinStay('bob', 'freeze-call', f);
      const frozen = cluster();
      for (const pid of frozen) process.kill(pid, 'SIGSTOP');
      try {
        // two store calls at once, one per event loop: both answered
        const [one, two] = await Promise.all([answered(onF('frozen-1'), 'create room 1'),
          answered(onF('frozen-2'), 'create room 2')]);
        assertStoreDown(one, 'create room during the freeze');
        assertStoreDown(two, 'a second create room during the freeze');
        // /readyz reads a ping made on the main thread's tick (api/health.c): its next one
        await until(async () => (await answered(readyz(f), '/readyz')).status === 503, '/readyz 503', REPLY_MS * 3);
        assert.deepEqual((await readyz(f)).json, { status: 'store unavailable' });
        const c = await connect(f);
        c.send({ type: 'join', token: tok(f, 'j-frozen'), room: 'freeze-room' });
        const refused = await answered(c.next(undefined, REPLY_MS + DEADLINE_S * 1000), 'a join');
        await c.close();
        assert.equal(refused.code, 53000, JSON.stringify(refused));
        // the caches and the relay need no store
        assertValid(await validate(f, early.token), { identity: 'early' });
        assert.equal((await answered(f.request('GET', '/healthz'), '/healthz')).status, 200);
        alice.c.send({ type: 'signal', to: bob.sid, data: { frozen: 1 } });
        assert.deepEqual(await bob.c.next('signal', REPLY_MS), { type: 'signal', from: alice.sid, data: { frozen: 1 } });
      } finally {
        for (const pid of frozen) try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
      }
      await until(async () => (await readyz(f)).status === 200, '/readyz 200 after the thaw', REPLY_MS * 3);
      let made;
      await until(async () => (made = await onF('after-freeze')).status === 201, 'create room after the thaw', REPLY_MS * 3);
      const joined = await joinOnce('j-thawed', 'freeze-room-2', f);
      await Promise.all([alice.c.close(), bob.c.close()]);
      const err = f.stderr();
      assert.match(err, /did not answer a statement within --db-timeout/);
      assert.match(err, /reconnected to PostgreSQL/);
      assert.equal(joined.type, 'joined', JSON.stringify(joined));
    } finally {
      assertExit0(f, await f.stop());
    }
  });
});
