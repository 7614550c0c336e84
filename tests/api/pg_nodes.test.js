// Issue 15: two roomgate nodes on one PostgreSQL (--db postgres://...;
// docs/deploy.md "PostgreSQL back end").  A throw-away PostgreSQL 15 is
// started by scripts/pg.sh (as for the unit tests on PostgreSQL) and the
// nodes share it and the master key, each with a data directory of its
// own.  Rooms written through one node are read and ended through the
// other; joins racing on both nodes for a go room's two seats: exactly two
// win, whichever node they came through.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startServer, REPO_ROOT } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { join, tok, connectedList } from './lib/signal.js';

const PG_SH = path.join(REPO_ROOT, 'scripts/pg.sh');
let pgDir;
let a;
let b;

/** Polls cond (an async predicate) until it holds; fails after ms. */
async function until(cond, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  const out = execFileSync('bash', [PG_SH, 'start'], { encoding: 'utf8', timeout: 120000 });
  pgDir = /RG_TEST_PG_DIR='([^']+)'/.exec(out)[1];
  const port = /port=(\d+)/.exec(out)[1];
  // the URL form --db takes (not the key=value string the unit tests use)
  const env = {
    ROOMGATE_DB: `postgres://roomgate@127.0.0.1:${port}/postgres?connect_timeout=5`,
    ROOMGATE_MASTER_KEY: randomBytes(32).toString('hex'), // one key for the cluster
  };
  const args = ['--access-log', 'off'];
  a = await startServer({ env, args });
  b = await startServer({ env, args, account: a.account, key: a.key });
});

after(async () => {
  // everything is stopped before the first failed exit is reported
  const exits = [];
  for (const s of [b, a]) if (s) exits.push([s, await s.stop()]);
  if (pgDir) execFileSync('bash', [PG_SH, 'stop', pgDir], { timeout: 120000 });
  for (const [s, exit] of exits) assertExit0(s, exit);
});

const room = (srv, sidOrName) => srv.request('GET', `/v1/Rooms/${sidOrName}`, { auth: srv.keyAuth });

describe('two nodes on one PostgreSQL', () => {
  it('a room created through one node is read and completed through the other', async () => {
    const made = await a.request('POST', '/v1/Rooms', { auth: a.keyAuth, form: { UniqueName: 'pg-shared', Type: 'group' } });
    assert.equal(made.status, 201, made.text);
    const seen = await room(b, 'pg-shared');
    assert.equal(seen.status, 200, seen.text);
    assert.equal(seen.json.sid, made.json.sid);
    assert.equal(seen.json.status, 'in-progress');
    // the name is taken cluster-wide while the room is in progress
    const again = await b.request('POST', '/v1/Rooms', { auth: b.keyAuth, form: { UniqueName: 'pg-shared' } });
    assert.equal(again.status, 400, again.text);
    const done = await b.request('POST', `/v1/Rooms/${made.json.sid}`, { auth: b.keyAuth, form: { Status: 'completed' } });
    assert.equal(done.status, 200, done.text);
    assert.equal((await room(a, made.json.sid)).json.status, 'completed');
  });

  it('joins racing on both nodes for the two seats of a go room: exactly two win', async () => {
    const made = await a.request('POST', '/v1/Rooms', { auth: a.keyAuth, form: { UniqueName: 'pg-race', Type: 'go' } });
    assert.equal(made.status, 201, made.text);
    const N = 12;
    const tries = await Promise.all(Array.from({ length: N }, (_, i) => {
      const srv = i % 2 ? b : a;
      return join(srv, tok(srv, `racer-${i}`), 'pg-race');
    }));
    const won = tries.filter((t) => t.joined.type === 'joined');
    const lost = tries.filter((t) => t.joined.type !== 'joined');
    assert.equal(won.length, 2, JSON.stringify(tries.map((t) => t.joined)));
    for (const t of lost) assert.equal(t.joined.code, 53105, JSON.stringify(t.joined));
    const winners = won.map((t) => t.joined.participant.identity).sort();
    // both nodes see the same two seats
    assert.deepEqual(await connectedList(a, 'pg-race', 'identity'), winners);
    assert.deepEqual(await connectedList(b, 'pg-race', 'identity'), winners);
    for (const t of lost) t.c.close();
    // a winner leaves through its node: its seat is free for a join on either
    await won[0].c.close();
    await until(async () => (await connectedList(b, 'pg-race', 'identity')).length === 1, 'the seat freed');
    const late = await join(b, tok(b, 'late'), 'pg-race');
    assert.equal(late.joined.type, 'joined', JSON.stringify(late.joined));
    const over = await join(a, tok(a, 'over'), 'pg-race');
    assert.equal(over.joined.code, 53105, JSON.stringify(over.joined));
    over.c.close();
    await late.c.close();
    await won[1].c.close();
  });
});
