#!/usr/bin/env node
// circles.mjs - finds circles between the files of src/ (issue 11 "Rules":
// no include circle anywhere in src/).  `make test` runs it as one test.
//
// A unit is a .c file with its header (foo.h belongs to foo.c when both
// exist; a header without a twin is a unit of its own).  Unit a depends on
// unit b when
//   - a's .c or .h has #include "..." of one of b's files (resolved next to
//     the including file, then under src/), or
//   - a's .c calls an rg_ function that b's .c defines (as the project's
//     shared circles tool counts them: a name followed by '('; a function
//     only handed over as a pointer, as a route table does, ties nothing).
// Comments and string literals are removed first, so prose that mentions a
// function ties nothing.  A circle is a set of two or more units that all
// reach each other (a strongly connected component); for each, one edge per
// unit inside it is printed with its reason, enough to see where to cut.
//
// Usage: node scripts/circles.mjs [--root DIR]   (DIR holds src/; default:
// the repository this script is in).  Exit 0: none; 1: circles (listed);
// 2: usage or no src/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function usage(msg) {
  process.stderr.write(`circles: ${msg}\nusage: node scripts/circles.mjs [--root DIR]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--root' && i + 1 < args.length) root = path.resolve(args[++i]);
  else usage(`unknown argument ${args[i]}`);
}
const src = path.join(root, 'src');
if (!fs.existsSync(src) || !fs.statSync(src).isDirectory()) usage(`no src/ in ${root}`);

/** Every .c and .h below dir, as paths relative to src/ with '/'. */
function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && /\.[ch]$/.test(e.name)) out.push(path.relative(src, p).split(path.sep).join('/'));
  }
  return out;
}

const blank = (m) => m.replace(/[^\n]/g, ' ');
const LEXEMES = /\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g;
/** The text with its comments blanked (newlines kept; strings as they are). */
const noComments = (text) => text.replace(LEXEMES, (m) => (m[0] === '/' ? blank(m) : m));
/** The text with its comments and string and char literals blanked. */
const codeOnly = (text) => text.replace(LEXEMES, blank);

const files = walk(src).sort();
const known = new Set(files);
const unitOf = (f) => (f.endsWith('.h') && known.has(f.slice(0, -2) + '.c') ? f.slice(0, -2) + '.c' : f);
const raw = new Map(files.map((f) => [f, fs.readFileSync(path.join(src, f), 'utf8')]));
const commentless = new Map(files.map((f) => [f, noComments(raw.get(f))]));
const bare = new Map(files.map((f) => [f, codeOnly(raw.get(f))]));

/** edges: unit -> Map(unit -> reason) */
const edges = new Map();
function edge(a, b, why) {
  if (a === b) return;
  if (!edges.has(a)) edges.set(a, new Map());
  if (!edges.get(a).has(b)) edges.get(a).set(b, why);
}

// include edges (system <...> headers are not files of src/)
for (const f of files) {
  for (const m of commentless.get(f).matchAll(/^[ \t]*#[ \t]*include[ \t]*"([^"]+)"/gm)) {
    const near = path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1]));
    const to = known.has(near) ? near : known.has(path.posix.normalize(m[1])) ? path.posix.normalize(m[1]) : null;
    if (to) edge(unitOf(f), unitOf(to), `${f} includes "${m[1]}"`);
  }
}

// rg_ functions defined in .c files: a name at the start of a top-level
// declaration whose parameter list is followed by '{' (not ';')
const definedIn = new Map();
for (const f of files.filter((x) => x.endsWith('.c'))) {
  const t = bare.get(f);
  for (const m of t.matchAll(/^[A-Za-z_][\w \t*]*?\b(rg_\w+)[ \t]*\(/gm)) {
    let depth = 0, i = m.index + m[0].length - 1;
    for (; i < t.length; i++) {
      if (t[i] === '(') depth++;
      else if (t[i] === ')' && --depth === 0) break;
    }
    const after = t.slice(i + 1).match(/^\s*(\S)/);
    if (after && after[1] === '{' && !definedIn.has(m[1])) definedIn.set(m[1], f);
  }
}

// call edges from each .c file
for (const f of files.filter((x) => x.endsWith('.c'))) {
  const t = bare.get(f);
  for (const name of new Set([...t.matchAll(/\b(rg_\w+)\s*\(/g)].map((m) => m[1]))) {
    const g = definedIn.get(name);
    if (g && g !== f) edge(f, g, `${f} calls ${name}() of ${g}`);
  }
}

// strongly connected components (Tarjan, iterative)
const units = [...new Set(files.map(unitOf))].sort();
const index = new Map(), low = new Map(), onStack = new Set(), stack = [], comps = [];
let counter = 0;
for (const start of units) {
  if (index.has(start)) continue;
  const work = [[start, [...(edges.get(start)?.keys() || [])].sort(), 0]];
  index.set(start, counter); low.set(start, counter++); stack.push(start); onStack.add(start);
  while (work.length) {
    const top = work[work.length - 1];
    const [v, next] = top;
    if (top[2] < next.length) {
      const w = next[top[2]++];
      if (!index.has(w)) {
        index.set(w, counter); low.set(w, counter++); stack.push(w); onStack.add(w);
        work.push([w, [...(edges.get(w)?.keys() || [])].sort(), 0]);
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
      continue;
    }
    work.pop();
    if (work.length) { const u = work[work.length - 1][0]; low.set(u, Math.min(low.get(u), low.get(v))); }
    if (low.get(v) === index.get(v)) {
      const comp = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1) comps.push(comp.sort());
    }
  }
}

console.log(`${comps.length} circle(s) among ${units.length} units of src/`);
for (const comp of comps) {
  const inside = new Set(comp);
  console.log(`circle: ${comp.join(' ')}`);
  for (const a of comp) {
    for (const [b, why] of [...(edges.get(a) || [])].sort()) {
      if (inside.has(b)) { console.log(`  ${a} -> ${b}: ${why}`); break; }
    }
  }
}
process.exit(comps.length ? 1 : 0);
