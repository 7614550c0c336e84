// The route table's flags (`roomgate routes --flags`, http/router.h) say what
// each route does, and each module's routes come from its own file
// (http/module.h): every route marked auth answers 401 without credentials,
// every other one does not; the route marked ws upgrades to a WebSocket; the
// ones marked loop answer through h2o themselves; and
// the flagged list is the plain list with a module name on each line.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';
import { BIN, startServer } from './lib/server.js';
import { randomSid } from './lib/jwt.js';

const lines = (args) => execFileSync(BIN, args, { encoding: 'utf8' }).split('\n').filter((l) => l !== '');

const flagged = lines(['routes', '--flags']).map((l) => {
  const m = /^([A-Z]+) (\/\S*) ([a-z]+)(?: ([a-z,]+))?$/.exec(l);
  assert.ok(m, `unexpected line from roomgate routes --flags: ${JSON.stringify(l)}`);
  return { method: m[1], pattern: m[2], module: m[3], flags: new Set(m[4] ? m[4].split(',') : []) };
});

// A path for the pattern: the server's own account, well-formed sids elsewhere.
function pathOf(pattern, account) {
  return pattern.replace(/\{([A-Za-z]+)\}/g, (_, name) => {
    if (name === 'AC') return account;
    if (name === 'SK' || name === 'RE') return randomSid(name);
    return 'x' + randomSid('').slice(0, 8);
  });
}

describe('roomgate routes --flags', () => {
  it('is the plain list, each line with its module and flags', () => {
    assert.deepEqual(flagged.map((r) => `${r.method} ${r.pattern}`), lines(['routes']));
    for (const r of flagged) for (const f of r.flags) assert.ok(['auth', 'body', 'ws', 'loop'].includes(f), f);
  });

  it('names the modules that own the routes', () => {
    const owner = (method, pattern) => flagged.find((r) => r.method === method && r.pattern === pattern)?.module;
    assert.equal(owner('GET', '/healthz'), 'health');
    assert.equal(owner('POST', '/v1/Rooms'), 'rooms');
    assert.equal(owner('GET', '/v1/signal'), 'signal');
    assert.equal(owner('PATCH', '/v1/Recordings/Uploads/{id}'), 'playback');
    assert.equal(owner('GET', '/v1/turn'), 'turn');
  });

  it('marks the uploads as the routes that take large bodies', () => {
    const body = flagged.filter((r) => r.flags.has('body')).map((r) => `${r.method} ${r.pattern}`);
    assert.deepEqual(body.sort(), ['PATCH /v1/Recordings/Uploads/{id}', 'POST /v1/Recordings']);
  });

  // the routes that answer through h2o themselves (a stream, a redirect),
  // not through rg_reply: never run on a fiber (http/fiber.h, router.h)
  it('marks the streamed and redirected answers as the routes kept on the loop\'s stack', () => {
    const loop = flagged.filter((r) => r.flags.has('loop')).map((r) => `${r.method} ${r.pattern}`);
    assert.deepEqual(loop.sort(), ['GET /', 'GET /media/{RE}']);
  });

  it('an unknown argument after --flags is a usage error (exit 2)', () => {
    assert.throws(() => execFileSync(BIN, ['routes', '--flags', '--bogus'], { stdio: 'pipe' }),
      (e) => e.status === 2 && /unexpected argument --bogus/.test(String(e.stderr)));
  });
});

describe('route flags hold on a running server', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { assert.equal(await srv.stop(), 0); });

  it('auth: 401 without credentials; no auth flag: never 401', async () => {
    const wrong = [];
    for (const r of flagged) {
      if (r.flags.has('ws')) continue;
      const res = await srv.request(r.method, pathOf(r.pattern, srv.account));
      if ((res.status === 401) !== r.flags.has('auth')) wrong.push(`${r.method} ${r.pattern}: ${res.status}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('ws: those routes upgrade to a WebSocket', async () => {
    const ws = flagged.filter((r) => r.flags.has('ws')).map((r) => r.pattern);
    assert.deepEqual(ws.sort(), ['/signaling', '/v1/signal']);
    for (const p of ws) {
      const sock = new WebSocket(srv.url.replace(/^http/, 'ws') + p);
      await new Promise((resolve, reject) => { sock.once('open', resolve); sock.once('error', reject); });
      sock.close();
      await new Promise((resolve) => sock.once('close', resolve));
    }
  });
});
