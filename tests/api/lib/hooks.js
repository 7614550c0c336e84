// A status callback receiver for the webhook tests (docs/webhooks.md): an
// Express app on loopback that checks every request with the unchanged
// `twilio` helper (its webhook() middleware, or validateRequest for the
// routes that answer on their own) and records what arrived.
import express from 'express';
import twilio from 'twilio';
import { WebhookReceiver } from 'livekit-server-sdk';

/**
 * startReceiver(authToken) -> {base, events, seen(pred, n), plan(path, statuses), close()}
 * events: every request that passed validation: {path, method, params, eventId, signature}.
 * A path's plan lists the statuses it answers, one per request, then 200.
 * livekitKey {sid, secret}: POST /livekit checks LiveKit's format with
 * livekit-server-sdk's WebhookReceiver; its events are {path, livekit}.
 */
export async function startReceiver(authToken, { livekitKey } = {}) {
  const app = express();
  const events = [];
  const plans = new Map();
  const waiters = new Set();
  let base;
  const record = (req) => {
    const params = req.method === 'GET' ? { ...req.query } : { ...req.body };
    events.push({ path: req.path, method: req.method, params, eventId: req.get('X-Roomgate-Event-Id'), signature: req.get('X-Twilio-Signature') });
    for (const w of waiters) w();
  };
  if (livekitKey) {
    const lk = new WebhookReceiver(livekitKey.sid, livekitKey.secret);
    app.post('/livekit', express.text({ type: 'application/webhook+json' }), async (req, res) => {
      try {
        const ev = await lk.receive(req.body, req.get('Authorization'));
        events.push({ path: req.path, method: req.method, params: {}, livekit: ev, contentType: req.get('Content-Type') });
        for (const w of waiters) w();
        res.status(200).end();
      } catch (e) {
        res.status(401).send(e.message);
      }
    });
  }
  app.use(express.urlencoded({ extended: false }));
  // the middleware as a Twilio user writes it: it answers 403 to a bad signature
  app.post('/hook', (req, res, next) => twilio.webhook(authToken, { validate: true, url: `${base}/hook` })(req, res, next),
    (req, res) => { record(req); res.status(204).end(); });
  // GET callbacks carry the parameters in the query: the signed URL is the whole URL
  app.get('/get-hook', (req, res) => {
    const ok = twilio.validateRequest(authToken, req.get('X-Twilio-Signature') || '', `${base}${req.originalUrl}`, {});
    if (!ok) return res.status(403).end();
    record(req);
    res.status(200).end();
  });
  // planned answers, for the retry tests; validated first
  app.post('/plan/:name', (req, res) => {
    const ok = twilio.validateRequest(authToken, req.get('X-Twilio-Signature') || '', `${base}${req.originalUrl}`, req.body);
    if (!ok) return res.status(403).end();
    record(req);
    const plan = plans.get(req.params.name) || [];
    res.status(plan.length ? plan.shift() : 200).send('x');
  });
  const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    events,
    plan(name, statuses) { plans.set(name, [...statuses]); },
    /** Resolves with the events matching pred once there are at least n of them. */
    seen(pred, n, what = 'events') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const got = events.filter(pred);
          if (got.length >= n) { waiters.delete(check); clearTimeout(t); resolve(got); }
        };
        const t = setTimeout(() => { waiters.delete(check); reject(new Error(`timed out waiting for ${n} ${what}; got ${JSON.stringify(events.filter(pred))}`)); }, 60000);
        waiters.add(check);
        check();
      });
    },
    close() { server.closeAllConnections(); return new Promise((resolve) => server.close(resolve)); },
  };
}
