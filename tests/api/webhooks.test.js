// Issue 13, status callbacks (docs/webhooks.md): Twilio's room and
// participant events, signed with X-Twilio-Signature so that the unchanged
// `twilio` helper accepts them, delivered from a durable outbox in order
// per room, retried on 5xx, given up on other 4xx, surviving kill -9; the
// account's default callback (REST and CLI); the address rules (SSRF).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, REPO_ROOT, UNDER_VALGRIND } from './lib/server.js';
import { assertExit0 } from './lib/check.js';
import { join, tok } from './lib/signal.js';
import { startReceiver } from './lib/hooks.js';
import { startRecServer, upload, patterned } from './lib/rec.js';

const EV_RE = /^EV[0-9a-f]{32}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const FAST = ['--access-log', 'off', '--webhook-allow-private', '--webhook-retry-base', '50'];

const roomIs = (name) => (e) => e.params.RoomName === name;

describe('status callbacks', () => {
  let srv;
  let rx;
  before(async () => {
    srv = await startServer({ threads: 2, args: FAST });
    rx = await startReceiver(srv.account.auth_token);
  });
  after(async () => {
    try {
      if (srv) assertExit0(srv, await srv.stop());
    } finally {
      if (rx) await rx.close();
    }
  });
  const rest = (method, p, form, auth = srv.keyAuth) => srv.request(method, p, { auth, form });

  it('reports a call to the account default: created, 2 connected, 2 disconnected, ended, in order, each accepted by twilio.webhook()', async () => {
    const set = await rest('POST', '/v1/StatusCallback', { StatusCallback: `${rx.base}/hook` });
    assert.equal(set.status, 200, set.text);
    assert.deepEqual(set.json, { account_sid: srv.account.sid, status_callback: `${rx.base}/hook`, status_callback_method: 'POST',
      status_callback_format: 'twilio', status_callback_key: null });
    const got = await rest('GET', '/v1/StatusCallback');
    assert.deepEqual(got.json, set.json);

    const a = await join(srv, tok(srv, 'alice', 'call-1')); // auto-created by the join
    assert.equal(a.joined.type, 'joined', JSON.stringify(a.joined));
    const b = await join(srv, tok(srv, 'bob', 'call-1'));
    assert.equal(b.joined.type, 'joined', JSON.stringify(b.joined));
    await a.c.close();
    await b.c.close();
    await rx.seen((e) => roomIs('call-1')(e) && e.params.StatusCallbackEvent === 'participant-disconnected', 2);
    const done = await rest('POST', '/v1/Rooms/call-1', { Status: 'completed' });
    assert.equal(done.status, 200, done.text);

    const evs = await rx.seen(roomIs('call-1'), 6, 'call events');
    assert.equal(evs.length, 6, JSON.stringify(evs));
    assert.deepEqual(evs.map((e) => e.params.StatusCallbackEvent), ['room-created', 'participant-connected',
      'participant-connected', 'participant-disconnected', 'participant-disconnected', 'room-ended']);
    assert.deepEqual(evs.map((e) => e.params.SequenceNumber), ['0', '1', '2', '3', '4', '5']);
    assert.deepEqual(evs.map((e) => e.params.ParticipantIdentity), [undefined, 'alice', 'bob', 'alice', 'bob', undefined]);
    const room = a.joined.room.sid;
    for (const e of evs) {
      assert.equal(e.path, '/hook');
      assert.equal(e.params.AccountSid, srv.account.sid);
      assert.equal(e.params.RoomSid, room);
      assert.equal(e.params.RoomType, 'group');
      assert.match(e.params.Timestamp, ISO_RE);
      assert.match(e.eventId, EV_RE);
    }
    assert.equal(new Set(evs.map((e) => e.eventId)).size, 6, 'one id per event');
    assert.equal(evs[0].params.RoomStatus, 'in-progress');
    assert.equal(evs[5].params.RoomStatus, 'completed');
    assert.match(evs[5].params.RoomDuration, /^\d+$/);
    assert.equal(evs[1].params.ParticipantSid, a.joined.participant.sid);
    assert.equal(evs[1].params.ParticipantStatus, 'connected');
    assert.equal(evs[3].params.ParticipantSid, a.joined.participant.sid);
    assert.equal(evs[3].params.ParticipantStatus, 'disconnected');
    assert.match(evs[3].params.ParticipantDuration, /^\d+$/);
    assert.equal(evs[1].params.ParticipantDuration, undefined);
  });

  it('signs for the room\'s own StatusCallback with GET: the parameters in the signed query', async () => {
    const made = await rest('POST', '/v1/Rooms', { UniqueName: 'get-1', StatusCallback: `${rx.base}/get-hook?tag=x`, StatusCallbackMethod: 'GET' });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.json.status_callback_method, 'GET');
    const [e] = await rx.seen(roomIs('get-1'), 1);
    assert.equal(e.method, 'GET');
    assert.equal(e.params.tag, 'x');
    assert.equal(e.params.StatusCallbackEvent, 'room-created');
    assert.equal(e.params.RoomSid, made.json.sid);
    const bad = await rest('POST', '/v1/Rooms', { UniqueName: 'get-2', StatusCallback: `${rx.base}/get-hook`, StatusCallbackMethod: 'PUT' });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.json.code, 21603);
  });

  it('retries 503 with the same event id until 200, then sends the room\'s next event', async () => {
    rx.plan('flaky', [503, 503]);
    const made = await rest('POST', '/v1/Rooms', { UniqueName: 'flaky-1', StatusCallback: `${rx.base}/plan/flaky` });
    assert.equal(made.status, 201, made.text);
    const done = await rest('POST', '/v1/Rooms/flaky-1', { Status: 'completed' });
    assert.equal(done.status, 200, done.text);
    const evs = await rx.seen(roomIs('flaky-1'), 4);
    assert.deepEqual(evs.map((e) => e.params.StatusCallbackEvent), ['room-created', 'room-created', 'room-created', 'room-ended']);
    assert.equal(new Set(evs.slice(0, 3).map((e) => e.eventId)).size, 1, 'one event id for the three attempts');
    assert.notEqual(evs[3].eventId, evs[0].eventId);
  });

  it('does not retry a 400: the room\'s next event follows the single attempt', async () => {
    rx.plan('reject', [400, 400]);
    const made = await rest('POST', '/v1/Rooms', { UniqueName: 'reject-1', StatusCallback: `${rx.base}/plan/reject` });
    assert.equal(made.status, 201, made.text);
    await rest('POST', '/v1/Rooms/reject-1', { Status: 'completed' });
    const evs = await rx.seen(roomIs('reject-1'), 2);
    assert.deepEqual(evs.map((e) => e.params.StatusCallbackEvent), ['room-created', 'room-ended']);
  });

  it('a receiver that never answers stalls neither the API nor other receivers', async () => {
    const held = [];
    const tarpit = net.createServer((s) => held.push(s)); // accepts, never answers
    await new Promise((r) => tarpit.listen(0, '127.0.0.1', r));
    try {
      const slow = `http://127.0.0.1:${tarpit.address().port}/hook`;
      for (let i = 0; i < 10; i++) {
        const res = await rest('POST', '/v1/Rooms', { UniqueName: `slow-${i}`, StatusCallback: slow });
        assert.equal(res.status, 201, res.text);
      }
      const ok = await rest('POST', '/v1/Rooms', { UniqueName: 'beside-slow', StatusCallback: `${rx.base}/hook` });
      assert.equal(ok.status, 201, ok.text);
      await rx.seen(roomIs('beside-slow'), 1);
      assert.ok(held.length >= 1, 'the slow receiver holds connections while the other one is served');
    } finally {
      for (const s of held) s.destroy();
      await new Promise((r) => tarpit.close(r));
    }
  });

  it('refuses callback URLs that are not http(s) (400), and a standard key cannot change the default', async () => {
    for (const u of ['ftp://example.com/x', 'file:///etc/passwd', 'gopher://x', 'http://', 'http://a b/']) {
      const res = await rest('POST', '/v1/Rooms', { StatusCallback: u });
      assert.equal(res.status, 400, `${u}: ${res.text}`);
      const acc = await rest('POST', '/v1/StatusCallback', { StatusCallback: u });
      assert.equal(acc.status, 400, `${u}: ${acc.text}`);
    }
    const std = JSON.parse(srv.cli(['key', 'create', '--account', srv.account.sid, '--type', 'standard']));
    const auth = 'Basic ' + Buffer.from(`${std.sid}:${std.secret}`).toString('base64');
    // the server learns of a key the CLI made from the store's change watcher
    while ((await rest('GET', '/v1/StatusCallback', undefined, auth)).status === 401) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await rest('GET', '/v1/StatusCallback', undefined, auth)).status, 200, 'a standard key may read it');
    const before = (await rest('GET', '/v1/StatusCallback')).json;
    const res = await rest('POST', '/v1/StatusCallback', { StatusCallback: 'https://example.com/' }, auth);
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.code, 20403, res.text);
    assert.deepEqual((await rest('GET', '/v1/StatusCallback')).json, before, 'unchanged');
  });
});

