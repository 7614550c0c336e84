// Issue 10, item 6: HTTP rate limits.  Failed Basic authentication is
// limited per client address and per credential (429/20429 with
// Retry-After), never locking the right credential out from another
// address; /sec_rec and /media per address; token minting per key; and
// refused anonymous playback requests beyond a few per address and minute
// are counted in one summary audit row instead of a row each.
//
// The server listens on 127.0.0.1; other client addresses are other
// loopback addresses (127.0.0.2, ...) bound with `localAddress`.
// IPv6 /64 grouping is unit-tested in tests/unit/test_ratetab.c.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, basic, cliJson, BIN, STARTUP_MS } from './lib/server.js';
import { assertError, assert401, assertStatus, assertExit0, assert429 as assert429Within } from './lib/check.js';
import { addressClient } from './lib/from.js';

const servers = [];
after(async () => {
  for (const s of servers) if (!s.stopped) assertExit0(s, await s.stop());
});
async function start(opts) {
  const s = await startServer(opts);
  servers.push(s);
  return s;
}
async function stop(s, opts) {
  s.stopped = true;
  return s.stop(opts);
}

const client = addressClient({ maxSockets: 16 });
after(() => client.destroy());
const req = client.req;

/** n requests made by `conc` workers; returns the answers in completion order. */
async function flood(n, conc, fn) {
  const out = [];
  let next = 0;
  const worker = async () => { while (next < n) { const i = next++; out.push(await fn(i)); } };
  await Promise.all(Array.from({ length: conc }, worker));
  return out;
}

const assert429 = (res) => assert429Within(res, { maxRetryAfter: 60 });

const rooms = '/v1/Rooms';

