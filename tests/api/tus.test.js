// tus 1.0 resumable uploads at /v1/Recordings/Uploads (issue 10, item 1):
// the protocol rules, with raw requests and with the real tus-js-client,
// on small recordings (so this file also runs under valgrind).  The 64 MiB
// upload and the cut connection are in sec_upload.test.js.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { basic } from './lib/server.js';
import os from 'node:os';
import { tusUpload, serveDir } from './lib/tus.js';
import { startRecServer, mediaUrl, fetchMedia, recFile, decryptWithOpenssl, patterned } from './lib/rec.js';
import { assert401, assertError, assertExit0, assertStatus } from './lib/check.js';

const MAX_BODY = 65536;
let srv;
let other; // a second account of the same server

const b64 = (s) => Buffer.from(s).toString('base64');
const meta = (o) => Object.entries(o).map(([k, v]) => (v === null ? k : `${k} ${b64(v)}`)).join(',');
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
const T = { 'Tus-Resumable': '1.0.0' };

function create(s, length, metadata = { content_type: 'audio/ogg', allowed_identities: 'alice' }, { auth = s.accountAuth, headers = {} } = {}) {
  const h = { ...T, 'Upload-Length': String(length), ...headers };
  if (metadata) h['Upload-Metadata'] = meta(metadata);
  return s.request('POST', '/v1/Recordings/Uploads', { auth, headers: h });
}

function patch(s, loc, offset, body, { auth = s.accountAuth, headers = {} } = {}) {
  return s.request('PATCH', loc, {
    auth,
    body,
    headers: { ...T, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset), ...headers },
  });
}

const head = (s, loc, { auth = s.accountAuth, headers = T } = {}) => s.request('HEAD', loc, { auth, headers });

async function created(s, length, metadata) {
  const r = await create(s, length, metadata);
  assertStatus(r, 201);
  return r.headers.get('location');
}

const uploadDirs = (s) => fs.readdirSync(path.join(s.dataDir, 'uploads'));

before(async () => {
  srv = await startRecServer({ args: ['--max-body', String(MAX_BODY)] });
  const acct = JSON.parse(srv.cli(['account', 'create']).trim().split('\n').pop());
  other = basic(acct.sid, acct.auth_token);
});
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

describe('discovery and creation', () => {
  it('OPTIONS: Tus-Version 1.0.0, creation and termination, Tus-Max-Size', async () => {
    const r = await srv.request('OPTIONS', '/v1/Recordings/Uploads');
    assertStatus(r, 204);
    assert.equal(r.headers.get('tus-resumable'), '1.0.0');
    assert.equal(r.headers.get('tus-version'), '1.0.0');
    assert.equal(r.headers.get('tus-extension'), 'creation,termination');
    assert.equal(r.headers.get('tus-max-size'), String(8 * 1024 ** 3));
  });

  it('POST: 201, Location of a random id, HEAD offset 0; the recording does not exist yet', async () => {
    const r = await create(srv, 1000);
    assertStatus(r, 201);
    assert.equal(r.headers.get('tus-resumable'), '1.0.0');
    const loc = r.headers.get('location');
    assert.match(loc, /^\/v1\/Recordings\/Uploads\/[0-9a-f]{32}$/);
    const h = await head(srv, loc);
    assertStatus(h, 200);
    assert.equal(h.headers.get('upload-offset'), '0');
    assert.equal(h.headers.get('upload-length'), '1000');
    assert.equal(h.headers.get('cache-control'), 'no-store');
    assert.equal(h.headers.get('roomgate-recording-sid'), null);
    const list = await srv.request('GET', '/v1/Recordings', { auth: srv.accountAuth });
    assert.equal(list.json.recordings.length, 0);
  });

  it('bad metadata -> 400 at creation, and nothing is created', async () => {
    const before = uploadDirs(srv).length;
    const cases = [
      [{ room_sid: 'RM123' }, 'room_sid'],
      [{ content_type: 'no slash' }, 'content_type'],
      [{ allowed_identities: 'a,' + 'x'.repeat(300) }, 'allowed_identities'],
      [{ duration: '-5' }, 'duration'],
      [{ duration: '12s' }, 'duration'],
      [{ consultation_id: 'c\u0001' }, 'consultation_id'],
      [{ content_type: 'audio/ogg', filetype: 'audio/mpeg' }, 'content_type'],
    ];
    for (const [m, param] of cases) {
      const r = await create(srv, 10, m);
      assertError(r, 400, 21603, { param });
    }
    for (const raw of ['content_type YXVkaW8vb2dn,content_type YXVkaW8vb2dn', 'content_type YXVkaW8vb2dn=', 'a b c', 'content_type -_8=']) {
      const r = await create(srv, 10, null, { headers: { 'Upload-Metadata': raw } });
      assertError(r, 400, 21603, { param: 'Upload-Metadata' });
    }
    assert.equal(uploadDirs(srv).length, before);
  });

  it("a room or consultation that is not the account's -> 404 at creation (as POST /v1/Recordings)", async () => {
    const before = uploadDirs(srv).length;
    const room = await srv.request('POST', '/v1/Rooms', { auth: srv.accountAuth, form: { UniqueName: 'tus-room' } });
    assertStatus(room, 201);
    assertError(await create(srv, 10, { room_sid: 'RM' + '0'.repeat(32) }), 404, 20404);
    assertError(await create(srv, 10, { consultation_id: 'no-such-consultation' }), 404, 20404);
    assertError(await create(srv, 10, { room_sid: room.json.sid }, { auth: other }), 404, 20404);
    assert.equal(uploadDirs(srv).length, before);
    assertStatus(await create(srv, 10, { room_sid: room.json.sid }), 201);
  });

  it('Upload-Length: missing, malformed or over --max-import -> 400/413; deferred length is not offered', async () => {
    const r1 = await srv.request('POST', '/v1/Recordings/Uploads', { auth: srv.accountAuth, headers: T });
    assertError(r1, 400, 21602, { param: 'Upload-Length' });
    for (const v of ['-1', '1e3', '01', '12a', '99999999999999999999']) {
      assertError(await create(srv, v), 400, 21603, { param: 'Upload-Length' });
    }
    assertError(await create(srv, 8 * 1024 ** 3 + 1), 413, 21617);
    const r2 = await srv.request('POST', '/v1/Recordings/Uploads', { auth: srv.accountAuth, headers: { ...T, 'Upload-Defer-Length': '1' } });
    assertError(r2, 400, 21603);
  });
});

