// Issue 13 Operations item 1: GET /metrics on --metrics-listen, in the
// Prometheus text format.  Counters move by exactly what the test did;
// promtool (Debian's prometheus package, scripts/deps.sh) accepts the text;
// /metrics is not on the API listener; without the flag nothing listens.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { startServer, BIN, UNDER_VALGRIND } from './lib/server.js';
import { mint, validate } from './lib/check.js';
import { join, tok } from './lib/signal.js';

/** Scrapes srv's metrics: {text, samples: Map('name{labels}' -> number)}. */
async function scrape(srv) {
  const res = await fetch(srv.metricsUrl);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    samples.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return { text, samples };
}
const val = (s, key) => s.samples.get(key) ?? 0;
/** How much each key moved between two scrapes. */
const moved = (a, b, keys) => Object.fromEntries(keys.map((k) => [k, val(b, k) - val(a, k)]));
/**
 * A request is counted when its response is finished, which can be just
 * after the client has read it: scrape until the counters moved by exactly
 * `expected` (or the deadline passes) and return that scrape. A counter that
 * moves too far never matches, so the caller's deepEqual still fails on it.
 */
async function scrapeUntil(srv, before, expected, test = (s) => isDeepStrictEqual(moved(before, s, Object.keys(expected)), expected)) {
  const deadline = Date.now() + (UNDER_VALGRIND ? 60000 : 10000);
  for (;;) {
    const s = await scrape(srv);
    if (test(s) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const REQ = (route, method, status) => `roomgate_http_requests_total{route="${route}",method="${method}",status="${status}"}`;
const VAL = (format, outcome) => `roomgate_tokens_validated_total{format="${format}",outcome="${outcome}"}`;
const MINT = (format, outcome) => `roomgate_tokens_minted_total{format="${format}",outcome="${outcome}"}`;
const WS = 'roomgate_websocket_connections{protocol="roomgate"}';
const JOINS = (o) => `roomgate_signaling_joins_total{outcome="${o}"}`;
const MSGS = (t) => `roomgate_signaling_messages_total{type="${t}"}`;

describe('/metrics', () => {
  let srv;
  before(async () => { srv = await startServer({ threads: 2, args: ['--access-log', 'off', '--metrics-listen', '127.0.0.1:0'] }); });
  after(async () => { if (srv) assert.equal(await srv.stop(), 0); });

  it('is announced on stdout and served on its own listener only', async () => {
    assert.match(srv.metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.notEqual(new URL(srv.metricsUrl).port, String(srv.port));
    assert.match(srv.stdout(), /roomgate: metrics on http:\/\/127\.0\.0\.1:\d+\/metrics\nroomgate: listening on /);
    const onApi = await srv.request('GET', '/metrics');
    assert.equal(onApi.status, 404, 'not on the API listener');
    const other = await fetch(new URL('/healthz', srv.metricsUrl));
    assert.equal(other.status, 404, 'the metrics listener serves /metrics only');
    await other.text();
  });

  it('counters move by exactly what was done', async () => {
    const before = await scrape(srv);
    const t = await mint(srv, { identity: 'alice', room: 'm-1' });
    await mint(srv, { identity: 'bob', room: 'm-1', kind: 'videosdk' });
    assert.equal((await validate(srv, t.token)).json.valid, true);
    assert.equal((await validate(srv, t.token)).json.valid, true); // the cached answer counts too
    const bad = await validate(srv, t.token.slice(0, -3) + (t.token.endsWith('AAA') ? 'BBB' : 'AAA'));
    assert.equal(bad.json.code, 20107);
    assert.equal((await srv.request('GET', '/no/such/thing')).status, 404);
    assert.equal((await srv.request('GET', '/v1/Rooms/RM00000000000000000000000000000000', { auth: srv.keyAuth })).status, 404);
    const a = await join(srv, tok(srv, 'carol', 'm-2'));
    assert.equal(a.joined.type, 'joined');
    const refused = await join(srv, 'not-a-token');
    assert.equal(refused.joined.type, 'error');
    await refused.c.closed;
    const expected = {
      [REQ('/v1/AccessTokens', 'POST', '200')]: 2, [REQ('/v1/Accounts/{AC}/Tokens/validate', 'POST', '200')]: 3,
      [REQ('unmatched', 'GET', '404')]: 1, [REQ('/v1/Rooms/{room}', 'GET', '404')]: 1,
      [MINT('twilio', 'minted')]: 1, [MINT('videosdk', 'minted')]: 1, [MINT('twilio', 'refused')]: 0,
      [VAL('twilio', 'valid')]: 2, [VAL('twilio', '20107')]: 1, [VAL('videosdk', 'valid')]: 0,
      [JOINS('joined')]: 1, [JOINS('refused')]: 1, [JOINS('waiting')]: 0, [MSGS('join')]: 2,
      [WS]: 1, // carol is still connected; the refused one is gone
      // the durations: one observation per request, in the route's histogram
      ['roomgate_http_request_duration_seconds_count{route="/v1/AccessTokens"}']: 2,
    };
    const during = await scrapeUntil(srv, before, expected);
    assert.deepEqual(moved(before, during, Object.keys(expected)), expected);
    const H = (route, s) => `roomgate_http_request_duration_seconds_${s}{route="${route}"}`;
    assert.equal(val(during, `roomgate_http_request_duration_seconds_bucket{route="/v1/AccessTokens",le="+Inf"}`),
      val(during, H('/v1/AccessTokens', 'count')));
    // upgrade requests are requests too (101), counted when the socket closes
    await a.c.close();
    const after = await scrapeUntil(srv, before, {}, (x) => val(x, WS) === 0);
    assert.equal(val(after, WS), 0);
    assert.ok(val(after, 'roomgate_store_operation_duration_seconds_count{operation="read"}') > 0, 'store reads are timed');
    // no path, SID or identity ever becomes a label
    for (const secret of ['RM00000000000000000000000000000000', '/no/such/thing', 'carol', 'alice', srv.key.sid, srv.account.sid]) {
      assert.ok(!after.text.includes(secret), `${secret} is not in the metrics`);
    }
    assert.match(after.text, /^roomgate_build_info\{version="[^"]+",commit="(?:[0-9a-f]{7,40}|unknown)"\} 1$/m);
  });

  it('promtool check metrics reports no problem', async () => {
    const { text } = await scrape(srv);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.error, undefined, 'promtool runs (scripts/deps.sh test installs prometheus)');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal((r.stdout + r.stderr).trim(), '', 'no lint findings');
    // and promtool does find problems (the check is not vacuous)
    const broken = spawnSync('promtool', ['check', 'metrics'], { input: 'roomgate_bad_total 1\n', encoding: 'utf8' });
    assert.notEqual((broken.stdout + broken.stderr).trim(), '');
  });
});

describe('/metrics: rate-limit refusals', () => {
  it('a refused mint counts as rate_limited{limit="mint"} and minted{outcome="refused"}', async () => {
    const srv = await startServer({ args: ['--access-log', 'off', '--metrics-listen', '127.0.0.1:0', '--mint-rate', '1'] });
    try {
      const before = await scrape(srv);
      await mint(srv, { identity: 'alice', room: 'rl' });
      const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json: { identity: 'bob', room: 'rl' } });
      assert.equal(res.status, 429, res.text);
      const expected = {
        'roomgate_rate_limited_total{limit="mint"}': 1, 'roomgate_rate_limited_total{limit="auth"}': 0,
        [MINT('twilio', 'minted')]: 1, [MINT('twilio', 'refused')]: 1, [REQ('/v1/AccessTokens', 'POST', '429')]: 1,
      };
      const after = await scrapeUntil(srv, before, expected);
      assert.deepEqual(moved(before, after, Object.keys(expected)), expected);
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });
});

/** A kept-alive HTTP/1.1 connection that has had one answer (so the
 *  server has certainly accepted it); close() ends it. */
function openConn(srv) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(srv.port, '127.0.0.1', () => sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    let got = '';
    sock.on('data', (d) => {
      got += d;
      if (/\r\n\r\n/.test(got) && got.startsWith('HTTP/1.1 200')) resolve({ close: () => new Promise((r) => { sock.once('close', r); sock.end(); }) });
    });
    sock.on('error', reject);
  });
}
const CONNS = (loop) => `roomgate_http_connections{loop="${loop}"}`;

// http/spread.h: whichever loop accepts, a new connection goes to the loop
// that holds the fewest, so connections opened one after another alternate
// between two loops (left to the kernel, idle loops took them all on one).
describe('/metrics: connections shared out among the loops', () => {
  it('roomgate_http_connections{loop} splits kept-alive connections evenly, and falls back when they close', async () => {
    const srv = await startServer({ threads: 2, args: ['--access-log', 'off', '--metrics-listen', '127.0.0.1:0'] });
    try {
      const even = (n) => (s) => val(s, CONNS(0)) === n && val(s, CONNS(1)) === n;
      const conns = [];
      for (let i = 0; i < 6; i++) conns.push(await openConn(srv));
      let s = await scrapeUntil(srv, null, null, even(3));
      assert.deepEqual([val(s, CONNS(0)), val(s, CONNS(1))], [3, 3], s.text.split('\n').filter((l) => l.startsWith('roomgate_http_conn')).join('\n'));
      assert.match(s.text, /# TYPE roomgate_http_connections gauge/);
      // the loop left with fewer after some close gets the next ones
      await Promise.all(conns.splice(0, 6).filter((_, i) => i % 2 === 0).map((c) => c.close()));
      s = await scrapeUntil(srv, null, null, (x) => val(x, CONNS(0)) + val(x, CONNS(1)) === 3);
      const left = [val(s, CONNS(0)), val(s, CONNS(1))];
      const need = Math.abs(left[0] - left[1]);
      for (let i = 0; i < need + 2; i++) conns.push(await openConn(srv));
      const per = (3 + need + 2) / 2;
      s = await scrapeUntil(srv, null, null, even(per));
      assert.deepEqual([val(s, CONNS(0)), val(s, CONNS(1))], [per, per], `after closing three: ${left}`);
      await Promise.all(conns.map((c) => c.close()));
      s = await scrapeUntil(srv, null, null, even(0));
      assert.deepEqual([val(s, CONNS(0)), val(s, CONNS(1))], [0, 0]);
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });
});

describe('without --metrics-listen', () => {
  it('nothing else listens, and /metrics is 404 on the API listener', async () => {
    const srv = await startServer({ args: ['--access-log', 'off'] });
    try {
      assert.equal(srv.metricsUrl, undefined);
      assert.doesNotMatch(srv.stdout(), /metrics/);
      assert.equal((await srv.request('GET', '/metrics')).status, 404);
      // the process holds one listening socket: the API's
      const fds = spawnSync('ss', ['-Hltnp'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(`pid=${srv.proc.pid},`));
      assert.equal(fds.length, 1, fds.join('\n'));
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });

  it('--metrics-listen must be HOST:PORT', () => {
    const r = spawnSync(BIN, ['serve', '--metrics-listen', 'nope'], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--metrics-listen must be HOST:PORT/);
  });
});
