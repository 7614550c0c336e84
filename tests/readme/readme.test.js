// The README runs top to bottom (issue 17). A fresh server is started the
// way `make run` starts it (scripts/run.sh itself, on a temporary data dir
// and a free port), then every ```sh block of README.md runs, in order, in
// ONE bash (variables carry over, as in a reader's shell) whose working
// directory has `build` (the repository's) and `data` (the fresh one), so
// `build/roomgate` and `data/demo.json` mean what they mean after
// `make run`. The only substitution is the address: 127.0.0.1:8080 becomes
// the port the server got. Each command must exit 0; an answer shown with
// `# ->` must match (JSON: the shown keys exist with the shown literal
// values, `...` and `<...>` are placeholders, "SK..." a prefix; other text:
// equal); an answer not shown must not be a Twilio-shaped error.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The ```sh blocks of a markdown text, in order: [{line, text}]. */
export function shBlocks(md) {
  const out = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```sh') continue;
    const start = i + 1;
    let j = start;
    while (j < lines.length && lines[j] !== '```') j++;
    out.push({ line: start + 1, text: lines.slice(start, j).join('\n') });
    i = j;
  }
  return out;
}

/**
 * Splits blocks into commands: a command starts on a line at column 0 that
 * is not a comment; indented lines continue it. `# ->` lines (and the
 * `#     ` lines right after them) are the shown answer of the command
 * before. Returns [{id, text, line, expect}].
 */
export function commands(blocks) {
  const cmds = [];
  for (const b of blocks) {
    const lines = b.text.split('\n');
    let inExpect = false;
    lines.forEach((l, k) => {
      const cur = cmds[cmds.length - 1];
      if (l.startsWith('# -> ')) {
        assert.ok(cur && cur.block === b && cur.expect === undefined, `README line ${b.line + k}: an answer with no command before it`);
        cur.expect = l.slice(5);
        inExpect = true;
        return;
      }
      if (inExpect && /^# {4,}\S/.test(l)) { cur.expect += l.replace(/^#\s+/, ''); return; }
      inExpect = false;
      if (l === '' || l.startsWith('#')) return;
      if (/^\S/.test(l)) cmds.push({ id: cmds.length, block: b, line: b.line + k, text: l });
      else cur.text += '\n' + l;
    });
  }
  return cmds;
}

/**
 * The shown JSON turned into a pattern: `...` after a key means any value,
 * `{...}` any object, `[...]` any array, a bare `...` among keys "more
 * keys". Scans outside strings only.
 */
export function shownPattern(shown) {
  let s = '';
  let inStr = false;
  for (let i = 0; i < shown.length; i++) {
    const c = shown[i];
    if (inStr) {
      s += c;
      if (c === '\\') s += shown[++i];
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') { inStr = true; s += c; continue; }
    if (shown.startsWith('{...}', i)) { s += '"\\u0000object"'; i += 4; continue; }
    if (shown.startsWith('[...]', i)) { s += '"\\u0000array"'; i += 4; continue; }
    if (shown.startsWith('...', i)) {
      s += /:\s*$/.test(s) ? '"\\u0000any"' : '';
      i += 2;
      continue;
    }
    s += c;
  }
  s = s.replace(/,\s*([}\]])/g, '$1').replace(/([{[])\s*,/g, '$1').replace(/,\s*,/g, ',');
  return JSON.parse(s);
}

/** Checks actual against a pattern from shownPattern; returns problems. */
export function matchShown(pattern, actual, where = '') {
  const bad = [];
  if (pattern === '\u0000any') return bad;
  if (pattern === '\u0000object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) bad.push(`${where}: expected an object, got ${JSON.stringify(actual)}`);
    return bad;
  }
  if (pattern === '\u0000array') {
    if (!Array.isArray(actual)) bad.push(`${where}: expected an array, got ${JSON.stringify(actual)}`);
    return bad;
  }
  if (typeof pattern === 'string') {
    const ph = /\.\.\.|<[^>]*>/;
    if (!ph.test(pattern)) {
      if (actual !== pattern) bad.push(`${where}: expected ${JSON.stringify(pattern)}, got ${JSON.stringify(actual)}`);
      return bad;
    }
    // literal parts around the placeholders must be there, in order
    const re = new RegExp('^' + pattern.split(/\.\.\.|<[^>]*>/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 's');
    if (typeof actual !== 'string' || !re.test(actual)) bad.push(`${where}: expected something like ${JSON.stringify(pattern)}, got ${JSON.stringify(actual)}`);
    return bad;
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return [`${where}: expected an array, got ${JSON.stringify(actual)}`];
    if (pattern.length === 0 && actual.length !== 0) bad.push(`${where}: expected [], got ${JSON.stringify(actual)}`);
    pattern.forEach((p, i) => bad.push(...matchShown(p, actual[i], `${where}[${i}]`)));
    return bad;
  }
  if (pattern !== null && typeof pattern === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${where}: expected an object, got ${JSON.stringify(actual)}`];
    for (const [k, v] of Object.entries(pattern)) {
      if (!(k in actual)) bad.push(`${where}.${k}: missing`);
      else bad.push(...matchShown(v, actual[k], `${where}.${k}`));
    }
    return bad;
  }
  if (actual !== pattern) bad.push(`${where}: expected ${JSON.stringify(pattern)}, got ${JSON.stringify(actual)}`);
  return bad;
}

/** Starts scripts/run.sh (it execs the server) and waits for its address. */
function startLikeMakeRun(dataDir) {
  const proc = spawn(path.join(REPO, 'scripts/run.sh'), [], {
    env: { ...process.env, ROOMGATE_DATA: dataDir, ROOMGATE_LISTEN: '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve(code ?? `signal ${sig}`)));
  const ready = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "listening" line within 30 s:\n${out}\n${err}`)), 30000);
    proc.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /^roomgate: listening on http:\/\/(127\.0\.0\.1:\d+)\/$/m.exec(out);
      if (m) { clearTimeout(t); resolve(m[1]); }
    });
    exited.then((c) => { clearTimeout(t); reject(new Error(`scripts/run.sh exited (${c}) before listening:\n${out}\n${err}`)); });
  });
  return { proc, ready, exited, banner: () => out, stderr: () => err };
}

