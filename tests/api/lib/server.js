// Test harness: runs a real roomgate binary on a temporary data dir.
//
//   const srv = await startServer();          // account + key created via the CLI
//   const res = await srv.request('GET', '/healthz');
//   await srv.stop();                         // SIGTERM, returns the exit code
//
// The binary is $ROOMGATE_BIN (relative to the repo root unless absolute),
// default build/roomgate.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.resolve(REPO_ROOT, process.env.ROOMGATE_BIN || 'build/roomgate');

const READY_RE = /^roomgate: listening on (https?:\/\/127\.0\.0\.1:(\d+)\/)$/;

/** Run the binary synchronously with `--data dir` appended; returns stdout. */
export function runCli(dataDir, args, { env = {}, input } = {}) {
  return execFileSync(BIN, [...args, '--data', dataDir], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 20000,
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
 * startServer({args, env, beforeServe(cli)}) -> {url, port, dataDir, account:{sid,auth_token},
 *   key:{sid,secret}, cli(args), stop(), stderr(), stdout(), request(...),
 *   auth headers: accountAuth, keyAuth, proc}
 */
export async function startServer({ args = [], env = {}, threads = 2, beforeServe } = {}) {
  if (!fs.existsSync(BIN)) throw new Error(`roomgate binary not found: ${BIN} (set ROOMGATE_BIN or run make)`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-api-'));
  const cli = (a, opts) => runCli(dataDir, a, { env, ...opts });
  let account, key;
  try {
    account = cliJson(cli(['account', 'create']));
    key = cliJson(cli(['key', 'create', '--account', account.sid]));
  } catch (e) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`CLI setup failed: ${e.message}\n${e.stderr || ''}`);
  }

  if (beforeServe) {
    try {
      await beforeServe(cli);
    } catch (e) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw e;
    }
  }

  const proc = spawn(
    BIN,
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

  const url = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`roomgate did not announce its port within 10 s; stdout=${JSON.stringify(stdoutText)} stderr=${stderrText}`));
    }, 10000);
    proc.stdout.on('data', (d) => {
      stdoutText += d;
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        const m = READY_RE.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      }
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`roomgate exited early (code ${code}, signal ${signal}); stderr:\n${stderrText}`));
    });
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
  }).catch((e) => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  });

  const base = url.replace(/\/$/, '');
  const port = Number(new URL(url).port);
  let stopped = null;

  const srv = {
    url: base,
    port,
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
    /** SIGTERM, wait for exit, remove the data dir; resolves to the exit code. */
    stop(timeoutMs = 10000) {
      if (stopped) return stopped;
      stopped = (async () => {
        if (exitCode === undefined && exitSignal === undefined) proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
        const code = await exited;
        clearTimeout(t);
        fs.rmSync(dataDir, { recursive: true, force: true });
        return code;
      })();
      return stopped;
    },
    request: (method, p, opts) => request(base, method, p, opts),
  };
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
  const res = await fetch(u, { method, headers, body, redirect: 'manual' });
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
