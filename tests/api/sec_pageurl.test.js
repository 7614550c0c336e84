// Issue 10 (leftover of item 10): the links in answers (meta.url,
// first_page_url, next_page_url, ... of /v1/Rooms, Participants and
// Recordings, and a resource's own url) were built from any Host header,
// so `Host: attacker.example` made the server hand out links to another
// server.  Now: --public-url when set; else the request's Host only when
// /sec_rec would accept it (loopback, the --listen address,
// --allowed-hosts); else relative links (a path, no scheme or host).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rawRequest } from './lib/server.js';
import { assertExit0, assertStatus } from './lib/check.js';

const FOREIGN = ['attacker.example', 'localhost.attacker.example', '127.0.0.1.nip.io', '10.0.0.1'];

function withHost(srv, p, host, auth) {
  return rawRequest(srv.url, 'GET', p, { headers: { Host: host, Authorization: auth } });
}

/** Every link of a page answer and of its items. */
function links(json, key) {
  const m = json.meta;
  const out = [m.url, m.first_page_url, m.next_page_url, m.previous_page_url].filter((u) => u !== null);
  for (const item of json[key]) {
    if (item.url) out.push(item.url);
    for (const l of Object.values(item.links || {})) out.push(l);
  }
  return out;
}

async function seed(srv) {
  for (const name of ['page-a', 'page-b', 'page-c']) {
    assertStatus(await srv.request('POST', '/v1/Rooms', { auth: srv.keyAuth, json: { UniqueName: name } }), 201);
  }
  const rooms = await srv.request('GET', '/v1/Rooms', { auth: srv.keyAuth });
  assertStatus(rooms, 200);
  return rooms.json.rooms[0].sid;
}

/** The list routes, each on page 1 of size 1 so that every meta link is set. */
const routes = (room) => [
  ['/v1/Rooms?PageSize=1&Page=1', 'rooms'],
  [`/v1/Rooms/${room}/Participants?PageSize=1`, 'participants'],
  ['/v1/Recordings?PageSize=1', 'recordings'],
];

describe('links in answers without --public-url', () => {
  let srv;
  let room;
  before(async () => {
    srv = await startServer({ args: ['--allowed-hosts', 'rg.example,media.example:8443'] });
    room = await seed(srv);
  });
  after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

  it('a foreign Host gets relative links, never its own name', async () => {
    for (const host of FOREIGN) {
      for (const [p, key] of routes(room)) {
        const res = await withHost(srv, p, host, srv.keyAuth);
        assertStatus(res, 200);
        assert.ok(!res.text.includes(host), `${host} ${p}: the answer names the Host: ${res.text.slice(0, 300)}`);
        const all = links(res.json, key);
        assert.ok(all.length >= 2, `${p}: links ${JSON.stringify(all)}`);
        for (const u of all) assert.match(u, /^\/v1\//, `${host} ${p}: ${u}`);
      }
      const one = await withHost(srv, `/v1/Rooms/${room}`, host, srv.keyAuth);
      assertStatus(one, 200);
      assert.equal(one.json.url, `/v1/Rooms/${room}`);
    }
    // the relative next page is followable as is
    const first = await withHost(srv, '/v1/Rooms?PageSize=1', 'attacker.example', srv.keyAuth);
    const next = await withHost(srv, first.json.meta.next_page_url, 'attacker.example', srv.keyAuth);
    assertStatus(next, 200);
    assert.equal(next.json.meta.page, 1);
    assert.notEqual(next.json.rooms[0].sid, first.json.rooms[0].sid);
  });

  it('loopback, the listen address and --allowed-hosts get absolute links', async () => {
    const port = new URL(srv.url).port;
    const cases = [[`127.0.0.1:${port}`, `http://127.0.0.1:${port}`], [`localhost:${port}`, `http://localhost:${port}`],
      ['rg.example', 'http://rg.example'], ['media.example:8443', 'http://media.example:8443']];
    for (const [host, base] of cases) {
      for (const [p, key] of routes(room)) {
        const res = await withHost(srv, p, host, srv.keyAuth);
        assertStatus(res, 200);
        for (const u of links(res.json, key)) assert.ok(u.startsWith(`${base}/v1/`), `${host} ${p}: ${u}`);
      }
    }
    // an allowed name on another port than the one listed is foreign
    const res = await withHost(srv, '/v1/Rooms?PageSize=1', 'media.example:9999', srv.keyAuth);
    assert.match(res.json.meta.url, /^\/v1\/Rooms\?/);
  });
});

describe('links in answers with --public-url', () => {
  let srv;
  let room;
  before(async () => {
    srv = await startServer({ args: ['--public-url', 'https://rg.example.com/base/'] });
    room = await seed(srv);
  });
  after(async () => { if (srv) assertExit0(srv, await srv.stop()); });

  it('every link starts with --public-url, whatever the Host', async () => {
    for (const host of ['attacker.example', '127.0.0.1']) {
      for (const [p, key] of routes(room)) {
        const res = await withHost(srv, p, host, srv.keyAuth);
        assertStatus(res, 200);
        for (const u of links(res.json, key)) assert.ok(u.startsWith('https://rg.example.com/base/v1/'), `${host} ${p}: ${u}`);
      }
    }
  });
});
