// Helpers for the recording / secure playback suites: a server with a
// recording key pair and an import dir, uploads, tokens, /sec_rec calls,
// and an independent reader of the at-rest format (openssl for the RSA
// unwrap, node:crypto for AES-GCM) to check what is on disk.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, cliJson, runCli } from './server.js';

export const SEG = 65536;

/**
 * A data dir with an account and a key made by the CLI, before any server:
 * for options that name the account (pass the result to startRecServer).
 */
export function prepareDataDir() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-api-'));
  const account = cliJson(runCli(dataDir, ['account', 'create']));
  const key = cliJson(runCli(dataDir, ['key', 'create', '--account', account.sid]));
  return { dataDir, account, key };
}

/**
 * A server with `keys generate-recording-keypair` run and an import dir.
 * dataDir/account/key: as startServer's (e.g. from prepareDataDir()).
 */
export async function startRecServer({ args = [], env = {}, keys = true, importDir = true, threads = 2,
  dataDir, account, key } = {}) {
  const imp = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-import-'));
  const extra = importDir ? ['--import-dir', imp] : [];
  const srv = await startServer({
    args: [...extra, ...args],
    env,
    threads,
    dataDir,
    account,
    key,
    beforeServe: keys ? (cli) => cliJson(cli(['keys', 'generate-recording-keypair'])) : undefined,
  });
  srv.importDir = imp;
  // each account imports from its own subdirectory; the harness account's is made here
  srv.accountImportDir = path.join(imp, srv.account.sid);
  fs.mkdirSync(srv.accountImportDir);
  srv.privPem = path.join(srv.dataDir, 'recording-private.pem');
  srv.pubPem = path.join(srv.dataDir, 'recording-public.pem');
  const stop = srv.stop.bind(srv);
  srv.stop = async (...a) => {
    try {
      return await stop(...a);
    } finally {
      fs.rmSync(imp, { recursive: true, force: true });
    }
  };
  return srv;
}

/** A buffer of n bytes made of a recognisable ASCII pattern. */
export function patterned(n, tag = 'ROOMGATE-PLAINTEXT-PATTERN-') {
  const unit = Buffer.from(`${tag}0123456789abcdefghijklmnopqrstuvwxyz|`);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += unit.length) unit.copy(b, i, 0, Math.min(unit.length, n - i));
  return b;
}

export async function upload(srv, body, { query = {}, contentType = 'audio/ogg', auth = srv.accountAuth } = {}) {
  return srv.request('POST', '/v1/Recordings', { auth, query, body, headers: { 'Content-Type': contentType } });
}

/** A Twilio-format token for identity, minted by the server. */
export async function tokenFor(srv, identity, { ttl } = {}) {
  const json = { identity };
  if (ttl) json.ttl = ttl;
  const res = await srv.request('POST', '/v1/AccessTokens', { auth: srv.keyAuth, json });
  if (res.status !== 200) throw new Error(`mint failed: ${res.text}`);
  return res.json.token;
}

export const tokenAuth = (jwt) => 'Basic ' + Buffer.from(`token:${jwt}`).toString('base64');

export function secRec(srv, sid, jwt, { headers = {} } = {}) {
  return srv.request('GET', '/sec_rec', {
    query: { recording_sid: sid },
    headers: jwt === undefined ? headers : { ...headers, Authorization: tokenAuth(jwt) },
  });
}

/** media_url of a granted /sec_rec for a fresh token of identity. */
export async function mediaUrl(srv, sid, identity = 'alice') {
  const res = await secRec(srv, sid, await tokenFor(srv, identity));
  if (res.status !== 200) throw new Error(`sec_rec ${res.status}: ${res.text}`);
  return res.json.media_url;
}

export const recFile = (srv, sid) => path.join(srv.dataDir, 'recordings', `${sid}.rgrec`);

/** Parses the header of an .rgrec file (see src/core/recfmt.h). */
export function parseHeader(buf) {
  if (buf.subarray(0, 8).toString('latin1') !== 'RGREC01\n') throw new Error('bad magic');
  const headerLen = buf.readUInt32BE(8);
  const segment = buf.readUInt32BE(12);
  const size = Number(buf.readBigUInt64BE(16));
  const nonce = buf.subarray(24, 36);
  const sid = buf.subarray(36, 70).toString('latin1');
  const wrappedLen = buf.readUInt16BE(102);
  const wrapped = buf.subarray(104, 104 + wrappedLen);
  return { headerLen, segment, size, nonce, sid, wrapped, raw: buf.subarray(0, headerLen) };
}

function segNonce(fileNonce, i, last) {
  const n = Buffer.from(fileNonce);
  let v = BigInt(i);
  for (let k = 10; k >= 3; k--, v >>= 8n) n[k] ^= Number(v & 0xffn);
  if (last) n[11] ^= 1;
  return n;
}

/**
 * Decrypts an .rgrec file independently of the server: the file key is
 * unwrapped by the openssl CLI with the private key, the segments are
 * opened with node:crypto's AES-256-GCM.  Throws on any tag failure.
 */
export function decryptWithOpenssl(file, privPem) {
  const buf = fs.readFileSync(file);
  const h = parseHeader(buf);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-unwrap-'));
  let key;
  try {
    fs.writeFileSync(path.join(tmp, 'wrapped'), h.wrapped);
    execFileSync('openssl', ['pkeyutl', '-decrypt', '-inkey', privPem, '-in', path.join(tmp, 'wrapped'),
      '-out', path.join(tmp, 'key'), '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256',
      '-pkeyopt', 'rsa_mgf1_md:sha256'], { stdio: 'pipe' });
    key = fs.readFileSync(path.join(tmp, 'key'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const nseg = Math.max(1, Math.ceil(h.size / h.segment));
  const out = [];
  let off = h.headerLen;
  for (let i = 0; i < nseg; i++) {
    const plain = Math.min(h.segment, h.size - i * h.segment);
    const ct = buf.subarray(off, off + plain);
    const tag = buf.subarray(off + plain, off + plain + 16);
    if (tag.length !== 16) throw new Error(`segment ${i} truncated`);
    const d = crypto.createDecipheriv('aes-256-gcm', key, segNonce(h.nonce, i, i === nseg - 1));
    d.setAAD(h.raw);
    d.setAuthTag(tag);
    out.push(d.update(ct), d.final());
    off += plain + 16;
  }
  if (off !== buf.length) throw new Error(`trailing bytes: ${buf.length - off}`);
  return Buffer.concat(out);
}

/** Encrypts like Twilio's Voice Recording Encryption; returns {body, details}. */
export function twilioEncrypt(plain, pubPem) {
  const cek = crypto.randomBytes(32);
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', cek, iv);
  const body = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  const encrypted_cek = crypto.publicEncrypt(
    { key: fs.readFileSync(pubPem), padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
  return {
    body,
    details: { type: 'rsa-aes', public_key_sid: 'CR' + crypto.randomBytes(16).toString('hex'),
      encrypted_cek: encrypted_cek.toString('base64'), iv: iv.toString('base64') },
  };
}

/** GET a media URL as raw bytes; {status, headers, body} or {error}. */
export async function fetchMedia(url, { headers = {}, method = 'GET' } = {}) {
  try {
    const res = await fetch(url, { headers, method });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body, text: body.toString('utf8') };
  } catch (e) {
    return { error: e };
  }
}

export function sqlite(dataDir, sql) {
  return execFileSync('sqlite3', [path.join(dataDir, 'roomgate.db'), sql], { encoding: 'utf8' });
}
