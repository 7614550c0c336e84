// Requests from a chosen loopback address (127.0.0.2, ... bound with
// localAddress), for the limits a server keeps per client address: each
// case comes from its own address so the budgets do not mix.  One
// keep-alive agent per address; destroy them when the file is done.
import http from 'node:http';

export function addressClient({ maxSockets }) {
  const agents = new Map();
  function agentFor(from) {
    if (!agents.has(from)) agents.set(from, new http.Agent({ keepAlive: true, maxSockets, localAddress: from }));
    return agents.get(from);
  }

  /** One request; body is a string sent as JSON, or json an object to send;
   * resolves {status, headers, json, text} (json undefined unless JSON). */
  function req(srv, method, path, { from = '127.0.0.1', auth, headers = {}, body, json } = {}) {
    return new Promise((resolve, reject) => {
      const h = { ...headers };
      if (json !== undefined) body = JSON.stringify(json);
      if (auth) h.Authorization = auth;
      if (body !== undefined) { h['Content-Type'] = 'application/json'; h['Content-Length'] = Buffer.byteLength(body); }
      const r = http.request({ host: '127.0.0.1', port: srv.port, method, path, headers: h, agent: agentFor(from), localAddress: from }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed;
          try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
          resolve({ status: res.statusCode, headers: res.headers, json: parsed, text });
        });
      });
      r.on('error', reject);
      if (body !== undefined) r.write(body);
      r.end();
    });
  }

  return { req, destroy: () => { for (const a of agents.values()) a.destroy(); } };
}
