// scripts/circles.mjs, the check `make test` runs over src/ (issue 11
// "Rules": no include circle in src/): on small trees made here it finds
// circles made of includes and of calls, names the edges, and is not
// fooled by comments, strings or a function only handed over as a pointer.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from './lib/server.js';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'circles.mjs');
const dirs = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

/** A tree with src/<name> = text for each entry; returns its root. */
function tree(files) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-circles-'));
  dirs.push(root);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, 'src', name)), { recursive: true });
    fs.writeFileSync(path.join(root, 'src', name), text);
  }
  return root;
}

function circles(root) {
  const r = spawnSync(process.execPath, [SCRIPT, '--root', root], { encoding: 'utf8', timeout: 30000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('scripts/circles.mjs', () => {
  it('an include circle through .c/.h twins: exit 1, the units and the includes named', () => {
    const r = circles(tree({
      'a/one.h': '#include "b/two.h"\n',
      'a/one.c': '#include "a/one.h"\nint rg_one(void) { return 1; }\n',
      'b/two.h': 'int rg_two(void);\n',
      'b/two.c': '#include "b/two.h"\n#include "../a/one.h"\nint rg_two(void) { return 2; }\n',
    }));
    assert.equal(r.status, 1, r.out + r.err);
    assert.match(r.out, /^1 circle\(s\) among 2 units of src\//);
    assert.match(r.out, /circle: a\/one\.c b\/two\.c/);
    assert.match(r.out, /a\/one\.c -> b\/two\.c: a\/one\.h includes "b\/two\.h"/);
    assert.match(r.out, /b\/two\.c -> a\/one\.c: b\/two\.c includes "\.\.\/a\/one\.h"/);
  });

  it('a circle of calls alone (no include between the files): exit 1, the calls named', () => {
    const r = circles(tree({
      'x.c': 'int rg_y(int);\nint rg_x(int n)\n{\n    return n ? rg_y(n - 1) : 0;\n}\n',
      'y.c': 'int rg_x(int);\nstatic int\nhelper(void) { return 0; }\nint rg_y(int n) { return rg_x(n) + helper(); }\n',
      'z.c': 'int rg_x(int);\nint rg_z(void) { return rg_x(3); }\n',
    }));
    assert.equal(r.status, 1, r.out + r.err);
    assert.match(r.out, /^1 circle\(s\) among 3 units/);
    assert.match(r.out, /circle: x\.c y\.c\n/); // z.c only calls in: not part of it
    assert.match(r.out, /x\.c -> y\.c: x\.c calls rg_y\(\) of y\.c/);
    assert.match(r.out, /y\.c -> x\.c: y\.c calls rg_x\(\) of x\.c/);
  });

  it('comments, strings, <system> includes and pointers tie nothing; a chain is no circle', () => {
    const r = circles(tree({
      'p.h': 'int rg_p(void);\n',
      'p.c': '#include "p.h"\n#include "q.h"\nint rg_p(void) { return rg_q(); }\n',
      'q.h': 'int rg_q(void);\n',
      'q.c': '#include "q.h"\n#include <p.h>\n/* rg_p() would be a circle; see "p.h" */\n' +
        '// #include "p.h"\nstatic const char *s = "rg_p()";\n' +
        'int (*const hook)(void) = rg_p;\nint rg_q(void) { return s[0]; }\n',
      'shared.h': '#define N 1\n',
      'r.c': '#include "shared.h"\n#include "p.h"\nint rg_r(void) { return rg_p() + N; }\n',
    }));
    assert.equal(r.status, 0, r.out + r.err);
    assert.equal(r.out, '0 circle(s) among 4 units of src/\n');
  });

  it('no src/ or a bad argument: exit 2 with the reason', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-circles-'));
    dirs.push(empty);
    const r = circles(empty);
    assert.equal(r.status, 2);
    assert.match(r.err, /no src\/ in /);
    const bad = spawnSync(process.execPath, [SCRIPT, '--nope'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown argument --nope/);
  });

  it('the repository own src/ has none', () => {
    const r = circles(REPO_ROOT);
    assert.equal(r.status, 0, r.out + r.err);
    assert.match(r.out, /^0 circle\(s\) among \d+ units of src\/\n$/);
  });
});
