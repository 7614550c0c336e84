// bench/pool.mjs - writes N distinct Twilio access tokens, one per line, for
// the uncached POST validate run (bench/validate_pool.lua): each names its
// own identity (user-0 ... user-N-1) and jti, so every request of the run
// is a token the verdict cache has not seen (4,096 slots per loop thread,
// direct-mapped: after N >> 4,096 other tokens a token's slot holds
// another).  HS256 with node:crypto, the header Twilio's helper writes;
// independent from roomgate's code.  The key is the run's (env ACCOUNT_SID,
// KEY_SID, KEY_SECRET); valid for an hour from now.
// Usage: node bench/pool.mjs OUT_FILE N
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const [out, count] = process.argv.slice(2);
const n = Number(count);
const { ACCOUNT_SID: ac, KEY_SID: sk, KEY_SECRET: secret } = process.env;
if (!out || !(n > 0) || !ac || !sk || !secret) {
  console.error('usage: ACCOUNT_SID=.. KEY_SID=.. KEY_SECRET=.. node bench/pool.mjs OUT_FILE N');
  process.exit(2);
}
const b64 = (s) => Buffer.from(s).toString('base64url');
const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' }));
const now = Math.floor(Date.now() / 1000);
const lines = new Array(n);
for (let i = 0; i < n; i++) {
  const body = b64(JSON.stringify({ jti: `${sk}-${now}-${i}`, iss: sk, sub: ac, iat: now, nbf: now, exp: now + 3600,
    grants: { identity: `user-${i}`, video: { room: 'r1' } } }));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  lines[i] = `${head}.${body}.${sig}`;
}
writeFileSync(out, lines.join('\n') + '\n');
