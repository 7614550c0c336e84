// Issue 15: the multi-node scenarios (lib/multinode.js) on PostgreSQL:
// three roomgate nodes, each with a data directory of its own, on one
// throw-away PostgreSQL 15 (scripts/pg.sh, as tests/api/pg_nodes.test.js)
// with one master key, and one throw-away redis-server (lib/redis.js).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, UNDER_VALGRIND } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { multinodeTests, readiness, startPgRedis, until } from './lib/multinode.js';
import { connect, connectedList, tok } from './lib/signal.js';

let cluster;
let redis;
let a;
let b;
let c;

before(async () => {
  cluster = await startPgRedis();
  redis = cluster.redis;
  const env = cluster.env;
  // --signal-join-burst 0: the kick scenario polls a revoked rejoin until
  // the node knows the revocation; the per-identity join limit (its own
  // suite, sec_redteam_joins) would answer 20429 first on a slow machine
  const args = ['--access-log', 'off', '--redis', redis.url, '--signal-join-burst', '0'];
  a = await startServer({ env, args, threads: 2 });
  b = await startServer({ env, args, threads: 2, account: a.account, key: a.key });
  c = await startServer({ env, args, threads: 2, account: a.account, key: a.key });
  for (const s of [a, b, c]) await until(async () => (await readiness(s)) === 'ready', `${s.url} ready`);
});

after(async () => {
  // everything is stopped before the first failed exit is reported
  const exits = [];
  for (const s of [c, b, a]) if (s) exits.push([s, await s.stop()]);
  if (cluster) await cluster.stop();
  for (const [s, exit] of exits) assertExit0(s, exit);
});

describe('signaling across nodes (Redis), on one PostgreSQL', () => multinodeTests(() => ({ a, b, c, redis })));

// Exact capacity across nodes (issue 15): each join takes its seat in one
// transaction with the room's row locked, so however the 50 interleave
// over the three nodes, the go room's two seats go to exactly two.
describe('capacity across three nodes on one PostgreSQL', () => {
  it('50 simultaneous joins to a go room spread over the three nodes: exactly 2 admitted', async () => {
    const made = await a.request('POST', '/v1/Rooms', { auth: a.keyAuth, form: { UniqueName: 'mn-race50', Type: 'go' } });
    assert.equal(made.status, 201, made.text);
    const nodes = [a, b, c];
    const answerMs = UNDER_VALGRIND ? 180000 : 30000; // answered, however loaded the machine
    const tries = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const srv = nodes[i % 3];
      const cl = await connect(srv);
      cl.send({ type: 'join', token: tok(srv, `racer-${i}`), room: 'mn-race50' });
      return { c: cl, srv, joined: await cl.next(undefined, answerMs) };
    }));
    const won = tries.filter((t) => t.joined.type === 'joined');
    const lost = tries.filter((t) => t.joined.type !== 'joined');
    assert.equal(won.length, 2, JSON.stringify(tries.map((t) => t.joined)));
    for (const t of lost) assert.equal(t.joined.code, 53105, JSON.stringify(t.joined));
    const winners = won.map((t) => t.joined.participant.identity).sort();
    for (const s of nodes) assert.deepEqual(await connectedList(s, 'mn-race50', 'identity'), winners);
    await Promise.all(tries.map((t) => t.c.close()));
  });
});
