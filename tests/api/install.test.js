// Issue 13 Operations item 2: `make install` (PREFIX, DESTDIR) puts the
// binary, the web files (under share, where the server looks for them), the
// systemd unit and the example environment file in place; the installed
// binary serves the demo page from another directory; the unit passes
// `systemd-analyze verify` (systemd is in scripts/deps.sh test_pkgs).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './lib/server.js';
import { checkInstalledDemo } from './lib/installed.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-install-'));
const cwd = path.join(tmp, 'elsewhere');
fs.mkdirSync(cwd);
before(() => process.chdir(cwd));
after(() => { process.chdir(REPO_ROOT); fs.rmSync(tmp, { recursive: true, force: true }); });

/** `make install` with these variables; returns its stdout. */
function makeInstall(vars) {
  return execFileSync('make', ['-s', '--no-print-directory', '-C', REPO_ROOT, 'install',
    ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)], { encoding: 'utf8', timeout: 300000 });
}

describe('make install', () => {
  const root = path.join(tmp, 'root');

  it('DESTDIR + PREFIX=/usr: binary, web files, unit, example config', () => {
    makeInstall({ DESTDIR: root, PREFIX: '/usr' });
    const bin = path.join(root, 'usr/bin/roomgate');
    assert.ok(fs.statSync(bin).mode & 0o111, 'the binary is executable');
    for (const f of ['web/sdk/roomgate.js', 'web/demo/index.html', 'web/demo/demo.js',
      'web/examples/twilio-video/index.html', 'web/examples/twilio-video/app.js']) {
      assert.deepEqual(fs.readFileSync(path.join(root, 'usr/share/roomgate', f)),
        fs.readFileSync(path.join(REPO_ROOT, f)), f);
    }
    const unit = fs.readFileSync(path.join(root, 'usr/lib/systemd/system/roomgate.service'), 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/bin\/roomgate serve --data \/var\/lib\/roomgate$/m);
    assert.match(unit, /^EnvironmentFile=-\/etc\/roomgate\/roomgate\.env$/m);
    for (const line of ['DynamicUser=yes', 'StateDirectory=roomgate', 'ProtectSystem=strict',
      'ProtectHome=yes', 'NoNewPrivileges=yes', 'PrivateTmp=yes', 'PrivateDevices=yes',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX', 'SystemCallFilter=@system-service',
      'LockPersonality=yes', 'MemoryDenyWriteExecute=yes', 'RestrictNamespaces=yes',
      'ProtectKernelTunables=yes', 'ProtectKernelModules=yes', 'ProtectControlGroups=yes',
      'CapabilityBoundingSet=']) {
      assert.ok(unit.split('\n').includes(line), `unit has ${line}`);
    }
    const env = fs.readFileSync(path.join(root, 'etc/roomgate/roomgate.env.example'), 'utf8');
    assert.match(env, /^ROOMGATE_LISTEN=127\.0\.0\.1:8080$/m);
  });

  it('the installed binary, run from another directory, serves /demo/ from share', async () => {
    assert.equal(process.cwd(), fs.realpathSync(cwd));
    assert.ok(fs.existsSync(path.join(root, 'usr/bin/roomgate')), 'installed by the test before');
    await checkInstalledDemo(root);
  });

  it('the unit passes systemd-analyze verify (ExecStart pointing at an installed binary)', () => {
    // Without DESTDIR the unit names PREFIX's binary, which exists, so
    // verify can check ExecStart too; --root would need a whole systemd tree.
    const prefix = path.join(tmp, 'prefix');
    makeInstall({ PREFIX: prefix });
    const unitPath = path.join(prefix, 'lib/systemd/system/roomgate.service');
    assert.match(fs.readFileSync(unitPath, 'utf8'), new RegExp(`^ExecStart=${prefix}/bin/roomgate serve`, 'm'));
    const r = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'systemd-analyze runs (scripts/deps.sh test installs systemd)');
    assert.equal(r.status, 0, r.stderr);
    // verify reports unknown keys and bad values as warnings with status 0
    assert.equal(r.stderr.trim(), '', 'no warnings');
  });

  it('systemd-analyze verify does flag a broken unit (the check above is not vacuous)', () => {
    const prefix = path.join(tmp, 'prefix');
    const bad = path.join(tmp, 'roomgate.service');
    fs.writeFileSync(bad, fs.readFileSync(path.join(prefix, 'lib/systemd/system/roomgate.service'), 'utf8')
      .replace('ProtectSystem=strict', 'ProtectSytem=strict'));
    const r = spawnSync('systemd-analyze', ['verify', bad], { encoding: 'utf8' });
    assert.match(r.stderr, /Unknown key 'ProtectSytem'/);
  });
});
