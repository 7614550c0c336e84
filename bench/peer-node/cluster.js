'use strict';
// node:cluster variant of server.js: WORKERS (default: number of CPUs)
// processes share one listening port; the primary distributes connections
// round-robin. Same environment as server.js. When every worker listens it
// prints one line: "node-peer-cluster: listening on http://127.0.0.1:PORT/".
const cluster = require('node:cluster');
const os = require('node:os');

if (cluster.isPrimary) {
  const n = Math.max(1, Number.parseInt(process.env.WORKERS || String(os.availableParallelism()), 10));
  let listening = 0;
  let stopping = false;
  cluster.on('listening', (worker, address) => {
    if (++listening === n) {
      console.log(`node-peer-cluster: listening on http://127.0.0.1:${address.port}/ (${n} workers)`);
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      console.error(`node-peer-cluster: worker ${worker.process.pid} died (${signal || code})`);
      process.exitCode = 1;
    }
    if (Object.keys(cluster.workers).length === 0) process.exit();
  });
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  for (let i = 0; i < n; i++) cluster.fork();
} else {
  require('./server.js');
}