describe('authentication and isolation', () => {
  it('no credentials -> 401 on every method; wrong secret -> 401', async () => {
    const loc = await created(srv, 10);
    assert401(await create(srv, 10, undefined, { auth: null }));
    assert401(await srv.request('POST', '/v1/Recordings/Uploads', { headers: { ...T, 'Upload-Length': '10' } }));
    assert401(await patch(srv, loc, 0, Buffer.alloc(10), { auth: basic(srv.account.sid, 'wrong') }));
    assert401(await srv.request('DELETE', loc, { headers: T }));
    const h = await srv.request('HEAD', loc, { headers: T });
    assert.equal(h.status, 401);
    assertStatus(await head(srv, loc), 200); // still there, untouched
    assert.equal((await head(srv, loc)).headers.get('upload-offset'), '0');
  });

  it("another account's credentials -> 404 on HEAD, PATCH and DELETE; the upload is untouched", async () => {
    const loc = await created(srv, 10);
    assert.equal((await head(srv, loc, { auth: other })).status, 404);
    assertError(await patch(srv, loc, 0, Buffer.alloc(10), { auth: other }), 404, 20404);
    assertError(await srv.request('DELETE', loc, { auth: other, headers: T }), 404, 20404);
    const h = await head(srv, loc);
    assertStatus(h, 200);
    assert.equal(h.headers.get('upload-offset'), '0');
  });

  it('an API key of the owning account works; unknown and malformed ids -> 404', async () => {
    const loc = await created(srv, 3);
    assertStatus(await patch(srv, loc, 0, Buffer.from('abc'), { auth: srv.keyAuth }), 204);
    for (const id of ['0123456789abcdef0123456789abcdef', '..', '0123456789ABCDEF0123456789ABCDEF', 'x'.repeat(32)]) {
      assert.equal((await head(srv, `/v1/Recordings/Uploads/${id}`)).status, 404);
    }
  });
});