describe('status callbacks: address rules (no --webhook-allow-private)', () => {
  let srv;
  let rx;
  before(async () => {
    srv = await startServer({ threads: 1, args: ['--access-log', 'off', '--metrics-listen', '127.0.0.1:0', '--webhook-retry-base', '50'] });
    rx = await startReceiver(srv.account.auth_token);
  });
  after(async () => {
    try {
      if (srv) assertExit0(srv, await srv.stop());
    } finally {
      if (rx) await rx.close();
    }
  });

  async function failed() {
    const text = await (await fetch(srv.metricsUrl)).text();
    const m = /^roomgate_webhook_deliveries_total\{outcome="failed"\} (\d+)$/m.exec(text);
    return m ? Number(m[1]) : 0;
  }

  it('gives up loopback, private and link-local targets (also by name) without connecting', async () => {
    const port = new URL(rx.base).port;
    const targets = [`${rx.base}/hook`, `http://localhost:${port}/hook`, `http://[::1]:${port}/hook`,
      'http://169.254.169.254/latest/meta-data', 'http://10.1.2.3/x', 'http://[::ffff:127.0.0.1]:1/x'];
    for (const [i, u] of targets.entries()) {
      const res = await srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, form: { UniqueName: `ssrf-${i}`, StatusCallback: u } });
      assert.equal(res.status, 201, res.text);
    }
    for (;;) { // each given up: counted, and an audit row
      if (await failed() >= targets.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await failed(), targets.length);
    assert.equal(rx.events.length, 0, 'nothing reached the loopback receiver');
    const audit = execFileSync('sqlite3', [path.join(srv.dataDir, 'roomgate.db'),
      "SELECT outcome || ' ' || reason FROM audit_log WHERE action = 'webhook'"], { encoding: 'utf8' });
    assert.equal((audit.match(/^failed EV[0-9a-f]{32} room-created: loopback, private or link-local address refused$/gm) || []).length, targets.length, audit);
  });
});

