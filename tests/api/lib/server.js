// Test harness: runs a real roomgate binary on a temporary data dir.
//
//   const srv = await startServer();          // account + key created via the CLI
//   const res = await srv.request('GET', '/healthz');
//   await srv.stop();                         // SIGTERM; resolves to the exit code
//
// The binary is $ROOMGATE_BIN (relative to the repo root unless absolute),
// default build/roomgate.
//
// Every server started here is recorded until it is stopped.  stop() checks
// the outcome: it rejects (so the test that owns the server fails) when the
// process did not exit the way the test expected (default: exit 0 after
// SIGTERM) or when its stderr holds a sanitizer or memcheck report, whatever
// the exit status.  A startup that does not announce its port within the
// deadline is killed and fails.  A server still running when a test file's
// tests are done is stopped by a root `after` hook that then fails the file.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.resolve(REPO_ROOT, process.env.ROOMGATE_BIN || 'build/roomgate');

/** Running under tests/valgrind-roomgate.sh: startups and exits are slower. */
export const UNDER_VALGRIND = /valgrind/.test(path.basename(BIN));
/** Deadlines: the port announcement, and the exit after SIGTERM. */
export const STARTUP_MS = Number(process.env.ROOMGATE_STARTUP_MS) || (UNDER_VALGRIND ? 120000 : 20000);
export const STOP_MS = UNDER_VALGRIND ? 30000 : 10000;

/** What a sanitizer (ASan, LSan, UBSan) or valgrind memcheck prints when it finds something. */
export const REPORT_RE = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|==\d+== (Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|\d[\d,]* bytes in [\d,]+ blocks are definitely lost)/;

/** The sanitizer/memcheck report lines in a server's stderr, or ''. */
export function sanitizerReport(stderr) {
  const i = stderr.search(REPORT_RE);
  return i < 0 ? '' : stderr.slice(Math.max(0, stderr.lastIndexOf('\n', i) + 1)).slice(0, 4000);
}

// Servers started and not yet stopped.  The root `after` hook is registered
// in a microtask so that it runs after the test file's own top-level `after`
// hooks (they are registered while the file's module body runs, which is
// before this microtask), i.e. after the file had its chance to stop them.
const live = new Set();
queueMicrotask(() => after(async () => {
  if (live.size === 0) return;
  const left = [...live];
  const notes = [];
  for (const s of left) {
    let outcome;
    try { outcome = await s.stop(); } catch (e) { outcome = e.message; }
    notes.push(`${s.url || '(starting)'} pid ${s.proc.pid}: ${outcome}`);
  }
  throw new Error(`${left.length} roomgate server(s) were never stopped by their test:\n${notes.join('\n')}`);
}));
// Last resort (a crashed runner, an after hook that never ran): no orphan.
process.on('exit', () => { for (const s of live) s.proc.kill('SIGKILL'); });

const READY_RE = /^roomgate: listening on (https?:\/\/127\.0\.0\.1:(\d+)\/)$/;
// With --metrics-listen, printed just before READY_RE's line.
const METRICS_RE = /^roomgate: metrics on (http:\/\/[^ ]+\/metrics)$/;

// ROOMGATE_TEST_PG_URL (scripts/test.sh's "API on PostgreSQL" pass): each
// new data dir gets a fresh schema of that PostgreSQL as its store (--db),
// remembered in the dir, so the CLI and every server on the dir use it.
const PG_STORE_FILE = '.test-pg-store';
function pgStore(dataDir, env) {
  const base = process.env.ROOMGATE_TEST_PG_URL;
  if (!base || env.ROOMGATE_DB) return env;
  const file = path.join(dataDir, PG_STORE_FILE);
  if (!fs.existsSync(file)) {
    const schema = `s_${randomBytes(8).toString('hex')}`;
    const psql = path.join(process.env.PG_BIN || '/usr/lib/postgresql/15/bin', 'psql');
    execFileSync(psql, [base, '-qc', `CREATE SCHEMA ${schema}`], { stdio: 'pipe', timeout: 20000 });
    fs.writeFileSync(file, `${base}${base.includes('?') ? '&' : '?'}options=-csearch_path%3D${schema}`);
  }
  return { ...env, ROOMGATE_DB: fs.readFileSync(file, 'utf8') };
}

/** Run the binary synchronously with `--data dir` appended; returns stdout. */
export function runCli(dataDir, args, { env = {}, input, bin = BIN } = {}) {
  if (fs.existsSync(dataDir)) env = pgStore(dataDir, env);
  return execFileSync(bin, [...args, '--data', dataDir], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    // a hang guard, not a time limit: an RSA key pair under ASan on a busy
    // 2-core machine took longer than 20 s
    timeout: 60000,
  });
}

/** Parse the single JSON line a CLI command prints. */
export function cliJson(out) {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) throw new Error(`expected one JSON line, got: ${JSON.stringify(out)}`);
  return JSON.parse(lines[0]);
}

