// The store of a test node on PostgreSQL, wherever the suite runs: in
// scripts/test.sh's PostgreSQL pass the harness gives each data dir a
// schema of that pass's cluster (ROOMGATE_TEST_PG_URL, lib/server.js), so
// no env is needed; elsewhere a throw-away cluster of its own
// (scripts/pg.sh), which stop() removes.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './server.js';

const PG_SH = path.join(REPO_ROOT, 'scripts/pg.sh');

/** -> {env (ROOMGATE_DB, ROOMGATE_MASTER_KEY, or none), stop()} */
export function pgNodeEnv() {
  if (process.env.ROOMGATE_TEST_PG_URL) return { env: {}, stop() {} };
  const out = execFileSync('bash', [PG_SH, 'start'], { encoding: 'utf8', timeout: 120000 });
  const dir = /RG_TEST_PG_DIR='([^']+)'/.exec(out)[1];
  const port = /port=(\d+)/.exec(out)[1];
  return {
    env: {
      ROOMGATE_DB: `postgres://roomgate@127.0.0.1:${port}/postgres?connect_timeout=5`,
      ROOMGATE_MASTER_KEY: randomBytes(32).toString('hex'),
    },
    stop() { execFileSync('bash', [PG_SH, 'stop', dir], { timeout: 120000 }); },
  };
}
