// A local stand-in for the token validator (--playback-validator): an HTTP
// server on 127.0.0.1 that hands each request's token (the JSON body's
// "token", undefined when absent) to the test's respond(token, req, res),
// which answers in the IAM shape (docs/api.md "/sec_rec").  Resolves the
// listening server; the test closes it.
import http from 'node:http';

export function startIam(respond) {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => respond(JSON.parse(body || '{}').token, req, res));
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

/** The expiration of a valid answer: an hour from now (ISO 8601). */
export const iamExpiration = () => new Date(Date.now() + 3600e3).toISOString();

/** The answer for a token the validator does not vouch for. */
export const IAM_INVALID = { valid: false, code: 20107, message: 'Invalid signature', expiration: null };
