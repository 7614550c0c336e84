// Issue 15, "Dead nodes": three nodes on one throw-away PostgreSQL
// (scripts/pg.sh) and one redis-server (lib/redis.js), as
// multinode_redis_pg.test.js.  Node C is killed with SIGKILL (the real
// process: under valgrind the wrapper exec's valgrind, so the pid is the
// server's) while it holds one of a go room's two seats.  Within
// --node-timeout a sweeper on A or B frees that seat (docs/deploy.md "Dead
// nodes"): the participant on node A gets participant_left, REST lists the
// participant as disconnected, the account's status callback receives
// participant-disconnected for it, and a new participant takes the seat;
// a Twilio-protocol participant on A sees its peer on C disconnected.
//
// Before that, node B's store connection is held up for three timeouts:
// a psql session holds the room's row locked (FOR UPDATE) while B serves
// a join to it, so B's loop waits on its connection, which the other
// nodes' store calls do not.  B's
// heartbeat has a connection of its own (app/heartbeat.h), so once the
// lock is released no sweeper takes B for dead: bob, connected to B
// throughout, keeps his seat and alice on A hears no participant_left.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { startServer, UNDER_VALGRIND } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { startReceiver } from './lib/hooks.js';
import { readiness, startPgRedis, until } from './lib/multinode.js';
import { connect, join, tok, connectedList } from './lib/signal.js';
import { twJoin, twTrack } from './lib/twclient.js';

// small, so the test is quick; larger under valgrind, where a node's
// main thread may well stall for a second or two and must not be taken
// for dead (A and B beat every timeout / 5)
const NODE_TIMEOUT = UNDER_VALGRIND ? 10 : 3;
// the deadline for what the sweep brings: generous, never asserted as a time
const SWEPT_MS = (NODE_TIMEOUT + (UNDER_VALGRIND ? 120 : 45)) * 1000;
// how long B's store connection is held up: well past --node-timeout
const HOLD_MS = 3 * NODE_TIMEOUT * 1000;
const PSQL = path.join(process.env.PG_BIN || '/usr/lib/postgresql/15/bin', 'psql');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let cluster;
let redis;
let rx;
let a;
let b;
let c;

before(async () => {
  cluster = await startPgRedis();
  redis = cluster.redis;
  const env = cluster.env;
  const args = ['--access-log', 'off', '--redis', redis.url, '--signal-join-burst', '0',
    '--node-timeout', String(NODE_TIMEOUT), '--webhook-allow-private', '--webhook-retry-base', '50',
    // B's join below waits HOLD_MS for psql's lock: longer than the default deadline of a statement
    '--db-timeout', String(HOLD_MS / 1000 + 60)];
  a = await startServer({ env, args, threads: 2 });
  b = await startServer({ env, args, threads: 2, account: a.account, key: a.key });
  c = await startServer({ env, args, threads: 2, account: a.account, key: a.key });
  for (const s of [a, b, c]) await until(async () => (await readiness(s)) === 'ready', `${s.url} ready`, 60000);
  rx = await startReceiver(a.account.auth_token);
});

after(async () => {
  // everything is stopped before the first failed exit is reported
  const exits = [];
  for (const s of [c, b, a]) if (s) exits.push([s, await s.stop()]);
  if (rx) await rx.close();
  if (cluster) await cluster.stop();
  for (const [s, exit] of exits) assertExit0(s, exit);
});

/** One query's single value through psql (not blocking this process's loop). */
function pgValue(sql) {
  return new Promise((resolve, reject) => {
    execFile(PSQL, [cluster.env.ROOMGATE_DB, '-XAtqc', sql], { timeout: 30000 }, (err, out) =>
      (err ? reject(err) : resolve(out.trim())));
  });
}

/** A psql session that holds the room's row locked (FOR UPDATE, as a
 * join does) until release(): only a store call for that room waits. */
async function lockRoom(roomSid) {
  const p = spawn(PSQL, [cluster.env.ROOMGATE_DB, '-Xq', '-v', 'ON_ERROR_STOP=1'],
    { stdio: ['pipe', 'ignore', 'inherit'], env: { ...process.env, PGAPPNAME: 'rg-test-lock' } });
  const exited = new Promise((resolve) => p.on('exit', (code) => resolve(code)));
  p.stdin.write(`BEGIN;\nSELECT 1 FROM rooms WHERE sid = '${roomSid}' FOR UPDATE;\n`);
  await until(async () => (await pgValue("SELECT count(*) FROM pg_stat_activity WHERE application_name = " +
    "'rg-test-lock' AND state = 'idle in transaction'")) === '1', 'the room locked by psql');
  return {
    async release() {
      p.stdin.end('COMMIT;\n');
      assert.equal(await exited, 0, 'psql held the lock and committed');
    },
  };
}

