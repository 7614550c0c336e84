// Issue 13 Operations item 2: `make deb` builds a Debian package of roomgate
// (scripts/deb.sh) whose runtime dependencies are computed from the binary,
// that lintian accepts without errors, and that, unpacked into a temporary
// root with `dpkg -x`, serves the demo page from there. lintian and dpkg-dev
// come from scripts/deps.sh test_pkgs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { REPO_ROOT } from './lib/server.js';
import { checkInstalledDemo } from './lib/installed.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-deb-'));
const root = path.join(tmp, 'root');
let deb;

/** One field of the package's control file. */
function field(name) {
  return execFileSync('dpkg-deb', ['-f', deb, name], { encoding: 'utf8' }).trim();
}

/** lintian's exit status and tags for a package (errors only fail it). */
function lintian(file) {
  const r = spawnSync('lintian', ['--fail-on', 'error', file], { encoding: 'utf8', timeout: 300000 });
  assert.equal(r.error, undefined, 'lintian runs (scripts/deps.sh test installs it)');
  return { status: r.status, tags: r.stdout };
}

before(() => {
  const out = execFileSync('make', ['-s', '--no-print-directory', '-C', REPO_ROOT, 'deb'],
    { encoding: 'utf8', timeout: 600000 });
  deb = path.resolve(REPO_ROOT, out.trim().split('\n').pop());
  execFileSync('dpkg', ['-x', deb, root]);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('make deb', () => {
  it('names the package after its version and architecture', () => {
    const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
    assert.equal(path.basename(deb), `roomgate_${field('Version')}_${arch}.deb`);
    assert.equal(field('Package'), 'roomgate');
    assert.equal(field('Architecture'), arch);
  });

  it('depends on the package of every library the binary links, and on nothing else', () => {
    // The libraries the packaged binary needs (ELF NEEDED) -> the packages
    // that ship them on this system: Depends must list exactly those, each
    // with a version from the library's symbols or shlibs file.
    const needed = execFileSync('objdump', ['-p', path.join(root, 'usr/bin/roomgate')], { encoding: 'utf8' })
      .split('\n').map((l) => l.match(/^\s*NEEDED\s+(\S+)/)).filter(Boolean).map((m) => m[1]);
    assert.ok(needed.includes('libjansson.so.4') && needed.includes('libh2o-evloop.so.0.13'), needed.join(' '));
    // where the loader finds each one (ldd), then the package that owns
    // that very file (dpkg -S; /lib and /usr/lib are one directory since
    // usrmerge, and dpkg may know either spelling)
    const found = new Map(execFileSync('ldd', [path.join(root, 'usr/bin/roomgate')], { encoding: 'utf8' })
      .split('\n').map((l) => l.match(/^\s*(\S+) => (\/\S+)/)).filter(Boolean).map((m) => [m[1], m[2]]));
    const owners = new Set(needed.map((lib) => {
      const file = found.get(lib);
      assert.ok(file, `ldd finds ${lib}`);
      const alt = file.startsWith('/usr/') ? file.slice(4) : `/usr${file}`;
      const r = [file, alt].map((f) => spawnSync('dpkg', ['-S', f], { encoding: 'utf8' })).find((x) => x.status === 0);
      assert.ok(r, `a package owns ${file}`);
      return r.stdout.split(':')[0];
    }));
    const depends = field('Depends').split(',').map((d) => d.trim());
    const names = depends.map((d) => d.split(' ')[0]);
    assert.deepEqual([...new Set(names)].sort(), [...owners].sort());
    for (const d of depends) assert.match(d, /^[a-z0-9.+-]+ \(>= [^)]+\)$/, d);
  });

  it('holds the binary, web files, man page, unit and example config', () => {
    const bin = path.join(root, 'usr/bin/roomgate');
    assert.ok(fs.statSync(bin).mode & 0o111, 'the binary is executable');
    const sections = execFileSync('objdump', ['-h', bin], { encoding: 'utf8' });
    assert.doesNotMatch(sections, /\.debug_info/, 'the binary is stripped');
    for (const f of ['web/sdk/roomgate.js', 'web/demo/index.html', 'web/demo/demo.js']) {
      assert.deepEqual(fs.readFileSync(path.join(root, 'usr/share/roomgate', f)),
        fs.readFileSync(path.join(REPO_ROOT, f)), f);
    }
    const man = zlib.gunzipSync(fs.readFileSync(path.join(root, 'usr/share/man/man1/roomgate.1.gz')));
    assert.deepEqual(man, fs.readFileSync(path.join(REPO_ROOT, 'docs/roomgate.1')));
    const unit = fs.readFileSync(path.join(root, 'lib/systemd/system/roomgate.service'), 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/bin\/roomgate serve --data \/var\/lib\/roomgate$/m);
    assert.match(unit, /^EnvironmentFile=-\/etc\/roomgate\/roomgate\.env$/m);
    assert.deepEqual(fs.readFileSync(path.join(root, 'etc/roomgate/roomgate.env.example')),
      fs.readFileSync(path.join(REPO_ROOT, 'deploy/roomgate.env')));
    const control = path.join(tmp, 'control');
    execFileSync('dpkg-deb', ['-e', deb, control]);
    assert.equal(fs.readFileSync(path.join(control, 'conffiles'), 'utf8'), '/etc/roomgate/roomgate.env.example\n');
    assert.ok(fs.existsSync(path.join(root, 'usr/share/doc/roomgate/copyright')));
  });

  it('lintian accepts it without errors', () => {
    const { status, tags } = lintian(deb);
    assert.equal(status, 0, tags);
    assert.doesNotMatch(tags, /^E: /m);
  });

  it('lintian does refuse a broken package (the check above is not vacuous)', () => {
    // the same package without its copyright file: an error lintian names
    const tree = path.join(tmp, 'broken');
    execFileSync('dpkg-deb', ['-R', deb, tree]);
    fs.rmSync(path.join(tree, 'usr/share/doc/roomgate/copyright'));
    const md5 = path.join(tree, 'DEBIAN/md5sums');
    fs.writeFileSync(md5, fs.readFileSync(md5, 'utf8').split('\n')
      .filter((l) => !l.endsWith('usr/share/doc/roomgate/copyright')).join('\n'));
    const broken = path.join(tmp, 'roomgate_broken.deb');
    execFileSync('dpkg-deb', ['--root-owner-group', '--build', tree, broken]);
    const { status, tags } = lintian(broken);
    assert.notEqual(status, 0);
    assert.match(tags, /^E: roomgate: no-copyright-file/m);
  });

  it('unpacked with dpkg -x, runs serve from there with the demo page', async () => {
    await checkInstalledDemo(root, async (srv, sdk) => {
      assert.equal(sdk.text, fs.readFileSync(path.join(root, 'usr/share/roomgate/web/sdk/roomgate.js'), 'utf8'));
      const health = await srv.request('GET', '/healthz');
      assert.equal(health.status, 200);
    });
  });
});