export function basic(user, pass) {
  return 'Basic ' + Buffer.from(`${user}:${pass}`, 'utf8').toString('base64');
}

/**
 * startServer({args, env, threads, beforeServe(cli), dataDir, account, key, startupMs, bin})
 *   -> {url, port, dataDir, account:{sid,auth_token}, key:{sid,secret}, cli(args),
 *       stop(), stderr(), stdout(), exited, request(...), accountAuth, keyAuth, proc}
 *
 * dataDir: serve an existing data dir (e.g. a restart after a kill) instead of a
 * fresh one; account/key: the ones it already holds (else new ones are created).
 * The server owns its data dir, given or not, and removes it on stop() (or a
 * failed start) unless stop({keepData: true}).
 * bin: another executable than BIN (the harness's own test uses a stand-in).
 * A server that exits before announcing its port rejects with an Error
 * carrying exitCode, signal and stderr: assert them, not just the rejection.
 */
// keyType: the type of the harness key (`key create --type`); 'main' by
// default, because many suites manage keys with it (standard keys cannot).
export async function startServer({ args = [], env = {}, threads = 2, beforeServe, dataDir: givenDir,
  account: givenAccount, key: givenKey, startupMs = STARTUP_MS, bin = BIN, keyType = 'main' } = {}) {
  if (!fs.existsSync(bin)) throw new Error(`roomgate binary not found: ${bin} (set ROOMGATE_BIN or run make)`);
  const dataDir = givenDir || fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-api-'));
  env = pgStore(dataDir, env);
  const dropDir = () => fs.rmSync(dataDir, { recursive: true, force: true });
  const cli = (a, opts) => runCli(dataDir, a, { env, bin, ...opts });
  let account = givenAccount;
  let key = givenKey;
  try {
    account ??= cliJson(cli(['account', 'create']));
    key ??= cliJson(cli(['key', 'create', '--account', account.sid, '--type', keyType]));
  } catch (e) {
    dropDir();
    throw new Error(`CLI setup failed: ${e.message}\n${e.stderr || ''}`);
  }

  if (beforeServe) {
    try {
      await beforeServe(cli);
    } catch (e) {
      dropDir();
      throw e;
    }
  }

  const proc = spawn(
    bin,
    ['serve', '--listen', '127.0.0.1:0', '--data', dataDir, '--threads', String(threads), ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderrText = '';
  let stdoutText = '';
  proc.stderr.setEncoding('utf8');
  proc.stdout.setEncoding('utf8');
  proc.stderr.on('data', (d) => { stderrText += d; });

  let exitCode;
  let exitSignal;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exitCode = code;
      exitSignal = signal;
      resolve(code === null ? `signal:${signal}` : code);
    });
  });
  // stdout/stderr are complete only once the pipes are closed, after 'exit'.
  const drained = new Promise((resolve) => proc.on('close', resolve));
  const diag = () => stderrText.split('\n').filter((l) => !l.startsWith('{')).join('\n').trim().slice(0, 4000);

  let stopped = null;
  const srv = {
    dataDir,
    account,
    key,
    proc,
    accountAuth: basic(account.sid, account.auth_token),
    keyAuth: basic(key.sid, key.secret),
    cli,
    stderr: () => stderrText,
    stdout: () => stdoutText,
    exited,
    /**
     * Sends `signal` (default SIGTERM; nothing if the process already
     * exited), waits for the exit, removes the data dir unless keepData, and
     * resolves to the exit code (or "signal:NAME").  Rejects when the outcome
     * is not `expect` (an exit code, or a signal name such as 'SIGKILL' for
     * a test that killed the server on purpose; default 0), when the
     * process outlived timeoutMs (it is then killed), or when stderr holds a
     * sanitizer/memcheck report.  stop(ms) is stop({timeoutMs: ms}).
     */
    stop(opts = {}) {
      if (typeof opts === 'number') opts = { timeoutMs: opts };
      const { expect = 0, timeoutMs = STOP_MS, keepData = false, signal = 'SIGTERM' } = opts;
      if (stopped) return stopped;
      stopped = (async () => {
        if (exitCode === undefined && exitSignal === undefined) proc.kill(signal);
        let timedOut = false;
        const t = setTimeout(() => { timedOut = true; proc.kill('SIGKILL'); }, timeoutMs);
        const outcome = await exited;
        clearTimeout(t);
        await drained;
        live.delete(srv);
        if (!keepData) dropDir();
        const want = typeof expect === 'number' ? expect : `signal:${expect}`;
        const report = sanitizerReport(stderrText);
        let problem = '';
        if (timedOut) problem = `did not exit within ${timeoutMs} ms of ${signal}; killed`;
        else if (outcome !== want) problem = `exit ${outcome}, expected ${want}`;
        else if (report) problem = `exit ${outcome} but stderr holds a sanitizer/memcheck report`;
        if (problem) {
          throw new Error(`roomgate ${srv.url || '(starting)'}: ${problem}${report ? `\n${report}` : (diag() ? `; stderr:\n${diag()}` : '')}`);
        }
        return outcome;
      })();
      return stopped;
    },
  };
  live.add(srv);

  let metricsUrl;
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      reject(new Error(`roomgate (pid ${proc.pid}) did not announce its port within ${startupMs} ms; killed; stdout=${JSON.stringify(stdoutText)} stderr=${stderrText}`));
    }, startupMs);
    proc.stdout.on('data', (d) => {
      stdoutText += d;
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        const mm = METRICS_RE.exec(line);
        if (mm) metricsUrl = mm[1];
        const m = READY_RE.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      }
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      // exitCode/stderr let a test of a refused start assert the documented
      // status and message rather than accept any failure
      const err = new Error(`roomgate exited early (code ${code}, signal ${signal}); stderr:\n${stderrText}`);
      drained.then(() => reject(Object.assign(err, { exitCode: code, signal, stderr: stderrText })));
    });
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
  }).catch(async (e) => {
    if (exitCode === undefined && exitSignal === undefined) proc.kill('SIGKILL');
    if (proc.pid !== undefined) await exited;
    live.delete(srv);
    stopped = Promise.resolve('startup failed');
    dropDir();
    throw e;
  });

  srv.url = url.replace(/\/$/, '');
  srv.metricsUrl = metricsUrl; // with --metrics-listen: http://HOST:PORT/metrics
  srv.port = Number(new URL(url).port);
  srv.request = (method, p, opts) => request(srv.url, method, p, opts);
  return srv;
}

