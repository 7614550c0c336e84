// An installed tree (make install DESTDIR=..., or a .deb unpacked with
// dpkg -x) run as a user would: its usr/bin/roomgate serving --demo, with
// the demo page and the SDK read from its own usr/share/roomgate/web.
// Shared by install.test.js and deb.test.js.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from './server.js';

/** Starts the tree's binary with --demo and checks that /demo/ is the
 *  tree's page and /sdk/roomgate.js answers; calls more(srv) for the
 *  caller's own checks, then stops the server (exit 0). */
export async function checkInstalledDemo(root, more = async () => {}) {
  const bin = path.join(root, 'usr/bin/roomgate');
  const srv = await startServer({ bin, args: ['--demo', '--access-log', 'off'],
    beforeServe: (cli) => { cli(['demo', 'init']); } });
  try {
    const page = await srv.request('GET', '/demo/');
    assert.equal(page.status, 200, page.text);
    assert.equal(page.text, fs.readFileSync(path.join(root, 'usr/share/roomgate/web/demo/index.html'), 'utf8'));
    const sdk = await srv.request('GET', '/sdk/roomgate.js');
    assert.equal(sdk.status, 200);
    await more(srv, sdk);
  } finally {
    assert.equal(await srv.stop(), 0);
  }
}
