// Shared assertions for the contract in docs/api.md.
import assert from 'node:assert/strict';
import { errorUrl } from './server.js';
import { ISO_MS_RE } from './jwt.js';

function describeRes(res) {
  return `HTTP ${res.status} ${res.text?.slice(0, 400)}`;
}

export function assertJsonContentType(res) {
  const ct = res.headers.get ? res.headers.get('content-type') : res.headers['content-type'];
  assert.match(ct || '', /^application\/json(;\s*charset=utf-8)?$/i, `content-type of ${describeRes(res)}`);
}

/**
 * Twilio error shape: {code, message, more_info, status}, status matches.
 * opts.param: the message must name this parameter. opts.twilio=false skips
 * the more_info URL check (VideoSDK codes).
 */
export function assertError(res, status, code, { param, twilio = true } = {}) {
  assert.equal(res.status, status, `expected HTTP ${status}, got ${describeRes(res)}`);
  assertJsonContentType(res);
  assert.ok(res.json && typeof res.json === 'object', `error body must be JSON: ${describeRes(res)}`);
  assert.equal(res.json.code, code, `error code: ${describeRes(res)}`);
  assert.equal(res.json.status, status, `error body status: ${describeRes(res)}`);
  assert.equal(typeof res.json.message, 'string', `error message: ${describeRes(res)}`);
  assert.ok(res.json.message.length > 0, 'error message non-empty');
  if (twilio) assert.equal(res.json.more_info, errorUrl(code), `more_info: ${describeRes(res)}`);
  if (param) assert.ok(res.json.message.includes(param), `message should name "${param}": ${res.json.message}`);
}

export function assert401(res) {
  assertError(res, 401, 20003);
  const wa = res.headers.get ? res.headers.get('www-authenticate') : res.headers['www-authenticate'];
  assert.equal(wa, 'Basic realm="roomgate"', 'WWW-Authenticate header');
}

export function assertStatus(res, status) {
  assert.equal(res.status, status, `expected HTTP ${status}, got ${describeRes(res)}`);
}

const VALIDATE_FIELDS = ['valid', 'code', 'message', 'expiration', 'realm_user_id', 'identity', 'roles', 'grants', 'key_sid', 'account_sid'].sort();

/** A 200 valid:false answer with the given code, other fields empty. */
export function assertInvalid(res, code) {
  assertStatus(res, 200);
  assertJsonContentType(res);
  const b = res.json;
  assert.deepEqual(Object.keys(b).sort(), VALIDATE_FIELDS, `validate fields: ${res.text}`);
  assert.equal(b.valid, false, `expected valid:false: ${res.text}`);
  assert.equal(b.code, code, `validation code: ${res.text}`);
  assert.equal(typeof b.message, 'string', 'message is a string');
  assert.equal(b.expiration, null, 'expiration null');
  assert.equal(b.realm_user_id, null, 'realm_user_id null');
  assert.equal(b.identity, null, 'identity null');
  assert.equal(b.key_sid, null, 'key_sid null');
  assert.equal(b.account_sid, null, 'account_sid null');
  assert.ok(b.roles === null || (Array.isArray(b.roles) && b.roles.length === 0), 'roles null or []');
  assert.ok(b.grants === null || (typeof b.grants === 'object' && Object.keys(b.grants).length === 0), 'grants null or {}');
}

/** A 200 valid:true answer; returns the body. */
export function assertValid(res, { identity, keySid, exp, grants, roles } = {}) {
  assertStatus(res, 200);
  assertJsonContentType(res);
  const b = res.json;
  assert.deepEqual(Object.keys(b).sort(), VALIDATE_FIELDS, `validate fields: ${res.text}`);
  assert.equal(b.valid, true, `expected valid:true: ${res.text}`);
  assert.equal(b.code, 0, 'code 0 on success');
  assert.equal(b.message, null, 'message null on success');
  assert.match(b.expiration, ISO_MS_RE, 'expiration ISO 8601 with ms');
  assert.match(b.account_sid, /^AC[0-9a-f]{32}$/, 'account_sid: the account the answer vouches for');
  if (exp !== undefined) assert.equal(Date.parse(b.expiration), exp * 1000, 'expiration == exp');
  if (identity !== undefined) {
    assert.equal(b.identity, identity, 'identity');
    assert.equal(b.realm_user_id, identity, 'realm_user_id');
  }
  if (keySid !== undefined) assert.equal(b.key_sid, keySid, 'key_sid');
  if (grants !== undefined) assert.deepEqual(b.grants, grants, 'grants');
  if (roles !== undefined) assert.deepEqual(b.roles, roles, 'roles');
  return b;
}

/** POST /v1/Accounts/{AC}/Tokens/validate with account creds and a JSON body. */
export function validate(srv, token, { account = srv.account, auth } = {}) {
  return srv.request('POST', `/v1/Accounts/${account.sid}/Tokens/validate`, {
    auth: auth ?? basicOf(account.sid, account.auth_token),
    json: { token },
  });
}

function basicOf(u, p) {
  return 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');
}

/** Mint a Twilio token through POST /v1/AccessTokens; returns the body. */
export async function mint(srv, { auth = srv.keyAuth, identity = 'alice', room, ttl, kind } = {}) {
  const json = { identity };
  if (room !== undefined) json.room = room;
  if (ttl !== undefined) json.ttl = ttl;
  if (kind !== undefined) json.kind = kind;
  const res = await srv.request('POST', '/v1/AccessTokens', { auth, json });
  assertStatus(res, 200);
  return res.json;
}

/** The server exited 0; otherwise show its non-access-log stderr (sanitizer reports). */
export function assertExit0(srv, code) {
  const diag = srv.stderr().split('\n').filter((l) => !l.startsWith('{')).join('\n').trim();
  assert.equal(code, 0, `roomgate exit code ${code}${diag ? `; stderr:\n${diag.slice(0, 3000)}` : ''}`);
}

/** 429 / 20429 with a Retry-After of whole seconds, at least 1 (and at
 * most maxRetryAfter when given). */
export function assert429(res, { maxRetryAfter } = {}) {
  assert.equal(res.status, 429, `expected 429, got ${res.status} ${res.text}`);
  assert.equal(res.json.code, 20429);
  assert.equal(res.json.status, 429);
  assert.equal(res.json.more_info, 'https://www.twilio.com/docs/errors/20429');
  const ra = Number(res.headers['retry-after']);
  const inRange = maxRetryAfter === undefined ? ra >= 1 : ra >= 1 && ra <= maxRetryAfter;
  assert.ok(Number.isInteger(ra) && inRange, `Retry-After: ${res.headers['retry-after']}`);
}
