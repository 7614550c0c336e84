// docs/openapi.yaml lists every route the server registers: each line of
// `roomgate routes` ("METHOD /pattern") must appear under `paths:` with that
// method. Path parameters are compared by position only ({AC} in the route
// table matches {AccountSid} in the document). The YAML is read line by
// line: path keys are indented 2 spaces under `paths:`, methods 4.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, REPO_ROOT } from './lib/server.js';

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);
const normalise = (p) => p.replace(/\{[^}/]*\}/g, '{}');

/** Map of normalised path -> Set of upper-case methods, from the `paths:` section. */
export function openapiPaths(text) {
  const paths = new Map();
  let inPaths = false;
  let current = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/\s+$/, '');
    if (line === '' || line.trimStart().startsWith('#')) continue;
    if (/^\S/.test(line)) { // a top-level key
      inPaths = line === 'paths:';
      current = null;
      continue;
    }
    if (!inPaths) continue;
    let m = /^ {2}(['"]?)(\/[^'"]*)\1:$/.exec(line);
    if (m) {
      current = normalise(m[2]);
      if (!paths.has(current)) paths.set(current, new Set());
      continue;
    }
    m = /^ {4}([a-z]+):/.exec(line);
    if (m && current && METHODS.has(m[1])) paths.get(current).add(m[1].toUpperCase());
  }
  return paths;
}

describe('docs/openapi.yaml', () => {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/openapi.yaml'), 'utf8');
  const paths = openapiPaths(doc);
  const routes = execFileSync(BIN, ['routes'], { encoding: 'utf8' })
    .split('\n').filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^([A-Z]+) (\/\S*)$/.exec(l);
      assert.ok(m, `unexpected line from roomgate routes: ${JSON.stringify(l)}`);
      return { method: m[1], pattern: m[2] };
    });

  it('is OpenAPI 3.1 and its paths section parses', () => {
    assert.match(doc, /^openapi: 3\.1\.\d+$/m);
    assert.ok(paths.size >= 5, `found ${paths.size} paths`);
    assert.ok(routes.length >= 5, `roomgate routes printed ${routes.length} routes`);
  });

  it('documents every route `roomgate routes` prints, with its method', () => {
    const missing = routes
      .filter(({ method, pattern }) => !paths.get(normalise(pattern))?.has(method))
      .map(({ method, pattern }) => `${method} ${pattern}`);
    assert.deepEqual(missing, [], `routes missing from docs/openapi.yaml:\n  ${missing.join('\n  ')}`);
  });

  it('the parser itself: placeholders match by position, methods by section', () => {
    const p = openapiPaths([
      'paths:',
      '  /v1/Rooms/{Room}:',
      '    parameters: []',
      '    get:',
      '      summary: x',
      "  '/a/{X}.json':",
      '    delete: {}',
      'components:',
      '  /not/a/path:',
      '    get: {}',
    ].join('\n'));
    assert.deepEqual([...p.keys()], ['/v1/Rooms/{}', '/a/{}.json']);
    assert.deepEqual([...p.get('/v1/Rooms/{}')], ['GET']);
    assert.deepEqual([...p.get('/a/{}.json')], ['DELETE']);
  });
});
