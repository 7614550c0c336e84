// docs/openapi.yaml against live answers (issue 17). Every operation of the
// document is called at least once on a live server (with --demo, TURN,
// CORS, an import dir and a small --max-body, so each route can answer),
// and every answer checked here must be documented for its operation: its
// status listed, its body valid (Ajv, JSON Schema 2020-12 + formats)
// against the documented content schema, a body-less answer documented
// without content. Error answers (400, 401, 403, 404, 409, 410, 413) go
// through the same check. The last test fails if an operation of the
// document was never called: a route added to the document gets a call
// here.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import WebSocket from 'ws';
import { REPO_ROOT, startServer, cliJson, basic, rawRequest } from './lib/server.js';
import { tokenAuth } from './lib/rec.js';

const doc = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, 'docs/openapi.yaml'), 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, 'openapi');

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const ptr = (...parts) => parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const covered = new Set();
const statuses = new Set();

/** The response object documented for (method, path, status), $ref resolved. */
function documented(method, p, status) {
  const op = doc.paths[p]?.[method];
  assert.ok(op, `${method.toUpperCase()} ${p} is not in docs/openapi.yaml`);
  let r = op.responses[String(status)];
  let at = `#/paths/${ptr(p, method, 'responses', String(status))}`;
  assert.ok(r, `${method.toUpperCase()} ${p} answered ${status}, which the document does not list`);
  if (r.$ref) {
    at = r.$ref;
    r = r.$ref.split('/').slice(1).reduce((o, k) => o[k.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
  }
  return { r, at };
}

/**
 * Checks one live answer against the document and marks the operation
 * covered. res: {status, headers (Headers or object), text}.
 */
function check(method, p, res) {
  const { r, at } = documented(method, p, res.status);
  const header = (n) => (typeof res.headers.get === 'function' ? res.headers.get(n) : res.headers[n]);
  const ctype = (header('content-type') || '').split(';')[0].trim();
  const where = `${method.toUpperCase()} ${p} -> ${res.status}`;
  if (!r.content || method === 'head' || res.status === 101) {
    if (method !== 'head' && res.status !== 101)
      assert.equal(res.text, '', `${where}: the document shows no body, the server sent ${res.text.slice(0, 200)}`);
  } else {
    const media = r.content[ctype] ? ctype : r.content['*/*'] ? '*/*' : null;
    assert.ok(media, `${where}: content-type ${ctype || '(none)'} is not documented (${Object.keys(r.content)})`);
    const schema = r.content[media].schema;
    if (media === 'application/json') {
      const body = JSON.parse(res.text);
      const base = at.startsWith('#/components') ? at : `#/paths/${ptr(p, method, 'responses', String(res.status))}`;
      const validate = ajv.getSchema(`openapi${base}/content/${ptr(media)}/schema`);
      assert.ok(validate, `${where}: no schema at ${base}`);
      assert.ok(validate(body), `${where}: body does not match the document:\n${ajv.errorsText(validate.errors, { separator: '\n' })}\n${res.text.slice(0, 600)}`);
    } else if (schema?.type === 'string') {
      assert.equal(typeof res.text, 'string');
    }
  }
  covered.add(`${method} ${p}`);
  statuses.add(res.status);
}

const json = (o) => ({ json: o });

describe('docs/openapi.yaml against the live server', () => {
  let srv;
  let importDir;
  let A; // account Basic auth
  let K; // key Basic auth
  const origin = 'https://flex.example.com';

  before(async () => {
    importDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-contract-'));
    srv = await startServer({
      args: ['--demo', '--import-dir', importDir, '--max-body', '16384', '--cors-origins', origin,
        '--turn-uri', 'turn:127.0.0.1:3478?transport=udp', '--stun-uri', 'stun:127.0.0.1:3478',
        '--turn-secret', 'contract-test-secret-0123456789'],
      beforeServe: (cli) => { cli(['keys', 'generate-recording-keypair']); cli(['demo', 'init']); },
    });
    A = srv.accountAuth;
    K = srv.keyAuth;
    // imports read from the account's own subdirectory
    fs.mkdirSync(path.join(importDir, srv.account.sid));
    fs.writeFileSync(path.join(importDir, srv.account.sid, 'talk.wav'), Buffer.alloc(3000, 1));
  });
  after(async () => {
    if (srv) assert.equal(await srv.stop(), 0);
    fs.rmSync(importDir, { recursive: true, force: true });
  });

  it('GET /, /healthz; a body over --max-body is 413', async () => {
    check('get', '/', await srv.request('GET', '/'));
    check('get', '/healthz', await srv.request('GET', '/healthz'));
    check('get', '/readyz', await srv.request('GET', '/readyz'));
    const big = await rawRequest(srv.url, 'POST', '/v1/Rooms', {
      headers: { Authorization: K, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': 20000 },
      body: 'UniqueName=' + 'x'.repeat(20000 - 11),
    });
    assert.equal(big.status, 413);
    check('post', '/v1/Rooms', { ...big, text: big.text });
    // a body is refused on any route, a GET's too: documented everywhere
    const bigGet = await rawRequest(srv.url, 'GET', '/healthz', { headers: { 'Content-Length': 20000 }, body: 'x'.repeat(20000) });
    assert.equal(bigGet.status, 413);
    check('get', '/healthz', bigGet);
  });

  it('Keys: create, list, fetch, rename, delete, and their 400/401/404', async () => {
    const base = `/2010-04-01/Accounts/${srv.account.sid}`;
    const P = '/2010-04-01/Accounts/{AccountSid}/Keys.json';
    const P1 = '/2010-04-01/Accounts/{AccountSid}/Keys/{KeySid}.json';
    const made = await srv.request('POST', `${base}/Keys.json`, { auth: A, form: { FriendlyName: 'contract' } });
    assert.equal(made.status, 201, made.text);
    check('post', P, made);
    check('post', P, await srv.request('POST', `${base}/Keys.json`, { auth: basic(srv.account.sid, 'wrong') }));
    check('get', P, await srv.request('GET', `${base}/Keys.json`, { auth: A }));
    check('get', P, await srv.request('GET', `${base}/Keys.json`, { auth: A, query: { PageSize: 0 } }));
    const sk = made.json.sid;
    check('get', P1, await srv.request('GET', `${base}/Keys/${sk}.json`, { auth: A }));
    check('get', P1, await srv.request('GET', `${base}/Keys/SK${'0'.repeat(32)}.json`, { auth: A }));
    check('post', P1, await srv.request('POST', `${base}/Keys/${sk}.json`, { auth: A, json: { FriendlyName: 'renamed' } }));
    const del = await srv.request('DELETE', `${base}/Keys/${sk}.json`, { auth: A });
    assert.equal(del.status, 204);
    check('delete', P1, del);
    check('delete', P1, await srv.request('DELETE', `${base}/Keys/${sk}.json`, { auth: A }));
  });

  it('tokens: /v1/AccessTokens, /token, /get-token, validate (both auth schemes), and 400/401/409', async () => {
    const at = await srv.request('POST', '/v1/AccessTokens', { auth: K, json: { identity: 'alice', room: 'r1' } });
    assert.equal(at.status, 200, at.text);
    check('post', '/v1/AccessTokens', at);
    check('post', '/v1/AccessTokens', await srv.request('POST', '/v1/AccessTokens', { auth: K, form: { room: 'r1' } }));
    const bare = cliJson(srv.cli(['account', 'create']));
    const noKey = await srv.request('POST', '/v1/AccessTokens', { auth: basic(bare.sid, bare.auth_token), json: { identity: 'a' } });
    assert.equal(noKey.status, 409);
    check('post', '/v1/AccessTokens', noKey);
    check('get', '/token', await srv.request('GET', '/token', { auth: K, query: { identity: 'alice' } }));
    check('get', '/token', await srv.request('GET', '/token', { auth: K }));
    check('get', '/token', await srv.request('GET', '/token', { auth: basic(srv.key.sid, 'wrong'), query: { identity: 'a' } }));
    check('get', '/get-token', await srv.request('GET', '/get-token', { auth: K }));
    check('get', '/get-token', await srv.request('GET', '/get-token', { auth: K, query: { permissions: 'fly' } }));
    const V = `/v1/Accounts/${srv.account.sid}/Tokens/validate`;
    const VP = '/v1/Accounts/{AccountSid}/Tokens/validate';
    check('post', VP, await srv.request('POST', V, { auth: A, json: { token: at.json.token } }));
    check('post', VP, await srv.request('POST', V, { auth: A, form: { token: 'not.a.token' } }));
    check('post', VP, await srv.request('POST', V, { auth: tokenAuth(at.json.token) }));
    check('post', VP, await srv.request('POST', V, {}));
  });

  it('TURN: Tokens.json and /v1/turn, and 400', async () => {
    const P = '/2010-04-01/Accounts/{AccountSid}/Tokens.json';
    check('post', P, await srv.request('POST', `/2010-04-01/Accounts/${srv.account.sid}/Tokens.json`, { auth: A }));
    check('post', P, await srv.request('POST', `/2010-04-01/Accounts/${srv.account.sid}/Tokens.json`, { auth: A, form: { Ttl: 0 } }));
    check('get', '/v1/turn', await srv.request('GET', '/v1/turn', { auth: A, query: { identity: 'alice' } }));
    check('get', '/v1/turn', await srv.request('GET', '/v1/turn', { auth: A }));
  });

  for (const route of ['/v1/signal', '/signaling']) {
    it(`GET ${route}: 400 without the upgrade, 101 with it`, async () => {
      check('get', route, await srv.request('GET', route));
      const ws = new WebSocket(srv.url.replace(/^http/, 'ws') + route);
      const status = await new Promise((resolve, reject) => {
        ws.on('upgrade', (res) => resolve(res.statusCode));
        ws.on('error', reject);
      });
      check('get', route, { status, headers: {}, text: '' });
      ws.close();
      await new Promise((resolve) => ws.on('close', resolve));
    });
  }

  it('VideoSDK rooms and the seed aliases, and 401/404', async () => {
    const vt = (await srv.request('GET', '/get-token', { auth: K })).json.token;
    const H = { Authorization: vt };
    const made = await srv.request('POST', '/v2/rooms', { headers: H, json: { customRoomId: 'contract' } });
    check('post', '/v2/rooms', made);
    check('post', '/v2/rooms', await srv.request('POST', '/v2/rooms', { json: {} }));
    const id = made.json.roomId;
    check('get', '/v2/rooms', await srv.request('GET', '/v2/rooms', { headers: H }));
    check('get', '/v2/rooms', await srv.request('GET', '/v2/rooms', { headers: H, query: { perPage: 101 } }));
    check('get', '/v2/rooms/validate/{roomId}', await srv.request('GET', `/v2/rooms/validate/${id}`, { headers: H }));
    check('get', '/v2/rooms/validate/{roomId}', await srv.request('GET', '/v2/rooms/validate/zzzz-zzzz-zzzz', { headers: H }));
    check('get', '/v2/rooms/{roomId}', await srv.request('GET', `/v2/rooms/${id}`, { headers: H }));
    check('post', '/create-meeting', await srv.request('POST', '/create-meeting', { json: { token: vt } }));
    check('post', '/create-meeting', await srv.request('POST', '/create-meeting', { json: {} }));
    check('post', '/validate-meeting/{id}', await srv.request('POST', `/validate-meeting/${id}`, { form: { token: vt } }));
    check('post', '/v2/rooms/deactivate', await srv.request('POST', '/v2/rooms/deactivate', { headers: H, form: { roomId: id } }));
    check('post', '/v2/rooms/deactivate', await srv.request('POST', '/v2/rooms/deactivate', { headers: H, form: { roomId: 'nope' } }));
  });

  it('consultations: create, fetch, token, cancel, and 400/403/404/409/410', async () => {
    const now = Date.now();
    const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const body = { consultation_id: 'cn-contract', detail_id: 'd-1', client_identity: 'alice', provider_identity: 'dr-bob',
      starts_at: iso(now + 60000), ends_at: iso(now + 3600000) };
    const made = await srv.request('POST', '/v1/Consultations', { auth: K, form: body });
    assert.equal(made.status, 201, made.text);
    check('post', '/v1/Consultations', made);
    check('post', '/v1/Consultations', await srv.request('POST', '/v1/Consultations', { auth: K, json: body }));
    check('post', '/v1/Consultations', await srv.request('POST', '/v1/Consultations', { auth: K, json: { ...body, consultation_id: 'x', ends_at: 'soon' } }));
    check('get', '/v1/Consultations/{id}', await srv.request('GET', '/v1/Consultations/cn-contract', { auth: K }));
    check('get', '/v1/Consultations/{id}', await srv.request('GET', '/v1/Consultations/none', { auth: K }));
    const T = '/v1/Consultations/{id}/Tokens';
    check('post', T, await srv.request('POST', '/v1/Consultations/cn-contract/Tokens', { auth: K, json: { identity: 'alice', detail_id: 'd-1' } }));
    check('post', T, await srv.request('POST', '/v1/Consultations/cn-contract/Tokens', { auth: K, form: { identity: 'mallory', detail_id: 'd-1' } }));
    check('delete', '/v1/Consultations/{id}', await srv.request('DELETE', '/v1/Consultations/cn-contract', { auth: K }));
    const gone = await srv.request('POST', '/v1/Consultations/cn-contract/Tokens', { auth: K, form: { identity: 'alice', detail_id: 'd-1' } });
    assert.equal(gone.status, 410);
    check('post', T, gone);
  });

  it('the account default status callback (set, 400, cleared)', async () => {
    const S = '/v1/StatusCallback';
    check('get', S, await srv.request('GET', S, { auth: K }));
    const set = await srv.request('POST', S, { auth: A, form: { StatusCallback: 'https://hooks.example.com/video', StatusCallbackMethod: 'GET' } });
    assert.equal(set.status, 200, set.text);
    check('post', S, set);
    check('post', S, await srv.request('POST', S, { auth: A, form: { StatusCallback: 'ftp://x' } }));
    const cleared = await srv.request('POST', S, { auth: A, json: {} });
    assert.equal(cleared.json.status_callback, null, cleared.text);
    check('post', S, cleared);
    check('get', S, await srv.request('GET', S, { auth: A }));
  });

  it('Twilio rooms and participants, and 400/404', async () => {
    check('post', '/v1/Rooms', await srv.request('POST', '/v1/Rooms', { auth: K, form: { UniqueName: 'contract-room', Type: 'go' } }));
    check('post', '/v1/Rooms', await srv.request('POST', '/v1/Rooms', { auth: K, form: { Type: 'huge' } }));
    check('get', '/v1/Rooms', await srv.request('GET', '/v1/Rooms', { auth: K }));
    check('get', '/v1/Rooms', await srv.request('GET', '/v1/Rooms', { auth: A, query: { PageSize: 1001 } }));
    check('get', '/v1/Rooms/{Room}', await srv.request('GET', '/v1/Rooms/contract-room', { auth: K }));
    check('get', '/v1/Rooms/{Room}', await srv.request('GET', '/v1/Rooms/no-such-room', { auth: K }));
    srv.cli(['participant', 'join', '--account', srv.account.sid, '--room', 'contract-room', '--identity', 'alice']);
    const PL = '/v1/Rooms/{Room}/Participants';
    const P1 = '/v1/Rooms/{Room}/Participants/{Participant}';
    check('get', PL, await srv.request('GET', '/v1/Rooms/contract-room/Participants', { auth: K }));
    check('get', P1, await srv.request('GET', '/v1/Rooms/contract-room/Participants/alice', { auth: K }));
    check('get', P1, await srv.request('GET', '/v1/Rooms/contract-room/Participants/bob', { auth: K }));
    check('post', P1, await srv.request('POST', '/v1/Rooms/contract-room/Participants/alice', { auth: K, json: { Status: 'disconnected' } }));
    check('post', P1, await srv.request('POST', '/v1/Rooms/contract-room/Participants/alice', { auth: K, form: { Status: 'connected' } }));
    // the track lists: empty for a participant without a live Twilio connection (e2e/twilio.test.js has full ones)
    for (const sub of ['PublishedTracks', 'SubscribedTracks']) {
      const T = `/v1/Rooms/{Room}/Participants/{Participant}/${sub}`;
      const res = await srv.request('GET', `/v1/Rooms/contract-room/Participants/alice/${sub}`, { auth: K });
      check('get', T, res);
      assert.deepEqual(res.json[sub === 'PublishedTracks' ? 'published_tracks' : 'subscribed_tracks'], []);
      check('get', T, await srv.request('GET', `/v1/Rooms/contract-room/Participants/nobody/${sub}`, { auth: K }));
      check('get', T, await srv.request('GET', `/v1/Rooms/contract-room/Participants/alice/${sub}`, { auth: K, query: { PageSize: 0 } }));
    }
    check('post', '/v1/Rooms/{Room}', await srv.request('POST', '/v1/Rooms/contract-room', { auth: K, form: { Status: 'completed' } }));
    check('post', '/v1/Rooms/{Room}', await srv.request('POST', '/v1/Rooms/contract-room', { auth: K, form: { Status: 'paused' } }));
  });

  it('recordings, /sec_rec, /media (GET, HEAD, OPTIONS), the demo list, and 400/401/403/404', async () => {
    const up = await srv.request('POST', '/v1/Recordings', {
      auth: A, query: { AllowedIdentities: 'alice' }, body: Buffer.alloc(5000, 7), headers: { 'Content-Type': 'audio/wav' },
    });
    assert.equal(up.status, 201, up.text);
    check('post', '/v1/Recordings', up);
    check('post', '/v1/Recordings', await srv.request('POST', '/v1/Recordings', { auth: A, json: { path: 'talk.wav', content_type: 'audio/wav' } }));
    check('post', '/v1/Recordings', await srv.request('POST', '/v1/Recordings', { auth: A, json: { path: '../etc/passwd' } }));
    check('post', '/v1/Recordings', await srv.request('POST', '/v1/Recordings', { body: 'x', headers: { 'Content-Type': 'audio/wav' } }));
    check('get', '/v1/Recordings', await srv.request('GET', '/v1/Recordings', { auth: A }));
    check('get', '/v1/Recordings', await srv.request('GET', '/v1/Recordings', { auth: A, query: { PageSize: 101 } }));
    const sid = up.json.sid;
    const R = '/v1/Recordings/{Recording}';
    check('get', R, await srv.request('GET', `/v1/Recordings/${sid}`, { auth: K }));
    check('get', R, await srv.request('GET', `/v1/Recordings/RE${'0'.repeat(32)}`, { auth: K }));
    check('get', `${R}/AccessLog`, await srv.request('GET', `/v1/Recordings/${sid}/AccessLog`, { auth: K }));
    check('get', '/demo-api/recordings', await srv.request('GET', '/demo-api/recordings'));

    const alice = (await srv.request('GET', '/token', { auth: K, query: { identity: 'alice' } })).json.token;
    const mallory = (await srv.request('GET', '/token', { auth: K, query: { identity: 'mallory' } })).json.token;
    const granted = await srv.request('GET', '/sec_rec', { query: { recording_sid: sid }, auth: tokenAuth(alice) });
    assert.equal(granted.status, 200, granted.text);
    check('get', '/sec_rec', granted);
    check('get', '/sec_rec', await srv.request('GET', '/sec_rec', { query: { recording_sid: sid }, auth: tokenAuth(mallory) }));
    check('get', '/sec_rec', await srv.request('GET', '/sec_rec', { query: { recording_sid: sid } }));
    check('get', '/sec_rec', await srv.request('GET', '/sec_rec', { auth: tokenAuth(alice) }));
    const pre = { 'Access-Control-Request-Method': 'GET' };
    check('options', '/sec_rec', await srv.request('OPTIONS', '/sec_rec', { headers: { ...pre, Origin: origin } }));
    check('options', '/sec_rec', await srv.request('OPTIONS', '/sec_rec', { headers: { ...pre, Origin: 'https://evil.example' } }));

    const M = '/media/{Recording}';
    const url = granted.json.media_url;
    const whole = await fetch(url);
    check('get', M, { status: whole.status, headers: whole.headers, text: Buffer.from(await whole.arrayBuffer()).toString('latin1') });
    const part = await fetch(url, { headers: { Range: 'bytes=0-99' } });
    const partBody = Buffer.from(await part.arrayBuffer());
    assert.equal(part.status, 206);
    assert.equal(partBody.length, 100);
    check('get', M, { status: part.status, headers: part.headers, text: partBody.toString('latin1') });
    const head = await fetch(url, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), '5000');
    check('head', M, { status: head.status, headers: head.headers, text: '' });
    const bad = url.replace(/sig=[^&]+/, 'sig=AAAA');
    const refused = await srv.request('GET', bad.slice(srv.url.length));
    check('get', M, refused);
    const headRefused = await fetch(bad, { method: 'HEAD' });
    check('head', M, { status: headRefused.status, headers: headRefused.headers, text: '' });
    check('get', M, await srv.request('GET', url.slice(srv.url.length), { headers: { Range: 'bytes=9000-9001' } }));
    const malformed = await srv.request('GET', `/media/${sid}?exp=%zz&nonce=a&sig=b`);
    assert.equal(malformed.status, 400);
    check('get', M, malformed);
    check('options', M, await srv.request('OPTIONS', `/media/${sid}`, { headers: { ...pre, Origin: origin } }));

    const gone = await srv.request('DELETE', `/v1/Recordings/${sid}`, { auth: A });
    assert.equal(gone.status, 204);
    check('delete', R, gone);
    check('delete', R, await srv.request('DELETE', `/v1/Recordings/${sid}`, { auth: A }));
    check('get', M, await srv.request('GET', url.slice(srv.url.length)));
  });

  it('tus uploads: OPTIONS, create, HEAD, PATCH to completion, DELETE, and 400/401/404/409/412/413/415', async () => {
    const C = '/v1/Recordings/Uploads';
    const U = '/v1/Recordings/Uploads/{Upload}';
    const T = { 'Tus-Resumable': '1.0.0' };
    const meta = `content_type ${Buffer.from('audio/wav').toString('base64')}`;
    const P = (off, extra = {}) => ({ ...T, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(off), ...extra });
    check('options', C, await srv.request('OPTIONS', C));
    const made = await srv.request('POST', C, { auth: A, headers: { ...T, 'Upload-Length': '100', 'Upload-Metadata': meta } });
    assert.equal(made.status, 201, made.text);
    check('post', C, made);
    check('post', C, await srv.request('POST', C, { auth: A, headers: { ...T, 'Upload-Length': 'x' } }));
    check('post', C, await srv.request('POST', C, { headers: { ...T, 'Upload-Length': '1' } }));
    check('post', C, await srv.request('POST', C, { auth: A, headers: { 'Upload-Length': '1' } }));
    check('post', C, await srv.request('POST', C, { auth: A, headers: { ...T, 'Upload-Length': String(2 ** 40) } }));
    const loc = made.headers.get('location');
    check('head', U, await srv.request('HEAD', loc, { auth: A, headers: T }));
    check('head', U, await srv.request('HEAD', `${C}/${'0'.repeat(32)}`, { auth: A, headers: T }));
    check('patch', U, await srv.request('PATCH', loc, { auth: A, headers: P(0), body: Buffer.alloc(60, 1) }));
    check('patch', U, await srv.request('PATCH', loc, { auth: A, headers: P(0), body: Buffer.alloc(10, 1) }));
    check('patch', U, await srv.request('PATCH', loc, { auth: A, headers: P(60, { 'Content-Type': 'text/plain' }), body: 'x' }));
    check('patch', U, await srv.request('PATCH', loc, { auth: A, headers: P(60, { 'Tus-Resumable': '0.2.2' }), body: 'x' }));
    check('patch', U, await srv.request('PATCH', loc, { auth: A, headers: P(60), body: Buffer.alloc(41, 1) }));
    check('patch', U, await srv.request('PATCH', loc, { auth: A, headers: P('x'), body: 'x' }));
    check('patch', U, await srv.request('PATCH', `${C}/${'0'.repeat(32)}`, { auth: A, headers: P(0), body: 'x' }));
    check('patch', U, await srv.request('PATCH', loc, { headers: P(60), body: 'x' }));
    const last = await srv.request('PATCH', loc, { auth: A, headers: P(60), body: Buffer.alloc(40, 1) });
    assert.equal(last.status, 204, last.text);
    assert.match(last.headers.get('roomgate-recording-sid'), /^RE[0-9a-f]{32}$/);
    check('patch', U, last);
    check('delete', U, await srv.request('DELETE', loc, { auth: A, headers: T }));
    check('delete', U, await srv.request('DELETE', loc, { auth: A, headers: T }));
    check('delete', U, await srv.request('DELETE', loc, { headers: T }));
    check('delete', U, await srv.request('DELETE', loc, { auth: A }));
  });

  it('every operation of the document was called', () => {
    const all = [];
    for (const [p, item] of Object.entries(doc.paths))
      for (const m of METHODS) if (item[m]) all.push(`${m} ${p}`);
    const missing = all.filter((k) => !covered.has(k));
    assert.deepEqual(missing, [], `operations no test called:\n  ${missing.join('\n  ')}`);
  });

  it('the error answers went through the same check', () => {
    for (const s of [400, 401, 403, 404, 409, 410, 413, 416]) assert.ok(statuses.has(s), `no ${s} answer was checked`);
  });
});

describe('docs/openapi.yaml: the rate limits answer 429 where documented', () => {
  let srv;
  before(async () => {
    srv = await startServer({
      args: ['--auth-fail-limit', '1', '--playback-rate', '1', '--mint-rate', '1'],
      beforeServe: (cli) => { cli(['keys', 'generate-recording-keypair']); },
    });
  });
  after(async () => { if (srv) assert.equal(await srv.stop(), 0); });

  it('failed Basic authentications, minting, playback', async () => {
    const P = '/2010-04-01/Accounts/{AccountSid}/Keys.json';
    const bad = basic(srv.account.sid, 'f'.repeat(32));
    const keys = `/2010-04-01/Accounts/${srv.account.sid}/Keys.json`;
    check('get', P, await srv.request('GET', keys, { auth: bad }));
    const limited = await srv.request('GET', keys, { auth: bad });
    assert.equal(limited.status, 429);
    assert.match(limited.headers.get('retry-after'), /^[1-9]\d*$/);
    check('get', P, limited);
    // minting: one token a minute per signing key here
    const K = srv.keyAuth;
    const first = await srv.request('POST', '/v1/AccessTokens', { auth: K, json: { identity: 'a' } });
    check('post', '/v1/AccessTokens', first);
    const second = await srv.request('GET', '/token', { auth: K, query: { identity: 'a' } });
    assert.equal(second.status, 429, second.text);
    check('get', '/token', second);
    const s1 = await srv.request('GET', '/sec_rec', { query: { recording_sid: 'RE' + '0'.repeat(32) } });
    check('get', '/sec_rec', s1);
    const s2 = await srv.request('GET', '/sec_rec', { query: { recording_sid: 'RE' + '0'.repeat(32) } });
    assert.equal(s2.status, 429);
    check('get', '/sec_rec', s2);
  });
});

describe('the contract checker itself', () => {
  it('refuses an undocumented status and a body off the schema', () => {
    assert.throws(() => check('get', '/healthz', { status: 418, headers: {}, text: '' }), /does not list/);
    assert.throws(() => check('get', '/healthz', { status: 200, headers: { 'content-type': 'application/json' }, text: '{"status":"bad"}' }), /does not match/);
    assert.throws(() => check('get', '/v1/Rooms', { status: 400, headers: { 'content-type': 'application/json' }, text: '{"code":1}' }), /does not match/);
    assert.throws(() => check('delete', '/v1/Recordings/{Recording}', { status: 204, headers: {}, text: 'x' }), /shows no body/);
  });
});