describe('status callbacks: durable outbox', () => {
  it('kill -9 with undelivered events: after the restart every one arrives, with the ids first tried', async () => {
    let rx;
    let srv = await startServer({ threads: 1, args: FAST });
    try {
      rx = await startReceiver(srv.account.auth_token);
      rx.plan('down', Array(1000).fill(503)); // down until the plan is replaced
      const cb = `${rx.base}/plan/down`;
      for (const name of ['crash-1', 'crash-2']) {
        const res = await srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, form: { UniqueName: name, StatusCallback: cb } });
        assert.equal(res.status, 201, res.text);
        await srv.request('POST', `/v1/Rooms/${name}`, { auth: srv.keyAuth, form: { Status: 'completed' } });
      }
      const tried = await rx.seen(roomIs('crash-2'), 1);
      const firstId = tried[0].eventId;
      assert.equal(await srv.stop({ signal: 'SIGKILL', expect: 'SIGKILL', keepData: true }), 'signal:SIGKILL');
      rx.plan('down', []);
      srv = await startServer({ threads: 1, args: FAST, dataDir: srv.dataDir, account: srv.account, key: srv.key });
      for (const name of ['crash-1', 'crash-2']) {
        const evs = await rx.seen((e) => roomIs(name)(e) && e.params.StatusCallbackEvent === 'room-ended', 1, `${name} room-ended`);
        assert.equal(evs.length, 1);
      }
      const c2 = rx.events.filter(roomIs('crash-2'));
      assert.equal(c2[0].eventId, firstId);
      assert.ok(c2.every((e, i) => i === 0 || e.eventId === firstId || e.params.StatusCallbackEvent === 'room-ended'));
    } finally {
      try {
        assertExit0(srv, await srv.stop());
      } finally {
        if (rx) await rx.close();
      }
    }
  });
});

