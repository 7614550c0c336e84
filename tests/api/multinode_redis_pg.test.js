// Issue 15: the multi-node scenarios (lib/multinode.js) on PostgreSQL:
// three roomgate nodes, each with a data directory of its own, on one
// throw-away PostgreSQL 15 (scripts/pg.sh, as tests/api/pg_nodes.test.js)
// with one master key, and one throw-away redis-server (lib/redis.js).
import { describe, before, after } from 'node:test';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startServer, REPO_ROOT } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { startRedis } from './lib/redis.js';
import { multinodeTests, readiness, until } from './lib/multinode.js';

const PG_SH = path.join(REPO_ROOT, 'scripts/pg.sh');
let pgDir;
let redis;
let a;
let b;
let c;

before(async () => {
  const out = execFileSync('bash', [PG_SH, 'start'], { encoding: 'utf8', timeout: 120000 });
  pgDir = /RG_TEST_PG_DIR='([^']+)'/.exec(out)[1];
  const port = /port=(\d+)/.exec(out)[1];
  redis = await startRedis();
  const env = {
    ROOMGATE_DB: `postgres://roomgate@127.0.0.1:${port}/postgres?connect_timeout=5`,
    ROOMGATE_MASTER_KEY: randomBytes(32).toString('hex'), // one key for the cluster
  };
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
  for (const s of [c, b, a]) if (s) assertExit0(s, await s.stop());
  if (redis) await redis.close();
  if (pgDir) execFileSync('bash', [PG_SH, 'stop', pgDir], { timeout: 120000 });
});

describe('signaling across nodes (Redis), on one PostgreSQL', () => multinodeTests(() => ({ a, b, c, redis })));
