// Encrypted recording storage and /media (docs/api.md "Recordings"):
// uploads and imports, the at-rest format (no plaintext, decryptable with
// openssl and the private key, tamper evidence), ranges, links, deletion.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cliJson, basic, waitCredentials } from './lib/server.js';
import { assertError, assertStatus, assertExit0 } from './lib/check.js';
import {
  startRecServer, patterned, upload, mediaUrl, recFile, parseHeader, decryptWithOpenssl,
  twilioEncrypt, fetchMedia, SEG,
} from './lib/rec.js';

let srv;
const RE_RE = /^RE[0-9a-f]{32}$/;

before(async () => { srv = await startRecServer(); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

async function create(size, opts = {}) {
  const body = opts.body ?? patterned(size);
  const res = await upload(srv, body, { query: { AllowedIdentities: 'alice', ...(opts.query || {}) }, ...opts });
  assertStatus(res, 201);
  return { rec: res.json, body };
}

describe('upload', () => {
  it('raw body -> 201 with the metadata, and GET/list show it', async () => {
    // the room and the consultation must be the account's own (sec_room_oracle.test.js)
    const room = cliJson(srv.cli(['room', 'create', '--account', srv.account.sid]));
    srv.cli(['consultation', 'create', '--account', srv.account.sid, '--consultation-id', 'c-1', '--detail-id', 'd',
      '--client-identity', 'cl', '--provider-identity', 'pr', '--starts-at', new Date(Date.now() + 3600e3).toISOString(),
      '--ends-at', new Date(Date.now() + 7200e3).toISOString()]);
    const { rec } = await create(1000, {
      query: { AllowedIdentities: 'alice, bob', AllowedRoles: 'agent', RoomSid: room.sid, Duration: 42, ConsultationId: 'c-1' },
      contentType: 'audio/wav',
    });
    assert.match(rec.sid, RE_RE);
    assert.equal(rec.size, 1000);
    assert.equal(rec.content_type, 'audio/wav');
    assert.equal(rec.duration, 42);
    assert.equal(rec.room_sid, room.sid);
    assert.equal(rec.consultation_id, 'c-1');
    assert.deepEqual(rec.allowed_identities, ['alice', 'bob']);
    assert.deepEqual(rec.allowed_roles, ['agent']);
    assert.equal(rec.account_sid, srv.account.sid);
    assert.equal(rec.encryption.cipher, 'AES-256-GCM');
    assert.equal(rec.encryption.segment_size, SEG);
    const got = await srv.request('GET', `/v1/Recordings/${rec.sid}`, { auth: srv.keyAuth });
    assertStatus(got, 200);
    assert.deepEqual(got.json, rec);
    const list = await srv.request('GET', '/v1/Recordings', { auth: srv.accountAuth, query: { PageSize: 100 } });
    assertStatus(list, 200);
    assert.ok(list.json.recordings.some((r) => r.sid === rec.sid));
    assert.equal(list.json.meta.key, 'recordings');
  });

  it('another account cannot see it (404), and no auth is 401', async () => {
    const { rec } = await create(10);
    const other = cliJson(srv.cli(['account', 'create']));
    await waitCredentials(srv, other.sid, other.auth_token); // the server polls the store every 100 ms
    const r = await srv.request('GET', `/v1/Recordings/${rec.sid}`, { auth: basic(other.sid, other.auth_token) });
    assertError(r, 404, 20404);
    assertError(await srv.request('GET', `/v1/Recordings/${rec.sid}`), 401, 20003);
    assertError(await upload(srv, Buffer.from('x'), { auth: basic(other.sid, 'wrong') }), 401, 20003);
  });

  it('bad metadata -> 400 and nothing stored', async () => {
    const before = fs.readdirSync(path.join(srv.dataDir, 'recordings')).length;
    for (const q of [{ RoomSid: 'RMnope' }, { Duration: '-3' }, { Duration: 'x' },
      { AllowedIdentities: 'a'.repeat(300) }, { AllowedRoles: Array.from({ length: 70 }, (_, i) => `r${i}`).join(',') }]) {
      const r = await upload(srv, Buffer.from('abc'), { query: q });
      assertError(r, 400, 21603);
    }
    assertError(await upload(srv, Buffer.alloc(0)), 400, 21602);
    assertError(await upload(srv, Buffer.from('x'), { contentType: 'nope' }), 400, 21603);
    assert.equal(fs.readdirSync(path.join(srv.dataDir, 'recordings')).length, before);
  });

});

describe('at rest', () => {
  it('the stored file holds no plaintext run and decrypts with openssl + the private key', async () => {
    const size = 3 * SEG + 1234;
    const { rec, body } = await create(size);
    const file = recFile(srv, rec.sid);
    const stored = fs.readFileSync(file);
    const probe = body.subarray(0, 16);
    assert.equal(stored.indexOf(probe), -1, 'a 16-byte plaintext run is on disk');
    assert.equal(stored.indexOf(Buffer.from('ROOMGATE-PLAINT')), -1);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const h = parseHeader(stored);
    assert.equal(h.sid, rec.sid);
    assert.equal(h.size, size);
    assert.ok(decryptWithOpenssl(file, srv.privPem).equals(body), 'openssl-decrypted content differs');
    // no temp files left behind
    assert.deepEqual(fs.readdirSync(path.join(srv.dataDir, 'recordings')).filter((f) => f.endsWith('.tmp')), []);
  });

  it('an exact multiple of the segment size decrypts too', async () => {
    const { rec, body } = await create(2 * SEG);
    assert.ok(decryptWithOpenssl(recFile(srv, rec.sid), srv.privPem).equals(body));
  });
});

describe('media', () => {
  let rec, body, url;
  before(async () => {
    ({ rec, body } = await create(3 * SEG + 1000));
    url = await mediaUrl(srv, rec.sid);
  });

  it('full GET returns the original with Content-Type and Accept-Ranges', async () => {
    const r = await fetchMedia(url);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'audio/ogg');
    assert.equal(r.headers.get('accept-ranges'), 'bytes');
    assert.equal(Number(r.headers.get('content-length')), body.length);
    assert.ok(r.body.equals(body));
  });

  const ranges = [
    ['segment boundary', `bytes=${SEG - 3}-${SEG + 2}`, SEG - 3, SEG + 2],
    ['first byte', 'bytes=0-0', 0, 0],
    ['exactly one segment', `bytes=${SEG}-${2 * SEG - 1}`, SEG, 2 * SEG - 1],
    ['across three segments', `bytes=100-${2 * SEG + 100}`, 100, 2 * SEG + 100],
    ['last byte', `bytes=${3 * SEG + 999}-${3 * SEG + 999}`, 3 * SEG + 999, 3 * SEG + 999],
    ['open end', `bytes=${3 * SEG}-`, 3 * SEG, 3 * SEG + 999],
    ['suffix', 'bytes=-500', 3 * SEG + 500, 3 * SEG + 999],
    ['suffix longer than the file', `bytes=-${10 * SEG}`, 0, 3 * SEG + 999],
    ['end past the size', `bytes=10-${100 * SEG}`, 10, 3 * SEG + 999],
  ];
  for (const [name, hdr, a, b] of ranges) {
    it(`Range ${name} -> 206 with the right bytes`, async () => {
      const r = await fetchMedia(url, { headers: { Range: hdr } });
      assert.equal(r.status, 206, r.text);
      assert.equal(r.headers.get('content-range'), `bytes ${a}-${b}/${body.length}`);
      assert.ok(r.body.equals(body.subarray(a, b + 1)), `bytes of ${hdr}`);
    });
  }

  it('unsatisfiable ranges -> 416 with Content-Range */size', async () => {
    for (const hdr of [`bytes=${body.length}-`, `bytes=${body.length + 5}-${body.length + 9}`, 'bytes=-0']) {
      const r = await fetchMedia(url, { headers: { Range: hdr } });
      assert.equal(r.status, 416, hdr);
      assert.equal(r.headers.get('content-range'), `bytes */${body.length}`);
    }
  });

  it('a malformed or multi-range header is ignored (200, whole body)', async () => {
    for (const hdr of ['bytes=5-1', 'items=0-1', 'bytes=0-1,5-6']) {
      const r = await fetchMedia(url, { headers: { Range: hdr } });
      assert.equal(r.status, 200, hdr);
      assert.equal(r.body.length, body.length);
    }
  });

  it('HEAD gives the headers and no body', async () => {
    const r = await fetchMedia(url, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(Number(r.headers.get('content-length')), body.length);
    assert.equal(r.body.length, 0);
  });

  it('forged, altered and malformed links -> 403', async () => {
    const u = new URL(url);
    const sig = u.searchParams.get('sig');
    const variants = [];
    const flip = (s) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const mk = (f) => { const v = new URL(url); f(v); variants.push(v.toString()); };
    mk((v) => v.searchParams.set('sig', flip(sig)));
    mk((v) => v.searchParams.set('exp', String(Number(v.searchParams.get('exp')) + 3600)));
    mk((v) => v.searchParams.set('nonce', flip(v.searchParams.get('nonce'))));
    mk((v) => v.searchParams.delete('sig'));
    mk((v) => v.searchParams.set('exp', 'soon'));
    mk((v) => { v.pathname = `/media/RE${'0'.repeat(32)}`; });
    for (const v of variants) {
      const r = await fetchMedia(v);
      assert.equal(r.status, 403, v);
      assert.equal(JSON.parse(r.text).code, 20403);
    }
  });

  it('a bad RE in the path -> 404', async () => {
    const r = await fetchMedia(url.replace(/\/media\/RE[0-9a-f]+/, '/media/REnot'));
    assert.equal(r.status, 404);
  });
});

describe('tamper evidence', () => {
  async function tampered(mutate) {
    const { rec, body } = await create(3 * SEG + 77);
    const file = recFile(srv, rec.sid);
    const buf = fs.readFileSync(file);
    fs.writeFileSync(file, mutate(buf, parseHeader(buf)));
    return { rec, body, url: await mediaUrl(srv, rec.sid) };
  }
  const segOff = (h, i) => h.headerLen + i * (SEG + 16);

  it('a flipped byte in segment 1 fails that segment, not segment 0', async () => {
    const { url, body } = await tampered((b, h) => { b[segOff(h, 1) + 10] ^= 1; return b; });
    const ok = await fetchMedia(url, { headers: { Range: 'bytes=0-99' } });
    assert.equal(ok.status, 206);
    assert.ok(ok.body.equals(body.subarray(0, 100)));
    const bad = await fetchMedia(url, { headers: { Range: `bytes=${SEG}-${SEG + 99}` } });
    assert.ok(bad.error || bad.status >= 500 || bad.body.length < 100, 'a tampered segment must not be served');
    if (!bad.error && bad.status === 206) assert.ok(!bad.body.equals(body.subarray(SEG, SEG + 100)));
    const full = await fetchMedia(url);
    assert.ok(full.error || full.body.length < body.length, 'the full body must not complete');
  });

  it('reordered segments fail', async () => {
    const { url } = await tampered((b, h) => {
      const s0 = Buffer.from(b.subarray(segOff(h, 0), segOff(h, 1)));
      b.copy(b, segOff(h, 0), segOff(h, 1), segOff(h, 2));
      s0.copy(b, segOff(h, 1));
      return b;
    });
    const r = await fetchMedia(url, { headers: { Range: 'bytes=0-9' } });
    assert.ok(r.error || r.status >= 500, `got ${r.status}`);
  });

  it('a truncated file (last segment cut) is refused', async () => {
    const { url, rec } = await tampered((b, h) => b.subarray(0, segOff(h, 3)));
    const r = await fetchMedia(url, { headers: { Range: 'bytes=0-9' } });
    assert.equal(r.status, 500);
    assert.throws(() => decryptWithOpenssl(recFile(srv, rec.sid), srv.privPem));
  });

  it('an edited header (size) breaks every segment', async () => {
    // size 3*SEG+77 -> 3*SEG: drop the last segment so the file length matches the new header
    const { url } = await tampered((b, h) => { b.writeBigUInt64BE(BigInt(3 * SEG), 16); return b.subarray(0, segOff(h, 3)); });
    const r = await fetchMedia(url, { headers: { Range: 'bytes=0-9' } });
    assert.ok(r.error || r.status >= 500, `got ${r.status}`);
  });
});

describe('import', () => {
  it('{"path"} under the import dir -> 201, same bytes', async () => {
    const body = crypto.randomBytes(2 * SEG + 5);
    fs.mkdirSync(path.join(srv.accountImportDir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(srv.accountImportDir, 'sub', 'a.ogg'), body);
    const r = await srv.request('POST', '/v1/Recordings', { auth: srv.accountAuth,
      json: { path: 'sub/a.ogg', content_type: 'audio/ogg', allowed_identities: ['alice'], duration: 12 } });
    assertStatus(r, 201);
    assert.equal(r.json.source, 'import');
    assert.equal(r.json.size, body.length);
    assert.equal(r.json.duration, 12);
    assert.ok(decryptWithOpenssl(recFile(srv, r.json.sid), srv.privPem).equals(body));
    const abs = await srv.request('POST', '/v1/Recordings', { auth: srv.accountAuth,
      json: { path: path.join(srv.accountImportDir, 'sub', 'a.ogg') } });
    assertStatus(abs, 201);
    const m = await fetchMedia(await mediaUrl(srv, r.json.sid));
    assert.ok(m.body.equals(body));
  });

  it('a symlink is refused, even one that stays inside (regular files only, sec_import.test.js)', async () => {
    fs.writeFileSync(path.join(srv.accountImportDir, 'real.bin'), 'abc');
    fs.symlinkSync('real.bin', path.join(srv.accountImportDir, 'inside-link'));
    const r = await srv.request('POST', '/v1/Recordings', { auth: srv.accountAuth, json: { path: 'inside-link' } });
    assertError(r, 400, 21603);
    assertStatus(await srv.request('POST', '/v1/Recordings', { auth: srv.accountAuth, json: { path: 'real.bin' } }), 201);
  });

  it('traversal, absolute paths outside, symlinks out, missing files -> 400', async () => {
    const outside = path.join(path.dirname(srv.importDir), `outside-${process.pid}.bin`);
    fs.writeFileSync(outside, 'secret');
    fs.symlinkSync(outside, path.join(srv.accountImportDir, 'out-link'));
    fs.symlinkSync('..', path.join(srv.accountImportDir, 'up'));
    try {
      const before = fs.readdirSync(path.join(srv.dataDir, 'recordings')).length;
      for (const p of ['../x', 'sub/../../x', '..', outside, '/etc/passwd', 'out-link', `up/${path.basename(outside)}`,
        'nope.bin', 'sub', '']) {
        const r = await srv.request('POST', '/v1/Recordings', { auth: srv.accountAuth, json: { path: p } });
        assert.equal(r.status, 400, `${p}: ${r.text}`);
      }
      assertError(await srv.request('POST', '/v1/Recordings', { auth: srv.accountAuth, json: {} }), 400, 21602);
      assertError(await srv.request('POST', '/v1/Recordings', { auth: srv.accountAuth, body: '{"path":', headers: { 'Content-Type': 'application/json' } }), 400, 21601);
      assert.equal(fs.readdirSync(path.join(srv.dataDir, 'recordings')).length, before);
    } finally {
      fs.rmSync(outside, { force: true });
    }
  });
});

describe('Twilio-encrypted import', () => {
  it('raw upload with EncryptionDetails and JSON import with encryption_details -> stored in our format', async () => {
    const plain = patterned(SEG + 999, 'TWILIO-PLAIN-');
    const { body, details } = twilioEncrypt(plain, srv.pubPem);
    const r1 = await upload(srv, body, { query: { EncryptionDetails: JSON.stringify(details), AllowedIdentities: 'alice' }, contentType: 'audio/wav' });
    assertStatus(r1, 201);
    assert.equal(r1.json.source, 'twilio');
    assert.equal(r1.json.size, plain.length);
    assert.ok(decryptWithOpenssl(recFile(srv, r1.json.sid), srv.privPem).equals(plain));
    fs.writeFileSync(path.join(srv.accountImportDir, 'tw.enc'), body);
    const r2 = await srv.request('POST', '/v1/Recordings', { auth: srv.accountAuth,
      json: { path: 'tw.enc', encryption_details: details, allowed_identities: ['alice'] } });
    assertStatus(r2, 201);
    const m = await fetchMedia(await mediaUrl(srv, r2.json.sid));
    assert.ok(m.body.equals(plain));
  });

  it('a tampered file or a CEK wrapped for another key -> 422 and nothing stored', async () => {
    const dir = path.join(srv.dataDir, 'recordings');
    const before = fs.readdirSync(dir).length;
    const plain = patterned(5000);
    const { body, details } = twilioEncrypt(plain, srv.pubPem);
    const bad = Buffer.from(body);
    bad[100] ^= 1;
    assertError(await upload(srv, bad, { query: { EncryptionDetails: JSON.stringify(details) } }), 422, 21622);
    const tag = Buffer.from(body);
    tag[tag.length - 1] ^= 1;
    fs.writeFileSync(path.join(srv.accountImportDir, 'bad.enc'), tag);
    assertError(await srv.request('POST', '/v1/Recordings', { auth: srv.accountAuth, json: { path: 'bad.enc', encryption_details: details } }), 422, 21622);
    const { publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const otherPem = path.join(srv.accountImportDir, 'other.pem');
    fs.writeFileSync(otherPem, publicKey.export({ type: 'spki', format: 'pem' }));
    const wrong = twilioEncrypt(plain, otherPem);
    assertError(await upload(srv, wrong.body, { query: { EncryptionDetails: JSON.stringify(wrong.details) } }), 422, 21622);
    assertError(await upload(srv, body, { query: { EncryptionDetails: '{"type":"rsa-aes"}' } }), 400, 21603);
    assert.equal(fs.readdirSync(dir).length, before, 'nothing may be stored');
    const list = await srv.request('GET', '/v1/Recordings', { auth: srv.accountAuth, query: { PageSize: 100 } });
    assert.ok(!list.json.recordings.some((r) => r.size === plain.length));
  });
});

describe('delete', () => {
  it('destroys the file and the key; links 404; the audit rows stay', async () => {
    const { rec } = await create(5000);
    const url = await mediaUrl(srv, rec.sid);
    assertStatus(await srv.request('DELETE', `/v1/Recordings/${rec.sid}`, { auth: srv.accountAuth }), 204);
    assert.ok(!fs.existsSync(recFile(srv, rec.sid)));
    assertError(await srv.request('GET', `/v1/Recordings/${rec.sid}`, { auth: srv.accountAuth }), 404, 20404);
    assertError(await srv.request('DELETE', `/v1/Recordings/${rec.sid}`, { auth: srv.accountAuth }), 404, 20404);
    const m = await fetchMedia(url);
    assert.equal(m.status, 404);
    const log = await srv.request('GET', `/v1/Recordings/${rec.sid}/AccessLog`, { auth: srv.accountAuth });
    assertStatus(log, 200);
    const actions = log.json.access_log.map((r) => `${r.action}:${r.outcome}`);
    assert.deepEqual(actions, ['create:created', 'sec_rec:granted', 'delete:deleted', 'media:refused']);
  });
});

describe('limits and configuration', () => {
  // Body limits (--max-body on every route, uploads included): sec_upload.test.js.
  it('without a key pair: uploads 503, nothing stored; imports disabled without --import-dir', async () => {
    const s = await startRecServer({ keys: false, importDir: false });
    try {
      assertError(await upload(s, Buffer.from('abc')), 503, 20503);
      assert.deepEqual(fs.readdirSync(path.join(s.dataDir, 'recordings')), []);
    } finally {
      assertExit0(s, await s.stop());
    }
    const t = await startRecServer({ importDir: false });
    try {
      assertError(await t.request('POST', '/v1/Recordings', { auth: t.accountAuth, json: { path: 'a' } }), 400, 21603);
    } finally {
      assertExit0(t, await t.stop());
    }
  });
});