describe('status callbacks: accounts made before auth tokens were sealed', () => {
  it('hold their events until `account seal-token` is given the right token, then deliver them signed', async () => {
    let rx;
    const srv = await startServer({ threads: 1, args: FAST });
    try {
      rx = await startReceiver(srv.account.auth_token);
      // what an account made by an older roomgate looks like: a hash only
      execFileSync('sqlite3', [path.join(srv.dataDir, 'roomgate.db'), 'UPDATE accounts SET token_sealed = NULL']);
      const set = JSON.parse(srv.cli(['account', 'callback', '--account', srv.account.sid, '--url', `${rx.base}/hook`]));
      assert.deepEqual(set, { sid: srv.account.sid, status_callback: `${rx.base}/hook`, status_callback_method: 'POST',
        status_callback_format: 'twilio', status_callback_key: '' });
      const made = await srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, form: { UniqueName: 'old-1' } });
      assert.equal(made.status, 201, made.text);
      for (;;) { // waiting, retried: the dispatcher says why
        if (/auth token is not sealed/.test(srv.stderr())) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(rx.events.length, 0);
      assert.throws(() => srv.cli(['account', 'seal-token', '--account', srv.account.sid], { input: '0'.repeat(32) + '\n' }),
        (e) => e.status === 1 && /not the account's auth token/.test(e.stderr));
      const sealed = JSON.parse(srv.cli(['account', 'seal-token', '--account', srv.account.sid], { input: `${srv.account.auth_token}\n` }));
      assert.deepEqual(sealed, { sid: srv.account.sid, token_sealed: true });
      const [e] = await rx.seen(roomIs('old-1'), 1);
      assert.equal(e.params.StatusCallbackEvent, 'room-created');
      assert.equal(e.params.RoomSid, made.json.sid);
    } finally {
      try {
        assertExit0(srv, await srv.stop());
      } finally {
        if (rx) await rx.close();
      }
    }
  });
});

