// Issue 14 item 1: POST validate reads the token's claims without a DOM
// (src/core/jsonr.c) and writes its answer by hand.  The answer must stay
// byte for byte what the jansson version wrote: same members, same order,
// grants/permissions as jansson re-dumps them (compact, escapes decoded and
// re-escaped), for tokens spelled compactly (echoed as is) and for tokens
// spelled with spaces and escapes (the fallback).  The second, cached answer
// is the same bytes as the first.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { assertExit0, assertInvalid, validate } from './lib/check.js';
import { b64urlJson, hmac, now } from './lib/jwt.js';

let srv;
before(async () => { srv = await startServer({ threads: 2, args: ['--access-log', 'off'] }); });
after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

/** A token whose payload is exactly this text. */
function raw(header, payloadText) {
  const h = b64urlJson(header);
  const p = Buffer.from(payloadText).toString('base64url');
  return `${h}.${p}.${hmac('HS256', srv.key.secret, `${h}.${p}`)}`;
}

const iso = (t) => new Date(t * 1000).toISOString();

/** Validates twice (uncached, then cached) and checks both texts. */
async function answers(token, expected) {
  for (let i = 0; i < 2; i++) {
    const res = await validate(srv, token);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, expected + '\n', `answer ${i + 1}`);
  }
}

describe('POST validate answers, byte for byte', () => {
  it('Twilio, compact: grants echoed as written', async () => {
    const t = now();
    const tok = raw({ alg: 'HS256', typ: 'JWT' }, `{"jti":"j","iss":"${srv.key.sid}","sub":"${srv.account.sid}","iat":${t},"nbf":${t},"exp":${t + 600},"grants":{"identity":"al\\"ice/é","video":{"room":"r1"},"chat":{"n":[1,true,null]}}}`);
    await answers(tok, `{"valid":true,"code":0,"message":null,"expiration":"${iso(t + 600)}","realm_user_id":"al\\"ice/é","identity":"al\\"ice/é","roles":[],"grants":{"identity":"al\\"ice/é","video":{"room":"r1"},"chat":{"n":[1,true,null]}},"key_sid":"${srv.key.sid}","account_sid":"${srv.account.sid}"}`);
  });

  it('Twilio, spaces, escapes and reals: grants as jansson re-dumps them', async () => {
    const t = now();
    const tok = raw({ alg: 'HS256' }, `{ "iss" : "${srv.key.sid}", "sub":"${srv.account.sid}", "exp": ${t + 600}.0,
      "grants" : { "identity" : "\\u0061lice\\n\\u001f", "video" : { "room" : "r\\/2" }, "x": -0 } }`);
    await answers(tok, `{"valid":true,"code":0,"message":null,"expiration":"${iso(t + 600)}","realm_user_id":"alice\\n\\u001F","identity":"alice\\n\\u001F","roles":[],"grants":{"identity":"alice\\n\\u001F","video":{"room":"r/2"},"x":0},"key_sid":"${srv.key.sid}","account_sid":"${srv.account.sid}"}`);
  });

  it('VideoSDK: roles, permissions (compact and spaced), roomId', async () => {
    const t = now();
    const body = (perms, extra) => `{"apikey":"${srv.key.sid}","permissions":${perms},"version":2${extra},"iat":${t},"exp":${t + 600}}`;
    const head = `{"valid":true,"code":0,"message":null,"expiration":"${iso(t + 600)}"`;
    const tail = `,"key_sid":"${srv.key.sid}","account_sid":"${srv.account.sid}"}`;
    await answers(raw({ alg: 'HS256', typ: 'JWT' }, body('["allow_join","allow_mod","allow_join"]', ',"roles":["rtc"],"roomId":"r-1","participantId":"p1"')),
      `${head},"realm_user_id":"p1","identity":"p1","roles":["rtc"],"grants":{"permissions":["allow_join","allow_mod","allow_join"],"roomId":"r-1"}${tail}`);
    await answers(raw({ alg: 'HS256', typ: 'JWT' }, body('[ "ask_join" ]', '')),
      `${head},"realm_user_id":null,"identity":null,"roles":["crawler","rtc"],"grants":{"permissions":["ask_join"]}${tail}`);
  });

  it('refusals: constant text but for the code and its message', async () => {
    const t = now();
    const tok = raw({ alg: 'HS256' }, `{"iss":"${srv.key.sid}","sub":"${srv.account.sid}","exp":${t - 3600},"grants":{"identity":"a"}}`);
    const res = await validate(srv, tok);
    assertInvalid(res, 20104);
    assert.equal(res.text, '{"valid":false,"code":20104,"message":"Access Token expired or expiration date invalid","expiration":null,"realm_user_id":null,"identity":null,"roles":[],"grants":{},"key_sid":null,"account_sid":null}\n');
    const dup = raw({ alg: 'HS256' }, `{"iss":"${srv.key.sid}","iss":"${srv.key.sid}","sub":"${srv.account.sid}","exp":${t + 60},"grants":{"identity":"a"}}`);
    const r2 = await validate(srv, dup);
    assertInvalid(r2, 20101);
    assert.equal(r2.text, '{"valid":false,"code":20101,"message":"Invalid Access Token","expiration":null,"realm_user_id":null,"identity":null,"roles":[],"grants":{},"key_sid":null,"account_sid":null}\n');
  });
});
