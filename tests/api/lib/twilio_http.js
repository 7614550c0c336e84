// A twilio httpClient that sends what twilio-node's RequestClient would send
// to Twilio's hosts (api.twilio.com, video.twilio.com) to our server instead,
// and answers in RequestClient's shape: {statusCode, body, headers} (body
// parsed like axios does). URLs that already point at our server (v1 pages
// carry absolute next_page_url links built from our Host) pass unchanged.
import assert from 'node:assert/strict';
import { basic } from './server.js';

export const TWILIO_HOSTS = ['api.twilio.com', 'video.twilio.com'];

export function makeHttpClient(base, log = [], hosts = TWILIO_HOSTS) {
  const ours = new URL(base + '/').host;
  return {
    async request(opts) {
      const u = new URL(opts.uri);
      assert.ok(hosts.includes(u.hostname) || u.host === ours, `unexpected host ${u.host}`);
      const target = new URL(u.pathname + u.search, base + '/');
      if (opts.params) {
        for (const [k, v] of Object.entries(opts.params)) {
          if (v === undefined) continue;
          for (const item of Array.isArray(v) ? v : [v]) target.searchParams.append(k, String(item));
        }
      }
      const headers = { ...(opts.headers || {}) };
      if (opts.username && opts.password) headers.Authorization = basic(opts.username, opts.password);
      let body;
      if (opts.data && Object.keys(opts.data).length > 0) {
        const ct = headers['Content-Type'] || 'application/x-www-form-urlencoded';
        headers['Content-Type'] = ct;
        if (ct === 'application/json') body = JSON.stringify(opts.data);
        else {
          const form = new URLSearchParams();
          for (const [k, v] of Object.entries(opts.data)) {
            if (v === undefined) continue;
            for (const item of Array.isArray(v) ? v : [v]) form.append(k, String(item));
          }
          body = form.toString();
        }
      }
      const method = String(opts.method).toUpperCase();
      log.push(`${method} ${target.pathname}${target.search}`);
      const res = await fetch(target, { method, headers, body });
      const text = await res.text();
      let parsed = text;
      try { if (text !== '') parsed = JSON.parse(text); } catch { parsed = text; }
      return { statusCode: res.status, body: parsed, headers: Object.fromEntries(res.headers) };
    },
  };
}