describe('status callbacks: recording-completed', () => {
  it('follows its room\'s events to the room\'s callback; a recording without a room goes to the account default', async () => {
    let rx;
    const srv = await startRecServer({ threads: 1, args: FAST });
    try {
      rx = await startReceiver(srv.account.auth_token);
      const room = await srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, form: { UniqueName: 'rec-room', StatusCallback: `${rx.base}/plan/rec` } });
      assert.equal(room.status, 201, room.text);
      const up = await upload(srv, patterned(1000), { query: { AllowedIdentities: 'alice', RoomSid: room.json.sid, Duration: 42 }, contentType: 'audio/wav' });
      assert.equal(up.status, 201, up.text);
      const evs = await rx.seen(roomIs('rec-room'), 2);
      assert.deepEqual(evs.map((e) => e.params.StatusCallbackEvent), ['room-created', 'recording-completed']);
      assert.deepEqual(evs.map((e) => e.params.SequenceNumber), ['0', '1']);
      const r = evs[1].params;
      assert.equal(r.RecordingSid, up.json.sid);
      assert.equal(r.RoomSid, room.json.sid);
      assert.equal(r.AccountSid, srv.account.sid);
      assert.equal(r.RecordingUri, `/v1/Recordings/${up.json.sid}`);
      assert.equal(r.Size, '1000');
      assert.equal(r.Duration, '42');
      assert.equal(r.Container, 'wav');
      assert.equal(r.Type, 'audio');
      assert.equal(evs[1].path, '/plan/rec');

      await srv.request('POST', '/v1/StatusCallback', { auth: srv.accountAuth, form: { StatusCallback: `${rx.base}/hook` } });
      const solo = await upload(srv, patterned(10), { query: { AllowedIdentities: 'alice' }, contentType: 'video/webm' });
      assert.equal(solo.status, 201, solo.text);
      const [e] = await rx.seen((x) => x.params.RecordingSid === solo.json.sid, 1);
      assert.equal(e.path, '/hook');
      assert.equal(e.params.RoomSid, '');
      assert.equal(e.params.Type, 'video');
      assert.equal(e.params.SequenceNumber, '0');
    } finally {
      try {
        assertExit0(srv, await srv.stop());
      } finally {
        if (rx) await rx.close();
      }
    }
  });
});

describe('status callbacks: giving up', () => {
  it('an event still failing after --webhook-max-age is given up: counted, an audit row, the room\'s next event follows', async () => {
    let rx;
    // the age counts from the second the event was recorded in; under
    // valgrind the first attempt alone can take most of 2 s
    const maxAge = UNDER_VALGRIND ? '6' : '2';
    const srv = await startServer({ threads: 1, args: [...FAST, '--webhook-max-age', maxAge, '--metrics-listen', '127.0.0.1:0'] });
    try {
      rx = await startReceiver(srv.account.auth_token);
      rx.plan('old', Array(1000).fill(503));
      const made = await srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, form: { UniqueName: 'old-ev', StatusCallback: `${rx.base}/plan/old` } });
      assert.equal(made.status, 201, made.text);
      await rx.seen(roomIs('old-ev'), 2); // retried at least once
      const metric = async (outcome) => {
        const m = new RegExp(`^roomgate_webhook_deliveries_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(await (await fetch(srv.metricsUrl)).text());
        return m ? Number(m[1]) : 0;
      };
      while (await metric('failed') === 0) await new Promise((r) => setTimeout(r, 100));
      rx.plan('old', []);
      // the room's queue moved on: an event recorded now is delivered
      await srv.request('POST', '/v1/Rooms/old-ev', { auth: srv.keyAuth, form: { Status: 'completed' } });
      const ended = await rx.seen((e) => roomIs('old-ev')(e) && e.params.StatusCallbackEvent === 'room-ended', 1);
      const created = rx.events.filter((e) => roomIs('old-ev')(e) && e.params.StatusCallbackEvent === 'room-created');
      assert.ok(created.length >= 2 && created.every((e) => e.eventId === created[0].eventId));
      assert.notEqual(ended[0].eventId, created[0].eventId);
      assert.equal(await metric('failed'), 1);
      assert.ok(await metric('retried') >= 1);
      const audit = execFileSync('sqlite3', [path.join(srv.dataDir, 'roomgate.db'),
        "SELECT outcome || ' ' || reason FROM audit_log WHERE action = 'webhook'"], { encoding: 'utf8' });
      // found old when it was due again, or when its last attempt failed
      assert.match(audit.trim(), new RegExp(`^failed ${created[0].eventId} room-created: older than ${maxAge} s( \\(--webhook-max-age\\)|; last: HTTP 503)$`));
    } finally {
      try {
        assertExit0(srv, await srv.stop());
      } finally {
        if (rx) await rx.close();
      }
    }
  });
});

describe('status callbacks: https', () => {
  it('verifies the receiver\'s certificate: a self-signed one is never sent the event (retried, not delivered)', async () => {
    const fix = path.join(REPO_ROOT, 'tests/api/fixtures');
    const got = [];
    const tls = https.createServer({ cert: fs.readFileSync(path.join(fix, 'tls-cert.pem')), key: fs.readFileSync(path.join(fix, 'tls-key.pem')) },
      (req, res) => { got.push(req.url); res.writeHead(204).end(); });
    await new Promise((r) => tls.listen(0, '127.0.0.1', r));
    const srv = await startServer({ threads: 1, args: FAST });
    try {
      const made = await srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, form: { UniqueName: 'tls-1', StatusCallback: `https://127.0.0.1:${tls.address().port}/hook` } });
      assert.equal(made.status, 201, made.text);
      while (!/\(room-created of RM[0-9a-f]{32}\) will be retried: SSL/.test(srv.stderr())) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got, [], 'no request got past the handshake');
    } finally {
      assertExit0(srv, await srv.stop());
      tls.closeAllConnections();
      await new Promise((r) => tls.close(r));
    }
  });
});