describe('a node whose store connection is held up', () => {
  it('is not taken for dead: its heartbeat has a connection of its own', async () => {
    const made = await a.request('POST', '/v1/Rooms', { auth: a.keyAuth, form: { UniqueName: 'busy-group', Type: 'group' } });
    assert.equal(made.status, 201, made.text);
    const alice = await join(a, tok(a, 'alice'), 'busy-group');
    assert.equal(alice.joined.type, 'joined', JSON.stringify(alice.joined));
    const bob = await join(b, tok(b, 'bob'), 'busy-group');
    assert.equal(bob.joined.type, 'joined', JSON.stringify(bob.joined));
    const bobSid = bob.joined.participant.sid;
    assert.equal((await alice.c.next('participant_joined', SWEPT_MS)).participant.sid, bobSid);

    assert.match(made.json.sid, /^RM[0-9a-f]{32}$/);
    const lock = await lockRoom(made.json.sid);
    let carol;
    try {
      // B serves a join: its loop waits on its connection, behind the lock
      const carolC = await connect(b);
      carolC.send({ type: 'join', token: tok(b, 'carol'), room: 'busy-group' });
      carol = { c: carolC };
      await until(async () => Number(await pgValue("SELECT count(*) FROM pg_stat_activity WHERE " +
        "wait_event_type = 'Lock'")) > 0, "B's join waiting for the room");
      await sleep(HOLD_MS);
    } finally {
      await lock.release();
    }
    // B's join goes through once the lock is gone
    const carolJoined = await carol.c.next(undefined, SWEPT_MS);
    assert.equal(carolJoined.type, 'joined', JSON.stringify(carolJoined));
    // every node's sweeper had its turn (each sweeps every timeout / 5,
    // and the ones that waited on the lock ran at once): nobody was freed
    await sleep(2 * NODE_TIMEOUT * 1000);
    assert.deepEqual(alice.c.inbox.filter((m) => m.type === 'participant_left'), [], 'nobody left');
    assert.deepEqual(await connectedList(a, 'busy-group', 'identity'), ['alice', 'bob', 'carol']);
    const bobRow = await a.request('GET', `/v1/Rooms/busy-group/Participants/${bobSid}`, { auth: a.keyAuth });
    assert.equal(bobRow.status, 200, bobRow.text);
    assert.equal(bobRow.json.status, 'connected');
    assert.equal(bob.c.ws.readyState, bob.c.ws.OPEN, 'bob is still connected to B');
    await Promise.all([alice.c.close(), bob.c.close(), carol.c.close()]);
  });
});

describe('a node killed with SIGKILL', () => {
  it('has its seats freed within --node-timeout: participant_left, the webhook, the seat free again', async () => {
    const set = await a.request('POST', '/v1/StatusCallback', { auth: a.keyAuth, form: { StatusCallback: `${rx.base}/hook` } });
    assert.equal(set.status, 200, set.text);
    const made = await a.request('POST', '/v1/Rooms', { auth: a.keyAuth, form: { UniqueName: 'dead-go', Type: 'go' } });
    assert.equal(made.status, 201, made.text);

    const alice = await join(a, tok(a, 'alice'), 'dead-go');
    assert.equal(alice.joined.type, 'joined', JSON.stringify(alice.joined));
    const carol = await join(c, tok(c, 'carol'), 'dead-go');
    assert.equal(carol.joined.type, 'joined', JSON.stringify(carol.joined));
    const carolSid = carol.joined.participant.sid;
    // alice hears of carol (across nodes, through Redis)
    const joined = await alice.c.next('participant_joined', 15000);
    assert.equal(joined.participant.sid, carolSid);
    // the go room is full: a third is refused, on any node
    const over = await join(b, tok(b, 'dave'), 'dead-go');
    assert.equal(over.joined.code, 53105, JSON.stringify(over.joined));
    await over.c.closed;
    // Twilio's protocol: tina on A knows tom on C, with his track
    const tina = await twJoin(a, 'tina', 'dead-tw');
    const tom = await twJoin(c, 'tom', 'dead-tw', [twTrack('tom-mic', 'audio')]);
    await tina.knows((peers) => peers.some((p) => p.sid === tom.sid && p.state === 'connected'), 'tom connected');

    c.proc.kill('SIGKILL');
    assert.equal(await c.stop({ expect: 'SIGKILL' }), 'signal:SIGKILL');
    c = null;
    await carol.c.closed; // its socket went with the process

    // the sweep (on A or B) frees carol's seat; alice is told
    const left = await alice.c.next('participant_left', SWEPT_MS);
    assert.equal(left.participant.sid, carolSid);
    assert.deepEqual(await connectedList(a, 'dead-go', 'identity'), ['alice']);
    const carolRow = await b.request('GET', `/v1/Rooms/dead-go/Participants/${carolSid}`, { auth: b.keyAuth });
    assert.equal(carolRow.status, 200, carolRow.text);
    assert.equal(carolRow.json.status, 'disconnected');
    // the status callback, through the outbox as for a leave
    const [ev] = await rx.seen((e) => e.params.StatusCallbackEvent === 'participant-disconnected' &&
      e.params.ParticipantSid === carolSid, 1, 'participant-disconnected for carol');
    assert.equal(ev.params.ParticipantIdentity, 'carol');
    assert.equal(ev.params.ParticipantStatus, 'disconnected');
    assert.equal(ev.params.RoomName, 'dead-go');
    // tina's participants update: tom disconnected, no tracks left
    await tina.knows((peers) => peers.some((p) => p.sid === tom.sid && p.state === 'disconnected' &&
      p.tracks.length === 0), 'tom disconnected', SWEPT_MS);
    tina.bye();
    await tina.closed;

    // the room's capacity is available again: dave takes the seat on B
    let dave;
    await until(async () => {
      dave = await join(b, tok(b, 'dave'), 'dead-go');
      if (dave.joined.type === 'joined') return true;
      await dave.c.close();
      return false;
    }, 'dave admitted to the freed seat', SWEPT_MS);
    const daveHeard = await alice.c.next('participant_joined', 15000);
    assert.equal(daveHeard.participant.identity, 'dave');
    // and the room is full again
    assert.deepEqual(await connectedList(b, 'dead-go', 'identity'), ['alice', 'dave']);
    await Promise.all([alice.c.close(), dave.c.close()]);
  });
});