describe('PATCH rules', () => {
  it('missing or wrong Tus-Resumable -> 412 with Tus-Version, nothing written', async () => {
    const loc = await created(srv, 10);
    const r = await srv.request('PATCH', loc, {
      auth: srv.accountAuth, body: Buffer.alloc(5),
      headers: { 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': '0' },
    });
    assertError(r, 412, 20412);
    assert.equal(r.headers.get('tus-version'), '1.0.0');
    assertError(await patch(srv, loc, 0, Buffer.alloc(5), { headers: { 'Tus-Resumable': '0.2.2' } }), 412, 20412);
    assert.equal((await head(srv, loc, { headers: {} })).status, 412);
    assert.equal((await head(srv, loc)).headers.get('upload-offset'), '0');
  });

  it('wrong offset -> 409; wrong Content-Type -> 415; past Upload-Length -> 413; over --max-body -> 413', async () => {
    const loc = await created(srv, 100000);
    assertStatus(await patch(srv, loc, 0, Buffer.alloc(1000, 1)), 204);
    assertError(await patch(srv, loc, 0, Buffer.alloc(1000, 2)), 409, 20409);
    assertError(await patch(srv, loc, 2000, Buffer.alloc(1000, 2)), 409, 20409);
    assertError(await patch(srv, loc, 1000, Buffer.alloc(10), { headers: { 'Content-Type': 'application/octet-stream' } }), 415, 20415);
    assertError(await patch(srv, loc, 1000, Buffer.alloc(10), { headers: { 'Upload-Offset': '-1' } }), 400, 21603);
    const small = await created(srv, 10);
    assertError(await patch(srv, small, 0, Buffer.alloc(11)), 413, 21617);
    const big = await patch(srv, loc, 1000, Buffer.alloc(MAX_BODY + 1));
    assert.equal(big.status, 413);
    const h = await head(srv, loc);
    assert.equal(h.headers.get('upload-offset'), '1000');
  });

  it('two PATCHes at the same offset at once: one 204, one 409, and the data is the winner', async () => {
    const a = patterned(40000, 'FIRST-');
    const b = patterned(40000, 'SECOND-');
    const loc = await created(srv, 40000);
    const [ra, rb] = await Promise.all([patch(srv, loc, 0, a), patch(srv, loc, 0, b)]);
    const statuses = [ra.status, rb.status].sort();
    assert.deepEqual(statuses, [204, 409]);
    const winner = ra.status === 204 ? ra : rb;
    const sid = winner.headers.get('roomgate-recording-sid');
    assert.match(sid, /^RE[0-9a-f]{32}$/);
    const plain = decryptWithOpenssl(recFile(srv, sid), srv.privPem);
    assert.equal(sha(plain), sha(ra.status === 204 ? a : b));
  });

  it('DELETE (termination) -> 204, then HEAD and PATCH -> 404 and the directory is gone', async () => {
    const loc = await created(srv, 100);
    assertStatus(await patch(srv, loc, 0, Buffer.alloc(50, 7)), 204);
    const id = loc.split('/').pop();
    assert.ok(uploadDirs(srv).includes(id));
    assertStatus(await srv.request('DELETE', loc, { auth: srv.accountAuth, headers: T }), 204);
    assert.equal((await head(srv, loc)).status, 404);
    assertError(await patch(srv, loc, 50, Buffer.alloc(50)), 404, 20404);
    assert.ok(!uploadDirs(srv).includes(id));
  });
});

describe('tus-js-client', () => {
  it('uploads in pieces not aligned to segments; the recording plays back byte for byte with its metadata', async () => {
    const plain = crypto.randomBytes(300001);
    const { url, sid } = await tusUpload(srv, plain, {
      chunkSize: 50000,
      metadata: { filename: 'call.ogg', filetype: 'audio/ogg', allowed_identities: 'alice,bob', allowed_roles: 'supervisor', duration: '42' },
    });
    assert.match(url, /\/v1\/Recordings\/Uploads\/[0-9a-f]{32}$/);
    assert.match(sid, /^RE[0-9a-f]{32}$/);
    const rec = await srv.request('GET', `/v1/Recordings/${sid}`, { auth: srv.accountAuth });
    assertStatus(rec, 200);
    assert.equal(rec.json.size, 300001);
    assert.equal(rec.json.content_type, 'audio/ogg');
    assert.deepEqual(rec.json.allowed_identities, ['alice', 'bob']);
    assert.deepEqual(rec.json.allowed_roles, ['supervisor']);
    assert.equal(rec.json.duration, 42);
    const m = await fetchMedia(await mediaUrl(srv, sid, 'bob'));
    assert.equal(m.status, 200);
    assert.equal(sha(m.body), sha(plain));
    assert.equal(sha(decryptWithOpenssl(recFile(srv, sid), srv.privPem)), sha(plain));
    // done: HEAD says complete and names the recording
    const h = await head(srv, new URL(url).pathname);
    assert.equal(h.headers.get('upload-offset'), '300001');
    assert.equal(h.headers.get('roomgate-recording-sid'), sid);
    const log = await srv.request('GET', `/v1/Recordings/${sid}/AccessLog`, { auth: srv.accountAuth });
    assert.deepEqual(log.json.access_log.map((r) => `${r.action}:${r.outcome}`).slice(0, 1), ['create:created']);
  });

  it('an empty recording completes at creation + one empty PATCH', async () => {
    const { sid } = await tusUpload(srv, Buffer.alloc(0), { chunkSize: 1000, metadata: { allowed_identities: 'alice' } });
    assert.match(sid, /^RE[0-9a-f]{32}$/);
    const m = await fetchMedia(await mediaUrl(srv, sid));
    assert.equal(m.body.length, 0);
  });

  it('while in progress, no plaintext byte is on disk (complete segments and the tail are sealed)', async () => {
    const plain = patterned(200000, 'SECRET-PLAINTEXT-');
    const loc = await created(srv, 300000);
    assertStatus(await patch(srv, loc, 0, plain.subarray(0, 60000)), 204);
    assertStatus(await patch(srv, loc, 60000, plain.subarray(60000, 120000)), 204); // one sealed segment + a tail
    const dir = path.join(srv.dataDir, 'uploads', loc.split('/').pop());
    for (const f of fs.readdirSync(dir)) {
      const bytes = fs.readFileSync(path.join(dir, f));
      assert.equal(bytes.indexOf('SECRET-PLAINTEXT'), -1, `plaintext in ${f}`);
    }
    assert.equal((await head(srv, loc)).headers.get('upload-offset'), '120000');
  });
});

describe('restart', () => {
  it('the server restarts between PATCHes: HEAD gives the committed offset and the upload completes', async () => {
    const s1 = await startRecServer();
    const plain = crypto.randomBytes(150000);
    const loc = await created(s1, plain.length);
    assertStatus(await patch(s1, loc, 0, plain.subarray(0, 70000)), 204); // a sealed segment + a sealed tail
    s1.proc.kill('SIGTERM');
    assert.equal(await s1.exited, 0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-tus-restart-'));
    fs.cpSync(s1.dataDir, dir, { recursive: true });
    assertExit0(s1, await s1.stop());
    const s2 = await serveDir(dir);
    try {
      Object.assign(s2, { accountAuth: s1.accountAuth, keyAuth: s1.keyAuth });
      const h = await head(s2, loc);
      assertStatus(h, 200);
      assert.equal(h.headers.get('upload-offset'), '70000');
      const r = await patch(s2, loc, 70000, plain.subarray(70000));
      assertStatus(r, 204);
      const sid = r.headers.get('roomgate-recording-sid');
      assert.match(sid, /^RE[0-9a-f]{32}$/);
      const m = await fetchMedia(await mediaUrl(s2, sid));
      assert.equal(sha(m.body), sha(plain));
    } finally {
      assertExit0(s2, await s2.stop());
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an upload idle for more than 24 h answers 404, and the next start removes it', async () => {
    const s1 = await startRecServer();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-tus-expiry-'));
    let s2;
    try {
      const old = await created(s1, 100);
      const fresh = await created(s1, 100);
      assertStatus(await patch(s1, old, 0, Buffer.alloc(10, 1)), 204);
      const oldDir = path.join(s1.dataDir, 'uploads', old.split('/').pop());
      const then = new Date(Date.now() - 25 * 3600 * 1000);
      for (const f of fs.readdirSync(oldDir)) fs.utimesSync(path.join(oldDir, f), then, then);
      assert.equal((await head(s1, old)).status, 404);
      assertError(await patch(s1, old, 10, Buffer.alloc(10, 1)), 404, 20404);
      assertStatus(await head(s1, fresh), 200);
      s1.proc.kill('SIGTERM');
      assert.equal(await s1.exited, 0);
      fs.cpSync(s1.dataDir, dir, { recursive: true, preserveTimestamps: true });
      s2 = await serveDir(dir);
      Object.assign(s2, { accountAuth: s1.accountAuth });
      const left = fs.readdirSync(path.join(dir, 'uploads'));
      assert.deepEqual(left, [fresh.split('/').pop()]);
      assertStatus(await head(s2, fresh), 200);
    } finally {
      assertExit0(s1, await s1.stop());
      if (s2) assertExit0(s2, await s2.stop());
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
