// tus-js-client (the real one) against a roomgate server, for tus.test.js
// and sec_upload.test.js.
import { spawn } from 'node:child_process';
import * as tus from 'tus-js-client';
import { BIN, request } from './server.js';

/**
 * Uploads the whole of buf to /v1/Recordings/Uploads with tus-js-client
 * (Basic auth on every request); resolves {url, sid, upload}, sid from the
 * last answer's Roomgate-Recording-Sid.  No retries unless retryDelays.
 */
export function tusUpload(s, buf, { chunkSize, metadata, uploadUrl, endpoint = `${s.url}/v1/Recordings/Uploads`, auth = s.accountAuth, retryDelays = null, onProgress } = {}) {
  return new Promise((resolve, reject) => {
    let sid = null;
    const up = new tus.Upload(buf, {
      endpoint,
      uploadUrl,
      chunkSize,
      metadata,
      retryDelays,
      headers: { Authorization: auth },
      storeFingerprintForResuming: false,
      onAfterResponse: (req, res) => {
        const v = res.getHeader('Roomgate-Recording-Sid');
        if (v) sid = v;
      },
      onProgress,
      onError: reject,
      onSuccess: () => resolve({ url: up.url, sid, upload: up }),
    });
    up.start();
  });
}


/**
 * `roomgate serve` on an existing data dir (startServer always makes a
 * fresh one): {url, port, proc, stderr(), request(), stop() -> exit code}.
 * The caller removes the dir.
 */
export async function serveDir(dataDir, args = []) {
  const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', dataDir, '--threads', '2', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve(code ?? `signal:${sig}`)));
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`no port announced: ${err}`)); }, 30000);
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (d) => {
      buf += d;
      const m = /roomgate: listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(buf);
      if (m) { clearTimeout(t); resolve(m[1]); }
    });
    proc.on('exit', () => { clearTimeout(t); reject(new Error(`exited early: ${err}`)); });
  });
  return {
    url,
    port: Number(new URL(url).port),
    proc,
    dataDir,
    stderr: () => err,
    request: (method, p, opts) => request(url, method, p, opts),
    stop() { proc.kill('SIGTERM'); return exited; },
  };
}