describe('failed Basic authentication', () => {
  it('3,000 wrong secrets: 429 with Retry-After after the limit; the right secret works from another address', async () => {
    const srv = await start({ args: ['--access-log', 'off'] }); // defaults: 60 failures a minute
    const A = srv.account;
    const wrong = basic(A.sid, 'f'.repeat(32));
    const t0 = Date.now();
    const res = await flood(3000, 16, () => req(srv, 'GET', rooms, { auth: wrong }));
    const refilled = Math.ceil((Date.now() - t0) / 1000); // one more try a second
    const n401 = res.filter((r) => r.status === 401).length;
    const n429 = res.filter((r) => r.status === 429);
    assert.equal(n401 + n429.length, 3000, 'every answer is 401 or 429');
    // 60, plus the requests in flight when the limit was reached, plus the refill
    assert.ok(n401 >= 60 && n401 <= 60 + 16 + refilled, `401s: ${n401} (${refilled} s)`);
    for (const r of n429.slice(0, 50)) assert429(r);
    // this address is refused whatever it presents now, even the right secret: a
    // guesser must not learn which guess was right
    assert429(await req(srv, 'GET', rooms, { auth: srv.accountAuth }));
    assert429(await req(srv, 'GET', rooms, { auth: srv.keyAuth }));
    // the right credential from another address is not locked out
    assertStatus(await req(srv, 'GET', rooms, { from: '127.0.0.2', auth: srv.accountAuth }), 200);
    assertStatus(await req(srv, 'GET', rooms, { from: '127.0.0.2', auth: srv.keyAuth }), 200);
    // requests without credentials are not guesses: 401, not counted, not 429
    assert401(await req(srv, 'GET', rooms, { from: '127.0.0.2' }));
    assertExit0(srv, await stop(srv));
  });

  it('a credential over its limit: refused from addresses that failed with it, not from others', async () => {
    const srv = await start({ args: ['--access-log', 'off', '--auth-fail-limit', '5'] });
    const wrong = basic(srv.account.sid, 'e'.repeat(32));
    // a guesser spread over addresses: 127.0.0.1 uses up the credential's budget ...
    for (let i = 0; i < 5; i++) assert401(await req(srv, 'GET', rooms, { auth: wrong }));
    // ... a fresh address gets one guess, then is refused for this credential (12 s)
    assert401(await req(srv, 'GET', rooms, { from: '127.0.0.3', auth: wrong }));
    assert429(await req(srv, 'GET', rooms, { from: '127.0.0.3', auth: wrong }));
    assert429(await req(srv, 'GET', rooms, { from: '127.0.0.3', auth: srv.accountAuth }));
    // other credentials from that address are fine
    assertStatus(await req(srv, 'GET', rooms, { from: '127.0.0.3', auth: srv.keyAuth }), 200);
    // the owner, from an address without failures, gets in with the right secret
    assertStatus(await req(srv, 'GET', rooms, { from: '127.0.0.4', auth: srv.accountAuth }), 200);
    assertStatus(await req(srv, 'GET', rooms, { from: '127.0.0.4', auth: srv.accountAuth }), 200);
    assertExit0(srv, await stop(srv));
  });

  it('wrong key secrets are limited the same way; other keys of the account keep working', async () => {
    const srv = await start({ args: ['--access-log', 'off', '--auth-fail-limit', '5'] });
    const other = cliJson(srv.cli(['key', 'create', '--account', srv.account.sid]));
    const wrong = basic(srv.key.sid, 'x'.repeat(32));
    const res = [];
    for (let i = 0; i < 8; i++) res.push(await req(srv, 'GET', rooms, { auth: wrong }));
    assert.deepEqual(res.map((r) => r.status), [401, 401, 401, 401, 401, 429, 429, 429]);
    assert429(res[7]);
    assertStatus(await req(srv, 'GET', rooms, { from: '127.0.0.2', auth: basic(other.sid, other.secret) }), 200);
    assertStatus(await req(srv, 'GET', rooms, { from: '127.0.0.5', auth: srv.keyAuth }), 200);
    assertExit0(srv, await stop(srv));
  });

  it('--auth-fail-limit 0 turns the limit off; ROOMGATE_AUTH_FAIL_LIMIT sets it', async () => {
    const off = await start({ args: ['--access-log', 'off', '--auth-fail-limit', '0'] });
    const wrong = basic(off.account.sid, '0'.repeat(32));
    const res = await flood(200, 8, () => req(off, 'GET', rooms, { auth: wrong }));
    assert.ok(res.every((r) => r.status === 401));
    assertExit0(off, await stop(off));

    const env = await start({ args: ['--access-log', 'off'], env: { ROOMGATE_AUTH_FAIL_LIMIT: '2' } });
    const w2 = basic(env.account.sid, '0'.repeat(32));
    const st = [];
    for (let i = 0; i < 3; i++) st.push((await req(env, 'GET', rooms, { auth: w2 })).status);
    assert.deepEqual(st, [401, 401, 429]);
    assertExit0(env, await stop(env));
  });

  it('bad values are refused at startup', () => {
    for (const [flag, v] of [['--auth-fail-limit', '-1'], ['--auth-fail-limit', 'ten'], ['--playback-rate', '1000001'], ['--mint-rate', ''], ['--anon-audit-rows', '1.5']]) {
      const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', '/nonexistent-roomgate', flag, v], { encoding: 'utf8', timeout: STARTUP_MS });
      assert.equal(r.status, 2, `${flag} ${v}: ${r.stderr}`);
      assert.match(r.stderr, /rate limit option/);
    }
  });
});

describe('token minting per key', () => {
  it('--mint-rate 5 (a minute): the 6th token in a burst is 429; another key is not affected', async () => {
    const srv = await start({ args: ['--access-log', 'off', '--mint-rate', '5'] });
    const other = cliJson(srv.cli(['key', 'create', '--account', srv.account.sid]));
    const body = JSON.stringify({ identity: 'alice' });
    const st = [];
    for (let i = 0; i < 7; i++) {
      const r = await req(srv, 'POST', '/v1/AccessTokens', { auth: srv.keyAuth, body });
      st.push(r.status);
      if (r.status === 429) assert429(r);
    }
    assert.deepEqual(st, [200, 200, 200, 200, 200, 429, 429]);
    // GET /token and /get-token count against the same key
    assert429(await req(srv, 'GET', '/token?identity=bob', { auth: srv.keyAuth }));
    assert429(await req(srv, 'GET', '/get-token', { auth: srv.keyAuth }));
    // per key, not per address or account
    assertStatus(await req(srv, 'POST', '/v1/AccessTokens', { auth: basic(other.sid, other.secret), body }), 200);
    assertExit0(srv, await stop(srv));
  });
});

