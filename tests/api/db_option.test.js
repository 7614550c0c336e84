// --db / ROOMGATE_DB (issue 15): the store's location apart from the data
// directory (a SQLite file here; PostgreSQL in pg_*.test.js), for serve and
// the CLI alike; and a password in a postgres:// location is never printed.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, BIN } from './lib/server.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-db-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args, env = {}) {
  return spawnSync(BIN, args, { encoding: 'utf8', timeout: 60000, env: { ...process.env, ...env } });
}

describe('--db', () => {
  it('serve and the CLI keep the store where --db / ROOMGATE_DB says', async () => {
    const db = path.join(tmp, 'elsewhere.db');
    const srv = await startServer({ env: { ROOMGATE_DB: db } });
    try {
      const res = await srv.request('GET', `/v1/Rooms`, { auth: srv.keyAuth });
      assert.equal(res.status, 200, res.text);
      assert.equal(fs.statSync(db).mode & 0o777, 0o600);
      assert.ok(!fs.existsSync(path.join(srv.dataDir, 'roomgate.db')), 'nothing in the data dir');
      // the flag wins over the environment, for the CLI too
      const other = path.join(tmp, 'other.db');
      const r = run(['account', 'create', '--data', srv.dataDir, '--db', other], { ROOMGATE_DB: db });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(fs.existsSync(other));
      const list = run(['key', 'list', '--account', srv.account.sid, '--data', srv.dataDir, '--db', other]);
      assert.equal(list.status, 1, 'that account lives in the first store only');
      assert.match(list.stderr, /no such account/);
      const here = run(['key', 'list', '--account', srv.account.sid, '--data', srv.dataDir], { ROOMGATE_DB: db });
      assert.equal(here.status, 0, here.stderr);
      assert.ok(here.stdout.includes(srv.key.sid));
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });

  it('never prints the password of a postgres:// location', () => {
    const url = 'postgres://rg:S3cretPW@127.0.0.1:1/x?password=S3cretQ&connect_timeout=2';
    const data = path.join(tmp, 'data');
    for (const [args, env] of [
      [['account', 'create', '--data', data, '--db', url], {}],
      [['account', 'create', '--data', data], { ROOMGATE_DB: url }],
      [['serve', '--listen', '127.0.0.1:0', '--data', data, '--db', url], {}],
      [['serve', '--listen', '127.0.0.1:0', '--data', data], { ROOMGATE_DB: url }],
      // malformed: libpq would quote the broken piece (here the password)
      [['account', 'create', '--data', data, '--db', 'postgres://rg:S3cret%zz@127.0.0.1:1/x'], {}],
    ]) {
      const r = run(args, env);
      assert.equal(r.status, 1, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, /cannot open the database postgres:\/\/rg:\*\*\*@127\.0\.0\.1:1\/x/);
      assert.ok(!r.stderr.includes('S3cret') && !r.stdout.includes('S3cret'), r.stderr);
    }
  });
});
