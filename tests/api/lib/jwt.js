// Minimal JWT helpers built on node:crypto, for decoding our tokens and for
// crafting hostile ones. Deliberately independent from the server's code.
import { createHmac, randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const b64urlJson = (obj) => b64url(typeof obj === 'string' ? obj : JSON.stringify(obj));

const HASH = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/** HMAC-sign `${h}.${p}` with secret (utf-8 string, as Twilio/VideoSDK do). */
export function hmac(alg, secret, data) {
  return createHmac(HASH[alg] || 'sha256', secret).update(data).digest('base64url');
}

/**
 * sign(header, payload, secret, {alg}) -> compact JWT. header/payload may be
 * objects (JSON-encoded) or raw strings (encoded as given). The MAC algorithm
 * is `alg` (defaults to header.alg when it is an HS*, else HS256).
 */
export function sign(header, payload, secret, { alg } = {}) {
  const h = b64urlJson(header);
  const p = b64urlJson(payload);
  const a = alg || (typeof header === 'object' && HASH[header.alg] ? header.alg : 'HS256');
  return `${h}.${p}.${hmac(a, secret, `${h}.${p}`)}`;
}

export const now = () => Math.floor(Date.now() / 1000);

/** A Twilio-shaped access token (as twilio's helper / our server mint it). */
export function twilioToken({ keySid, secret, accountSid, identity = 'user', room, iat = now(), ttl = 3600, alg = 'HS256', extra = {}, header = {} }) {
  const payload = {
    jti: `${keySid}-${iat}`,
    iss: keySid,
    sub: accountSid,
    iat,
    nbf: iat,
    exp: iat + ttl,
    grants: { identity, video: room === undefined ? {} : { room } },
    ...extra,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return sign({ alg, typ: 'JWT', cty: 'twilio-fpa;v=1', ...header }, payload, secret, { alg });
}

/** Decode without verifying: {header, payload, headerJson (raw string), signature}. */
export function decode(token) {
  assert.equal(typeof token, 'string', 'token must be a string');
  const parts = token.split('.');
  assert.equal(parts.length, 3, `token must have 3 segments: ${token}`);
  const headerJson = Buffer.from(parts[0], 'base64url').toString('utf8');
  const payloadJson = Buffer.from(parts[1], 'base64url').toString('utf8');
  return { header: JSON.parse(headerJson), headerJson, payload: JSON.parse(payloadJson), payloadJson, signature: parts[2], parts };
}

/** True when the token's MAC matches `secret` under the header's alg. */
export function verifies(token, secret) {
  const { header, parts } = decode(token);
  return hmac(header.alg, secret, `${parts[0]}.${parts[1]}`) === parts[2];
}

export const randomSid = (prefix) => prefix + randomBytes(16).toString('hex');

export const UUID4_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const ISO_MS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Whole-second ISO 8601, as Twilio's v1 APIs (Video) write dates. */
export const ISO_S_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
export const RFC2822_RE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;
export const SK_RE = /^SK[0-9a-f]{32}$/;
export const AC_RE = /^AC[0-9a-f]{32}$/;