describe('/sec_rec and /media per address', () => {
  const RE = 'RE' + '0123456789abcdef'.repeat(2);
  it('--playback-rate 5 (a minute): 429 past the burst, per address', async () => {
    const srv = await start({ args: ['--access-log', 'off', '--playback-rate', '5'] });
    const st = [];
    for (let i = 0; i < 8; i++) st.push(await req(srv, 'GET', `/sec_rec?recording_sid=${RE}`));
    assert.deepEqual(st.map((r) => r.status), [401, 401, 401, 401, 401, 429, 429, 429]);
    assert429(st[7]);
    const m = await req(srv, 'GET', `/media/${RE}?exp=1&nonce=x&sig=y`);
    assert429(m);
    // another address has its own budget
    assertError(await req(srv, 'GET', `/media/${RE}?exp=1&nonce=x&sig=y`, { from: '127.0.0.2' }), 403, 20403);
    assertError(await req(srv, 'GET', `/sec_rec?recording_sid=${RE}`, { from: '127.0.0.2' }), 401, 20003);
    assertExit0(srv, await stop(srv));
  });

  it('300 anonymous /sec_rec and 60 forged /media links: a few rows each, the rest in one summary row per address; all accounted for', async () => {
    // 10 own rows a minute (the default); a playback limit the flood passes
    const srv = await start({ args: ['--access-log', 'off', '--playback-rate', '150'] });
    const N1 = 200, N2 = 100;
    const res = await flood(N1 + N2, 12, (i) => req(srv, 'GET', `/sec_rec?recording_sid=${RE}`, {
      from: i < N1 ? '127.0.0.1' : '127.0.0.2',
      headers: { 'User-Agent': `attacker-chosen-${i}` },
    }));
    assert.ok(res.every((r) => r.status === 401 || r.status === 429), 'refused');
    assert.ok(res.some((r) => r.status === 429), 'the burst hit the playback limit');
    // forged /media links from a third address: same budget, same summary
    const N3 = 60;
    const media = await flood(N3, 6, (i) => req(srv, 'GET', `/media/${RE}?exp=1&nonce=n${i}&sig=forged`, {
      from: '127.0.0.3', headers: { 'User-Agent': `forger-${i}` },
    }));
    assert.ok(media.every((r) => r.status === 403 && r.json.code === 20403), 'a forged link is 403, logged or not');
    const dataDir = srv.dataDir;
    assertExit0(srv, await stop(srv, { keepData: true })); // the last summary rows are written at exit
    try {
      const rows = srv.cli(['audit', 'export']).split('\n').filter(Boolean).map((l) => JSON.parse(l));
      for (const [ip, n, action] of [['127.0.0.1', N1, 'sec_rec'], ['127.0.0.2', N2, 'sec_rec'], ['127.0.0.3', N3, 'media']]) {
        const own = rows.filter((r) => r.client_ip === ip && r.action === action);
        const summ = rows.filter((r) => r.client_ip === ip && r.action === 'anon_summary');
        assert.ok(own.length >= 1 && own.length <= 12, `${ip}: ${own.length} rows of their own`);
        assert.ok(summ.length >= 1 && summ.length <= 2, `${ip}: ${summ.length} summary rows (one a minute)`);
        const counted = summ.reduce((a, r) => a + Number(/^(\d+) anonymous/.exec(r.reason)[1]), 0);
        assert.equal(own.length + counted, n, `${ip}: every request is in the log, one way or the other`);
        for (const r of summ) {
          assert.equal(r.outcome, 'refused');
          assert.ok(!r.user_agent, 'a summary row carries no attacker-chosen User-Agent');
        }
      }
      assert.ok(rows.length <= 3 * 12 + 6, `${rows.length} rows for ${N1 + N2 + N3} anonymous requests`);
      assert.equal(cliJson(srv.cli(['audit', 'verify'])).ok, true);
    } finally {
      (await import('node:fs')).rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