describe('README.md, top to bottom', () => {
  const md = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const blocks = shBlocks(md);
  const cmds = commands(blocks);
  let work;
  let srv;
  let addr;
  let results;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-readme-'));
    fs.symlinkSync(path.join(REPO, 'build'), path.join(work, 'build'));
    srv = startLikeMakeRun(path.join(work, 'data'));
    addr = await srv.ready;
    // one bash for every block; before each command, a marker with the
    // previous command's exit status
    let script = 'set -u -o pipefail\n';
    for (const c of cmds) script += `printf '\\n@@RG %d ${c.id}@@\\n' $?\n${c.text.replaceAll('127.0.0.1:8080', addr)}\n`;
    script += "printf '\\n@@RG %d end@@\\n' $?\n";
    const r = spawnSync('bash', ['-c', script], { cwd: work, encoding: 'utf8', timeout: 120000, maxBuffer: 64 << 20 });
    const parts = r.stdout.split(/\n@@RG (\d+) (\d+|end)@@\n/);
    // parts: [before, status, id, output, status, id, output, ..., status, 'end', rest]
    results = new Map();
    let prev = null;
    for (let i = 1; i + 1 < parts.length; i += 3) {
      if (prev !== null) prev.status = Number(parts[i]);
      if (parts[i + 1] === 'end') break;
      prev = { output: parts[i + 2] ?? '', status: undefined };
      results.set(Number(parts[i + 1]), prev);
    }
    results.stderr = r.stderr;
  });

  after(async () => {
    if (srv) {
      srv.proc.kill('SIGTERM');
      const code = await srv.exited;
      assert.equal(code, 0, `the server exits 0 on SIGTERM; stderr tail:\n${srv.stderr().slice(-2000)}`);
    }
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('has sh blocks with commands and shown answers', () => {
    assert.ok(blocks.length >= 6, `${blocks.length} sh blocks`);
    assert.ok(cmds.filter((c) => c.expect !== undefined).length >= 20, 'shown answers');
  });

  it('make run\'s banner names the credentials the README reads from data/demo.json', () => {
    const demo = JSON.parse(fs.readFileSync(path.join(work, 'data', 'demo.json'), 'utf8'));
    for (const v of Object.values(demo)) assert.ok(srv.banner().includes(v), 'banner shows ' + v.slice(0, 4));
  });

  it('every command exits 0 and answers what the README shows', () => {
    const problems = [];
    for (const c of cmds) {
      const r = results.get(c.id);
      const head = `README line ${c.line}: ${c.text.split('\n')[0].slice(0, 100)}`;
      if (!r) { problems.push(`${head}\n    did not run (the script stopped before it; bash stderr:\n${results.stderr.slice(-1500)})`); break; }
      if (r.status !== 0) problems.push(`${head}\n    exit ${r.status}; output: ${r.output.slice(0, 500)}`);
      const out = r.output.trim();
      let json;
      try { json = JSON.parse(out); } catch { json = undefined; }
      if (c.expect === undefined) {
        if (json && typeof json === 'object' && typeof json.status === 'number' && json.status >= 400 && 'code' in json)
          problems.push(`${head}\n    an error answer the README does not show: ${out.slice(0, 300)}`);
        continue;
      }
      const shown = c.expect.replaceAll('127.0.0.1:8080', addr).trim();
      if (/^[{[]/.test(shown)) {
        if (json === undefined) { problems.push(`${head}\n    expected JSON like ${shown}, got: ${out.slice(0, 300)}`); continue; }
        const bad = matchShown(shownPattern(shown), json, 'answer');
        if (bad.length) problems.push(`${head}\n    ${bad.join('\n    ')}`);
      } else if (out !== shown) {
        problems.push(`${head}\n    expected ${JSON.stringify(shown)}, got ${JSON.stringify(out.slice(0, 300))}`);
      }
    }
    assert.deepEqual(problems, [], '\n' + problems.join('\n'));
  });
});

describe('the README checker itself', () => {
  it('placeholders: ... values, {...}, [...], prefixes, literal values', () => {
    const p = shownPattern('{"sid":"SK...","n":2,"roles":[],"grants":{...},"keys":[...],"rows":...,...}');
    assert.deepEqual(matchShown(p, { sid: 'SKab', n: 2, roles: [], grants: {}, keys: [1], rows: 3, more: 1 }), []);
    assert.equal(matchShown(p, { sid: 'ACab', n: 2, roles: [], grants: {}, keys: [], rows: 1 }).length, 1);
    assert.equal(matchShown(p, { sid: 'SKab', n: 3, roles: ['x'], grants: [], keys: {}, rows: 1 }).length, 4);
    assert.equal(matchShown(p, { sid: 'SKab', n: 2, roles: [], grants: {}, keys: [] }).length, 1, 'a missing key');
    const u = shownPattern('{"media_url":"http://h/media/RE...?exp=...&sig=..."}');
    assert.deepEqual(matchShown(u, { media_url: 'http://h/media/RE1?exp=2&sig=3' }), []);
    assert.equal(matchShown(u, { media_url: 'http://h/other' }).length, 1);
  });
  it('commands: continuation lines, comments, multi-line shown answers', () => {
    const c = commands([{ line: 1, text: 'A=1\ncurl x \\\n  -d y\n# -> {"a":1,\n#     "b":2}\n# plain comment\nB=2' }]);
    assert.deepEqual(c.map((x) => [x.text, x.expect]), [['A=1', undefined], ['curl x \\\n  -d y', '{"a":1,"b":2}'], ['B=2', undefined]]);
  });
});