/**
 * fetch-based request helper.
 * opts: {auth (full header value), headers, form (object -> urlencoded),
 *        json (value -> JSON), body (raw string/Buffer), query (object)}
 * Returns {status, headers (Headers), text, json (parsed or undefined)}.
 */
export async function request(base, method, p, opts = {}) {
  const u = new URL(p, base + '/');
  if (opts.query) for (const [k, v] of Object.entries(opts.query)) if (v !== undefined) u.searchParams.append(k, String(v));
  const headers = { ...(opts.headers || {}) };
  if (opts.auth) headers.Authorization = opts.auth;
  let body;
  if (opts.form !== undefined) {
    headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.json !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.body !== undefined) {
    body = opts.body;
  }
  let res;
  try {
    res = await fetch(u, { method, headers, body, redirect: 'manual' });
  } catch (e) {
    // A pooled keep-alive connection the server closed while it was idle
    // (h2o closes them after 10 s; a test that blocks Node's loop in
    // execFileSync for that long never sees the close before reusing the
    // socket): retry an idempotent request once on a fresh connection, as
    // a browser does (RFC 9110, 9.2.2).  Anything else is the test's error.
    const code = e.cause?.code;
    if (!['GET', 'HEAD'].includes(method) || !['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'].includes(code)) throw e;
    res = await fetch(u, { method, headers, body, redirect: 'manual' });
  }
  const text = await res.text();
  let json;
  try { json = text === '' ? undefined : JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * node:http request (for keep-alive, oversize bodies, partial bodies).
 * Resolves {status, headers, text, json, socket}. Tolerates write errors
 * (EPIPE/ECONNRESET) that happen after the response has started.
 */
export function rawRequest(base, method, p, { headers = {}, body, agent } = {}) {
  const u = new URL(p, base + '/');
  return new Promise((resolve, reject) => {
    let gotResponse = false;
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: agent ?? false },
      (res) => {
        gotResponse = true;
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try { json = text === '' ? undefined : JSON.parse(text); } catch { json = undefined; }
          resolve({ status: res.statusCode, headers: res.headers, text, json, socket: req.socket, reused: req.reusedSocket });
        });
        res.on('error', reject);
      },
    );
    req.on('error', (e) => { if (!gotResponse) reject(e); });
    if (body !== undefined) req.write(body, () => {});
    req.end();
  });
}

/** Standard Twilio-shaped error assertion helper data. */
export function errorUrl(code) {
  return `https://www.twilio.com/docs/errors/${code}`;
}

/**
 * Polls fn() (sync or async) every 20 ms until it returns something truthy,
 * and returns that; throws after timeoutMs naming `what` and the last value.
 * For changes the server picks up from the store on its own (the CLI's
 * writes are seen within its 100 ms poll): wait for the condition, never a
 * fixed sleep.
 */
export async function waitFor(fn, what = 'condition', timeoutMs = UNDER_VALGRIND ? 60000 : 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until the running server accepts user:pass (an account, or one of
 * its keys) - e.g. after `srv.cli(['account', 'create'])`.  Asks GET
 * /v1/Rooms, which takes both kinds of credentials and changes nothing.
 */
export function waitCredentials(srv, user, pass) {
  return waitFor(async () => (await srv.request('GET', '/v1/Rooms', { auth: basic(user, pass), query: { PageSize: 1 } })).status === 200,
    `the server to accept ${user}`);
}
