// docs/openapi.yaml lists every route the server registers: each line of
// `roomgate routes` ("METHOD /pattern") must appear under `paths:` with that
// method. Path parameters are compared by position only ({AC} in the route
// table matches {AccountSid} in the document). The document is read with the
// `yaml` package (a full YAML 1.2 parser), not a parser of our own.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { BIN, REPO_ROOT } from './lib/server.js';

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);
const normalise = (p) => p.replace(/\{[^}/]*\}/g, '{}');

describe('docs/openapi.yaml', () => {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'docs/openapi.yaml'), 'utf8');
  const doc = YAML.parse(text); // throws on a YAML error: the test fails
  // normalised path -> Set of upper-case methods
  const paths = new Map();
  for (const [p, item] of Object.entries(doc?.paths ?? {})) {
    const set = paths.get(normalise(p)) ?? new Set();
    for (const k of Object.keys(item ?? {})) if (METHODS.has(k)) set.add(k.toUpperCase());
    paths.set(normalise(p), set);
  }
  const routes = execFileSync(BIN, ['routes'], { encoding: 'utf8' })
    .split('\n').filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^([A-Z]+) (\/\S*)$/.exec(l);
      assert.ok(m, `unexpected line from roomgate routes: ${JSON.stringify(l)}`);
      return { method: m[1], pattern: m[2] };
    });

  it('is OpenAPI 3.1 with a paths object', () => {
    assert.match(String(doc.openapi), /^3\.1\.\d+$/);
    assert.equal(typeof doc.paths, 'object');
    assert.ok(paths.size >= 5, `found ${paths.size} paths`);
    assert.ok(routes.length >= 5, `roomgate routes printed ${routes.length} routes`);
  });

  it('documents every route `roomgate routes` prints, with its method', () => {
    const missing = routes
      .filter(({ method, pattern }) => !paths.get(normalise(pattern))?.has(method))
      .map(({ method, pattern }) => `${method} ${pattern}`);
    assert.deepEqual(missing, [], `routes missing from docs/openapi.yaml:\n  ${missing.join('\n  ')}`);
  });
});
