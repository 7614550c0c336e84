// An in-page stand-in for the signaling server, to drive the SDK into
// situations the real server never creates on purpose (offer glare from
// both sides, simultaneous ICE restarts).  installFakeHub runs inside the
// page (page.evaluate(installFakeHub, opts)); it replaces window.WebSocket
// with a class whose sockets all talk to one in-page hub that speaks the
// protocol of DESIGN.md "Signaling protocol", with a delay on every message
// so that offers cross.
//
// opts.glare: the hub holds every `signal` until both peers have sent an
// offer (the newcomer at once, the other after the SDK's grace period for
// an offer that never came), then releases them together: a true glare,
// both sides in have-local-offer when the other's offer lands.
export function installFakeHub({ delayMs = 30, glare = false } = {}) {
  const hub = { conns: [], log: [], held: glare ? [] : null, glared: false };
  const later = (fn) => setTimeout(fn, delayMs);
  const claims = (token) => JSON.parse(atob(token.split('.')[1]));

  class FakeSocket {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sid = null;
      later(() => { this.readyState = 1; this.onopen?.({}); });
    }
    send(text) {
      const msg = JSON.parse(text);
      hub.log.push({ from: this.sid, msg });
      later(() => hub.receive(this, msg));
    }
    close(code = 1000) {
      if (this.readyState >= 2) return;
      this.readyState = 3;
      hub.drop(this);
      later(() => this.onclose?.({ code }));
    }
    deliver(msg) { if (this.readyState === 1) later(() => this.onmessage?.({ data: JSON.stringify(msg) })); }
  }

  const pub = (c) => ({ sid: c.sid, identity: c.identity });
  hub.lobby = new Map(); // sid -> socket of an ask_join guest
  hub.admit = (conn) => {
    const others = hub.conns.filter((o) => o.joined);
    conn.joined = true;
    hub.conns.push(conn);
    conn.deliver({
      type: 'joined',
      room: { sid: 'RM' + '0'.repeat(32), name: conn.room || 'fake', type: 'group' },
      participant: pub(conn),
      participants: others.map(pub),
      ice_servers: [],
    });
    for (const o of others) o.deliver({ type: 'participant_joined', participant: pub(conn) });
  };
  /** The lobby's answer, as a host's entry_response would bring it. */
  hub.decide = (sid, decision) => {
    const conn = hub.lobby.get(sid);
    hub.lobby.delete(sid);
    conn.deliver({ type: 'entry_responded', decision });
    if (decision === 'allowed') return later(() => hub.admit(conn));
    conn.deliver({ type: 'error', code: 53217, message: 'denied' });
    later(() => conn.close());
  };
  hub.receive = (conn, msg) => {
    if (msg.type === 'join') {
      const c = claims(msg.token);
      if (c.error) {
        conn.deliver({ type: 'error', code: c.error, message: 'refused by the fake hub' });
        return later(() => conn.close());
      }
      conn.identity = c.identity;
      conn.sid = c.sid;
      conn.room = msg.room;
      if ((c.permissions || []).includes('ask_join')) hub.lobby.set(conn.sid, conn);
      else hub.admit(conn);
    } else if (msg.type === 'signal') {
      if (hub.held) {
        hub.held.push([conn, msg]);
        const offerers = new Set(hub.held.filter(([, m]) => m.data?.description?.type === 'offer').map(([c]) => c.sid));
        if (offerers.size < 2) return;
        const queue = hub.held;
        hub.held = null;
        hub.glared = true;
        for (const [c, m] of queue) relay(c, m);
        return;
      }
      relay(conn, msg);
    }
  };
  const relay = (conn, msg) => {
    const to = hub.conns.find((o) => o.sid === msg.to);
    to?.deliver({ type: 'signal', from: conn.sid, data: msg.data });
  };
  hub.drop = (conn) => {
    hub.lobby.delete(conn.sid);
    if (!hub.conns.includes(conn)) return;
    hub.conns = hub.conns.filter((o) => o !== conn);
    for (const o of hub.conns) o.deliver({ type: 'participant_left', participant: pub(conn) });
  };
  hub.send = (sid, msg) => [...hub.conns, ...hub.lobby.values()].find((o) => o.sid === sid)?.deliver(msg);
  window.WebSocket = FakeSocket;
  window.fakeHub = hub;
  // An unsigned token the hub understands.
  window.fakeToken = (claimsObj) => `x.${btoa(JSON.stringify(claimsObj))}.y`;
}