describe('status callbacks: LiveKit\'s format', () => {
  it('the account default in LiveKit\'s format: room_started, participant_joined x2, participant_left x2, room_finished, each accepted by WebhookReceiver', async () => {
    let rx;
    const srv = await startServer({ threads: 1, args: FAST });
    try {
      rx = await startReceiver(srv.account.auth_token, { livekitKey: srv.key });
      const rest = (method, p, form) => srv.request(method, p, { auth: srv.accountAuth, form });
      const bad = await rest('POST', '/v1/StatusCallback', { StatusCallback: `${rx.base}/livekit`, StatusCallbackFormat: 'livekit' });
      assert.equal(bad.status, 400, bad.text); // LiveKit's format needs the key that signs
      const other = await rest('POST', '/v1/StatusCallback', { StatusCallback: `${rx.base}/livekit`, StatusCallbackFormat: 'livekit', StatusCallbackKey: 'SK' + '0'.repeat(32) });
      assert.equal(other.status, 400, other.text);
      const set = await rest('POST', '/v1/StatusCallback', { StatusCallback: `${rx.base}/livekit`, StatusCallbackFormat: 'livekit', StatusCallbackKey: srv.key.sid });
      assert.equal(set.status, 200, set.text);
      assert.equal(set.json.status_callback_format, 'livekit');
      assert.equal(set.json.status_callback_key, srv.key.sid);

      const a = await join(srv, tok(srv, 'alice', 'lk-1'));
      assert.equal(a.joined.type, 'joined', JSON.stringify(a.joined));
      const b = await join(srv, tok(srv, 'bob', 'lk-1'));
      assert.equal(b.joined.type, 'joined', JSON.stringify(b.joined));
      await a.c.close();
      await b.c.close();
      await rx.seen((e) => e.livekit?.event === 'participant_left', 2);
      await rest('POST', '/v1/Rooms/lk-1', { Status: 'completed' });
      const evs = await rx.seen((e) => e.livekit?.room?.name === 'lk-1', 6);
      assert.deepEqual(evs.map((e) => e.livekit.event), ['room_started', 'participant_joined', 'participant_joined',
        'participant_left', 'participant_left', 'room_finished']);
      assert.deepEqual(evs.map((e) => e.livekit.participant?.identity), [undefined, 'alice', 'bob', 'alice', 'bob', undefined]);
      for (const e of evs) {
        assert.equal(e.contentType, 'application/webhook+json');
        assert.equal(e.livekit.room.sid, a.joined.room.sid);
        assert.match(e.livekit.id, EV_RE);
      }
      assert.equal(evs[1].livekit.participant.sid, a.joined.participant.sid);
    } finally {
      try {
        assertExit0(srv, await srv.stop());
      } finally {
        if (rx) await rx.close();
      }
    }
  });
});
