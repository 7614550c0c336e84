// Issue 15: identical nodes, signaling fanned out through Redis (--redis;
// docs/deploy.md "Several nodes").  Three roomgate nodes share one store
// (one SQLite data directory: WAL, capacity decided in BEGIN IMMEDIATE
// transactions, so it is exact across processes too) and one throw-away
// redis-server; participants on different nodes meet in one room.
import { describe, before, after } from 'node:test';
import { startServer } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { startRedis } from './lib/redis.js';
import { multinodeTests, readiness, until } from './lib/multinode.js';

let redis;
let a;
let b;
let c;

before(async () => {
  redis = await startRedis();
  // --signal-join-burst 0: the kick scenario polls a revoked rejoin until
  // the node knows the revocation; the per-identity join limit (its own
  // suite, sec_redteam_joins) would answer 20429 first on a slow machine
  const args = ['--access-log', 'off', '--redis', redis.url, '--signal-join-burst', '0'];
  a = await startServer({ threads: 2, args });
  const shared = { dataDir: a.dataDir, account: a.account, key: a.key, threads: 2, args };
  b = await startServer(shared);
  c = await startServer(shared);
  for (const s of [a, b, c]) await until(async () => (await readiness(s)) === 'ready', `${s.url} ready`);
});

after(async () => {
  // everything is stopped before the first failed exit is reported
  const exits = [];
  for (const s of [c, b]) if (s) exits.push([s, await s.stop({ keepData: true })]);
  if (a) exits.push([a, await a.stop()]);
  if (redis) await redis.close();
  for (const [s, exit] of exits) assertExit0(s, exit);
});

describe('signaling across nodes (Redis), on one SQLite directory', () => multinodeTests(() => ({ a, b, c, redis })));
