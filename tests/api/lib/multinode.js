// The multi-node scenarios (issue 15, docs/deploy.md "Several nodes"),
// run on each store by tests/api/multinode_*.test.js: three roomgate nodes
// on one store and one throw-away redis-server (lib/redis.js).
//
//   multinodeTests(() => ({ a, b, c, redis }))   inside a describe()
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, assertInvalid, assertValid, mint, validate } from './check.js';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { basic, REPO_ROOT, UNDER_VALGRIND } from './server.js';
import { redisClient, startRedis } from './redis.js';
import { join, tok } from './signal.js';
import { twJoin, twTrack } from './twclient.js';

const PG_SH = path.join(REPO_ROOT, 'scripts/pg.sh');

/**
 * A throw-away PostgreSQL (scripts/pg.sh) and Redis for a cluster of nodes:
 * { env (ROOMGATE_DB and one master key for every node), redis, stop() }.
 */
export async function startPgRedis() {
  const out = execFileSync('bash', [PG_SH, 'start'], { encoding: 'utf8', timeout: 120000 });
  const pgDir = /RG_TEST_PG_DIR='([^']+)'/.exec(out)[1];
  const port = /port=(\d+)/.exec(out)[1];
  const stopPg = () => execFileSync('bash', [PG_SH, 'stop', pgDir], { timeout: 120000 });
  let redis;
  try {
    redis = await startRedis();
  } catch (e) {
    stopPg();
    throw e;
  }
  const env = {
    ROOMGATE_DB: `postgres://roomgate@127.0.0.1:${port}/postgres?connect_timeout=5`,
    ROOMGATE_MASTER_KEY: randomBytes(32).toString('hex'),
  };
  return { env, redis, async stop() { await redis.close(); stopPg(); } };
}

// Deadlines for what another node must hear: generous, for a loaded
// machine and for servers under valgrind (they are waits, not timings).
const HEAR_MS = UNDER_VALGRIND ? 30000 : 10000;

/** Polls cond (an async predicate) until it holds; fails after ms
 * (longer under valgrind, where every node is ~20x slower).  what: the
 * condition's name, or a function saying it with what was last seen. */
export async function until(cond, what, ms = UNDER_VALGRIND ? 60000 : 20000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`never: ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const readiness = async (srv) => (await srv.request('GET', '/readyz')).json?.status;

/** Joins identity to room on srv; asserts it joined. */
async function enter(srv, identity, room) {
  const j = await join(srv, tok(srv, identity), room);
  assert.equal(j.joined.type, 'joined', JSON.stringify(j.joined));
  return { c: j.c, sid: j.joined.participant.sid, joined: j.joined };
}

/** x learns of each of ys: in its joined list, or by participant_joined
 * (in any order: a newcomer on a node that had nobody of the room yet
 * hears of the others when their nodes answer its node's hello). */
async function sees(x, ...ys) {
  const missing = new Set(ys.map((y) => y.sid).filter((sid) => !x.joined.participants.some((p) => p.sid === sid)));
  while (missing.size > 0) {
    const m = await x.c.next('participant_joined', HEAR_MS);
    assert.ok(missing.delete(m.participant.sid), `unexpected ${JSON.stringify(m)}`);
  }
}

/** from's signal reaches to across nodes, with its data. */
async function relays(from, to, data) {
  from.c.send({ type: 'signal', to: to.sid, data });
  const m = await to.c.next('signal', HEAR_MS);
  assert.deepEqual(m, { type: 'signal', from: from.sid, data });
}

export function multinodeTests(nodes) {
  let a;
  let b;
  let c;
  let redis;
  const setup = () => ({ a, b, c, redis } = nodes());

  it('two participants on different nodes see each other and exchange signals', async () => {
    setup();
    const alice = await enter(a, 'alice', 'mn-relay');
    const bob = await enter(b, 'bob', 'mn-relay');
    await sees(alice, bob);
    await sees(bob, alice);
    await relays(alice, bob, { description: { type: 'offer', sdp: 'v=0 from A' } });
    await relays(bob, alice, { description: { type: 'answer', sdp: 'v=0 from B' } });
    await relays(alice, bob, { candidate: { candidate: 'candidate:1 1 udp 1 192.0.2.1 9 typ host' } });
    // a third on node C: everyone hears of it, and it reaches both
    const carol = await enter(c, 'carol', 'mn-relay');
    await sees(carol, alice, bob);
    assert.equal((await alice.c.next('participant_joined')).participant.identity, 'carol');
    assert.equal((await bob.c.next('participant_joined')).participant.identity, 'carol');
    await relays(carol, alice, { n: 1 });
    await relays(carol, bob, { n: 2 });
    // leaving is heard on the other nodes
    await bob.c.close();
    for (const x of [alice, carol]) {
      const left = await x.c.next('participant_left');
      assert.equal(left.participant.sid, bob.sid);
    }
    await Promise.all([alice.c.close(), carol.c.close()]);
  });

  it('a REST kick on node B closes the connection on node C, and node A hears it left', async () => {
    setup();
    const carol = await enter(c, 'carol', 'mn-kick');
    const dave = await enter(a, 'dave', 'mn-kick');
    await sees(carol, dave);
    await sees(dave, carol);
    // carol's token for the rejoin is issued before the kick: the kick
    // refuses tokens issued up to its second, and one minted later (a slow
    // poll under valgrind) would be admitted, rightly
    const rejoin = tok(a, 'carol');
    const res = await b.request('POST', `/v1/Rooms/mn-kick/Participants/${carol.sid}`,
      { auth: b.keyAuth, form: { Status: 'disconnected' } });
    assert.equal(res.status, 200, res.text);
    const err = await carol.c.next('error', HEAR_MS);
    assert.equal(err.code, 53216);
    await carol.c.closed;
    const left = await dave.c.next('participant_left', HEAR_MS);
    assert.equal(left.participant.sid, carol.sid);
    // the kick revoked carol's token on every node: a rejoin on A is
    // refused once A has the revocation (at once through Redis, else at its
    // next store poll: C may close carol on its own poll before B's message
    // leaves, so "before participant_left" is not guaranteed)
    let again;
    await until(async () => {
      again = await join(a, rejoin, 'mn-kick');
      if (again.joined.type === 'error') return true;
      await again.c.close();
      return false;
    }, () => `rejoin refused on A; the last answer: ${JSON.stringify(again.joined)}`);
    assert.equal(again.joined.code, 20106);
    await again.c.closed;
    await dave.c.close();
  });

  it('a room completed through node A closes its connections on nodes B and C', async () => {
    setup();
    const erin = await enter(b, 'erin', 'mn-complete');
    const frank = await enter(c, 'frank', 'mn-complete');
    await sees(erin, frank);
    const res = await a.request('POST', '/v1/Rooms/mn-complete', { auth: a.accountAuth, form: { Status: 'completed' } });
    assert.equal(res.status, 200, res.text);
    for (const x of [erin, frank]) {
      assert.equal((await x.c.next('error', HEAR_MS)).code, 53118);
      await x.c.closed;
    }
  });

  it('a key deleted through node A is refused by node C', async () => {
    setup();
    const keys = `/2010-04-01/Accounts/${a.account.sid}/Keys`;
    const made = await a.request('POST', `${keys}.json`, { auth: a.accountAuth, form: { FriendlyName: 'mn' } });
    assert.equal(made.status, 201, made.text);
    const minted = await mint(a, { auth: basic(made.json.sid, made.json.secret), identity: 'kd', room: 'r' });
    // C learns of the new key at its next look at the store (a miss, or
    // the change mark): then it is in C's cache
    await until(async () => (await validate(c, minted.token)).json.valid === true, 'valid on C');
    assertValid(await validate(c, minted.token), { identity: 'kd', keySid: made.json.sid });
    const del = await a.request('DELETE', `${keys}/${made.json.sid}.json`, { auth: a.accountAuth });
    assert.equal(del.status, 204, del.text);
    // C's key cache follows the shared store's change mark (every 100 ms)
    await until(async () => (await validate(c, minted.token)).json.valid === false, 'refused on C');
    assertInvalid(await validate(c, minted.token), 20103);
  });

  it('a consultation cancelled through node A is refused on nodes B and C', async () => {
    setup();
    const t = Math.floor(Date.now() / 1000);
    const id = `mn-consult-${process.pid}`;
    const body = { consultation_id: id, detail_id: 'd-1', client_identity: 'client', provider_identity: 'dr',
      starts_at: new Date((t - 60) * 1000).toISOString(), ends_at: new Date((t + 1800) * 1000).toISOString() };
    const made = await a.request('POST', '/v1/Consultations', { auth: a.keyAuth, json: body });
    assert.equal(made.status, 201, made.text);
    const tokens = (srv, identity) => srv.request('POST', `/v1/Consultations/${id}/Tokens`,
      { auth: srv.keyAuth, json: { identity, detail_id: body.detail_id } });
    // each node has read it (now in its cache) and issued a token
    const onC = await tokens(c, 'dr');
    assert.equal(onC.status, 200, onC.text);
    const onB = await tokens(b, 'client');
    assert.equal(onB.status, 200, onB.text);
    const dr = await join(c, onC.json.token);
    assert.equal(dr.joined.type, 'joined', JSON.stringify(dr.joined));
    const del = await a.request('DELETE', `/v1/Consultations/${id}`, { auth: a.accountAuth });
    assert.equal(del.status, 200, del.text);
    assert.equal(del.json.status, 'cancelled');
    // the provider in the call on C is closed: its room was completed
    assert.equal((await dr.c.next('error', HEAR_MS)).code, 53118);
    await dr.c.closed;
    for (const [srv, identity, issued] of [[c, 'dr', onC.json.token], [b, 'client', onB.json.token]]) {
      // no new token (the node's cache follows the store), ...
      await until(async () => (await tokens(srv, identity)).status === 410, `tokens refused on ${srv.url}`);
      assertError(await tokens(srv, identity), 410, 53454);
      // ... the one issued before is revoked, for validation and for a join
      await until(async () => (await validate(srv, issued)).json.valid === false, `token revoked on ${srv.url}`);
      assertInvalid(await validate(srv, issued), 20106);
      // (refused as revoked, or first because its room is completed).
      // Once each loop of the node has the revocation: the validate above
      // may have been answered by the loop that learnt it first (a CI run
      // on a loaded machine admitted one join in between), as the kick
      // scenario polls its rejoin
      let again;
      await until(async () => {
        again = await join(srv, issued);
        if (again.joined.type === 'error') return true;
        await again.c.close();
        return false;
      }, () => `join refused on ${srv.url} (${srv === b ? 'B' : 'C'}); the last answer: ${JSON.stringify(again.joined)}`);
      assert.ok([20106, 53118].includes(again.joined.code), JSON.stringify(again.joined));
      await again.c.closed;
    }
  });

  it('a host on node A admits a guest waiting on node B', async () => {
    setup();
    const vtok = async (permissions, participantId) => {
      const res = await a.request('GET', '/get-token', { auth: a.keyAuth, query: { permissions, participantId } });
      assert.equal(res.status, 200, res.text);
      return res.json.token;
    };
    const host = await join(a, await vtok('allow_join', 'host'), 'mn-lobby');
    assert.equal(host.joined.type, 'joined');
    const guest = await join(b, await vtok('ask_join', 'guest'), 'mn-lobby');
    assert.equal(guest.joined.type, 'waiting', JSON.stringify(guest.joined));
    const gsid = guest.joined.participant.sid;
    const asked = await host.c.next('entry_requested', HEAR_MS);
    assert.deepEqual(asked.participant, { sid: gsid, identity: 'guest' });
    host.c.send({ type: 'entry_response', participant: gsid, decision: 'allowed' });
    assert.deepEqual(await guest.c.next('entry_responded', HEAR_MS), { type: 'entry_responded', decision: 'allowed' });
    const joined = await guest.c.next('joined', HEAR_MS);
    assert.equal(joined.participant.sid, gsid);
    assert.equal((await host.c.next('participant_joined', HEAR_MS)).participant.sid, gsid);
    await Promise.all([host.c.close(), guest.c.close()]);
  });

  it('two hosts on two nodes answer one guest at once: one decision wins, the guest gets it once, both hosts learn it', async () => {
    setup();
    const vtok = async (permissions, participantId) => {
      const res = await a.request('GET', '/get-token', { auth: a.keyAuth, query: { permissions, participantId } });
      assert.equal(res.status, 200, res.text);
      return res.json.token;
    };
    const h1 = await join(a, await vtok('allow_join', 'host-a'), 'mn-lobby-race');
    const h2 = await join(c, await vtok('allow_join', 'host-c'), 'mn-lobby-race');
    assert.equal(h1.joined.type, 'joined');
    assert.equal(h2.joined.type, 'joined');
    const hosts = [{ x: h1, sid: h1.joined.participant.sid }, { x: h2, sid: h2.joined.participant.sid }];
    // a few rounds: "at once" is a race the nodes may run either way
    for (let round = 0; round < 3; round++) {
      const identity = `guest-${round}`;
      const guest = await join(b, await vtok('ask_join', identity), 'mn-lobby-race');
      assert.equal(guest.joined.type, 'waiting', JSON.stringify(guest.joined));
      const gsid = guest.joined.participant.sid;
      for (const h of hosts) assert.equal((await h.x.c.next('entry_requested', HEAR_MS)).participant.sid, gsid);
      // at once, opposite answers (who says which alternates)
      const says = round % 2 ? ['denied', 'allowed'] : ['allowed', 'denied'];
      hosts.forEach((h, k) => h.x.c.send({ type: 'entry_response', participant: gsid, decision: says[k] }));
      const told = await guest.c.next('entry_responded', HEAR_MS);
      const won = told.decision;
      assert.ok(says.includes(won), JSON.stringify(told));
      if (won === 'allowed') assert.equal((await guest.c.next('joined', HEAR_MS)).participant.sid, gsid);
      else await guest.c.closed;
      // the losing host hears the decision that won; the winner hears no other
      const winner = hosts[says.indexOf(won)];
      const loser = hosts[1 - says.indexOf(won)];
      assert.deepEqual(await loser.x.c.next('entry_responded', HEAR_MS),
        { type: 'entry_responded', participant: { sid: gsid, identity }, decision: won });
      // a marker from the loser's node, sent after its answer: whatever that
      // node said of the guest reached the winner before it
      loser.x.c.send({ type: 'signal', to: winner.sid, data: { marker: round } });
      const seen = await winner.x.c.until((m) => m.type === 'signal' && m.data?.marker === round, HEAR_MS);
      for (const m of seen.filter((x) => x.type === 'entry_responded')) assert.equal(m.decision, won, JSON.stringify(m));
      // the guest heard one outcome only (by then the other answer reached its node)
      assert.equal(guest.c.inbox.filter((m) => m.type === 'entry_responded').length, 0);
      if (won === 'allowed') {
        await guest.c.close();
        for (const h of hosts) await h.x.c.next('participant_left', HEAR_MS);
      }
      for (const h of hosts) h.x.c.inbox.length = 0; // joins, errors of a late answer
    }
    await Promise.all([h1.c.close(), h2.c.close()]);
  });

  it('Twilio clients across nodes: a newcomer hears of everyone elsewhere with their tracks, one peer connection a pair', async () => {
    setup();
    const room = 'mn-twilio';
    const tracks = (who) => [twTrack(`${who}-mic`, 'audio'), twTrack(`${who}-cam`, 'video')];
    /** x knows each of ys connected, with its tracks by id */
    const knowsAll = (x, ys) => x.knows((peers) => ys.every((y) => peers.some((p) => p.sid === y.sid &&
      p.identity === y.identity && p.state === 'connected' &&
      JSON.stringify(p.tracks.map((t) => t.name).sort()) === JSON.stringify([`${y.identity}-cam`, `${y.identity}-mic`]))),
    ys.map((y) => y.identity).join(', '));
    /** x and y are joined by exactly one peer connection, negotiated both ways */
    const paired = async (x, y) => {
      await x.waitFor(() => x.pcsFrom(y.identity).size > 0, `${x.identity} heard from ${y.identity}`);
      await y.waitFor(() => y.pcsFrom(x.identity).size > 0, `${y.identity} heard from ${x.identity}`);
      const ids = new Set([...x.pcsFrom(y.identity), ...y.pcsFrom(x.identity)]);
      assert.equal(ids.size, 1, `${x.identity}-${y.identity}: ${JSON.stringify([...ids])}`);
    };
    // two on node A, then one on node B, which had nobody of the room
    const ann = await twJoin(a, 'ann', room, tracks('ann'));
    const bob = await twJoin(a, 'bob', room, tracks('bob'));
    await knowsAll(bob, [ann]);
    const carl = await twJoin(b, 'carl', room, tracks('carl'));
    await knowsAll(carl, [ann, bob]);
    await knowsAll(ann, [bob, carl]);
    await knowsAll(bob, [ann, carl]);
    // another on B (its node knows the room now), one on C
    const dina = await twJoin(b, 'dina', room, tracks('dina'));
    const eve = await twJoin(c, 'eve', room, tracks('eve'));
    const all = [ann, bob, carl, dina, eve];
    for (const x of all) await knowsAll(x, all.filter((y) => y !== x));
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) await paired(all[i], all[j]);
    // leaving on A is heard on B and C
    ann.bye();
    await ann.closed;
    for (const x of [carl, eve]) {
      await x.knows((peers) => peers.some((p) => p.sid === ann.sid && p.state === 'disconnected' && p.tracks.length === 0), 'ann left');
    }
    for (const x of [bob, carl, dina, eve]) { x.bye(); await x.closed; }
    // pairs joining empty rooms at once on two nodes: neither node had the
    // other's member when its own entered (the rooms made first: two nodes
    // opening one room at once is not what this tests)
    for (const i of [1, 2, 3]) {
      const name = `${room}-${i}`;
      const made = await a.request('POST', '/v1/Rooms', { auth: a.keyAuth, form: { UniqueName: name } });
      assert.equal(made.status, 201, made.text);
      const [x, y] = await Promise.all([twJoin(b, `fay${i}`, name, tracks(`fay${i}`)), twJoin(c, `gus${i}`, name, tracks(`gus${i}`))]);
      await knowsAll(x, [y]);
      await knowsAll(y, [x]);
      await paired(x, y);
      for (const z of [x, y]) { z.bye(); await z.closed; }
    }
  });

  it('a relay that comes before its sender\'s announcement: the sender is learnt from it, and the answers reach it', async () => {
    // A node that subscribes to a room late hears the others' members in
    // their nodes' answers to its hello, which those nodes publish after
    // what their loops published before: a member's first relay can come
    // first.  Played here by hand on the bus: a participant "ghost" of
    // another node, never announced, sends ann its state asking for hers.
    setup();
    const ann = await twJoin(a, 'ann', 'mn-early');
    const channel = `roomgate:0:room:${ann.connected.sid}`;
    const ghost = `PA${'f'.repeat(32)}`; // after ann's sid: ann's end offers
    const sub = await redisClient(redis.url);
    const pub = await redisClient(redis.url);
    try {
      await sub.command('SUBSCRIBE', channel);
      const state = 'tw1 state 1 connected 1 0\n"ghost"\n[]\n';
      const relay = { t: 'e', to: ann.sid, k: 8, c: 0, s: ghost, i: 'ghost', x: state, n: 'f00dfeedf00dfeed' };
      assert.equal(await pub.command('PUBLISH', channel, JSON.stringify(relay)), 2, 'node A and this test hear the room');
      await ann.knows((peers) => peers.some((p) => p.sid === ghost && p.identity === 'ghost' && p.state === 'connected'), 'ghost');
      // ann's node answers the ghost: her state, then her client's offer on
      // the peer connection the smaller sid starts (none dropped)
      const toGhost = () => sub.messages.map((m) => JSON.parse(m.data)).filter((m) => m.t === 'e' && m.to === ghost && m.s === ann.sid);
      await until(async () => toGhost().some((m) => /"tw":"pc"/.test(m.x) && /"type":"offer"/.test(m.x)), 'ann\'s offer published to the ghost', HEAR_MS);
      assert.ok(toGhost().some((m) => m.x.startsWith('tw1 state ')), 'ann\'s state went to the ghost');
      // a relay to a member this node does not serve, or from nobody, is dropped
      const stray = { ...relay, to: `PA${'e'.repeat(32)}`, s: `PA${'d'.repeat(32)}`, i: 'stray' };
      await pub.command('PUBLISH', channel, JSON.stringify(stray));
      // the ghost leaves: ann hears it, as of any member elsewhere
      await pub.command('PUBLISH', channel, JSON.stringify({ t: 'l', s: ghost, n: relay.n }));
      await ann.knows((peers) => peers.some((p) => p.sid === ghost && p.state === 'disconnected'), 'the ghost left');
      assert.ok(!ann.peers.has(stray.s), 'no member learnt from a relay to nobody here');
    } finally {
      sub.close();
      pub.close();
    }
    ann.bye();
    await ann.closed;
  });

  it('Redis restarted mid-call: nodes report degraded, keep their connections, resync, and relay again', async () => {
    setup();
    const alice = await enter(a, 'alice', 'mn-outage');
    const bob = await enter(b, 'bob', 'mn-outage');
    await sees(alice, bob);
    await sees(bob, alice);
    await relays(alice, bob, { before: true });
    await redis.stop();
    for (const s of [a, b]) await until(async () => (await readiness(s)) === 'degraded', `${s.url} degraded`);
    const ready = await a.request('GET', '/readyz');
    assert.equal(ready.status, 200, 'degraded is still 200: a Redis outage must not take every node out');
    // a node alone still serves its own participants
    const local = await enter(a, 'alone', 'mn-outage-local');
    await local.c.close();
    await redis.start();
    for (const s of [a, b]) await until(async () => (await readiness(s)) === 'ready', `${s.url} ready again`);
    // what was sent during the outage may be lost: both renegotiate
    assert.equal((await alice.c.next('resync', HEAR_MS)).reason, 'signaling_interrupted');
    assert.equal((await bob.c.next('resync', HEAR_MS)).reason, 'signaling_interrupted');
    await relays(alice, bob, { after: 1 });
    await relays(bob, alice, { after: 2 });
    await Promise.all([alice.c.close(), bob.c.close()]);
  });
}
