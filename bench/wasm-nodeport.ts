/**
 * Wasm fast-path benchmark (prints figures; not a test): requests/s and latency of `hello-c` and
 * `hello` through a NodePort of a real edge-node process (real hub, one node, the components'
 * pods all local), against a plain node:http hello server in a process of its own, with the same
 * load generator (autocannon, keep-alive) and the same connections. The plain server is also run
 * inside the load generator's process, as bench/foundation.ts does, for comparison with its figure.
 *
 * Run: npm run build && npm run build:examples && npx tsx bench/wasm-nodeport.ts
 *      [--seconds 10] [--connections 10] [--replicas 2]
 */
import { createServer } from 'node:http';
import {
  Cluster,
  WASM,
  applyAndWait,
  arg,
  deployment,
  fmt,
  freePort,
  load,
  runBench,
  startPlainServer,
  type LoadResult,
} from './wasm-support.js';

const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 10);
const REPLICAS = arg('replicas', 2);

async function plainInProcess(): Promise<LoadResult> {
  const port = await freePort();
  const body = JSON.stringify({ message: 'hello from Edgeplane', pod: 'plain', node: 'plain' }) + '\n';
  const srv = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  const r = await load(`http://127.0.0.1:${port}/`, CONNECTIONS, SECONDS);
  srv.close();
  return r;
}

async function main(): Promise<void> {
  console.log(
    `edgeplane wasm NodePort benchmark — node ${process.version}, ${CONNECTIONS} connections, ${SECONDS}s per run, ${REPLICAS} replicas each, 1 node`,
  );
  const results: Array<[string, LoadResult]> = [];
  const cluster = new Cluster();
  try {
    await cluster.start([{ name: 'bench-1', address: '127.0.30.2' }]);
    await applyAndWait(cluster, deployment('hello-c', WASM.helloC, REPLICAS, 30182), 'hello-c', REPLICAS);
    await applyAndWait(cluster, deployment('hello', WASM.hello, REPLICAS, 30180), 'hello', REPLICAS);
    for (const [name, url] of [
      ['hello-c', 'http://127.0.30.2:30182/'],
      ['hello', 'http://127.0.30.2:30180/'],
    ] as const) {
      await load(url, CONNECTIONS, 2); // warm-up: instance pools grow, JIT warms
      const r = await load(url, CONNECTIONS, SECONDS);
      results.push([`${name} through a NodePort`, r]);
      console.log(`${`${name} through a NodePort:`.padEnd(36)} ${fmt(r)}`);
    }
  } finally {
    await cluster.stop();
  }
  const plain = await startPlainServer();
  try {
    await load(plain.url, CONNECTIONS, 2);
    const r = await load(plain.url, CONNECTIONS, SECONDS);
    results.push(['plain node:http (own process)', r]);
    console.log(`${'plain node:http (own process):'.padEnd(36)} ${fmt(r)}`);
  } finally {
    plain.stop();
  }
  const inproc = await plainInProcess();
  console.log(`${'plain node:http (in the bench):'.padEnd(36)} ${fmt(inproc)}`);
  const base = results.find(([n]) => n.startsWith('plain'))![1];
  for (const [name, r] of results.slice(0, 2)) {
    console.log(
      `${name}: ${((100 * r.rps) / base.rps).toFixed(1)}% of plain req/s (${((100 * r.rps) / inproc.rps).toFixed(1)}% of the in-bench plain), ` +
        `p99 ×${(r.p99 / base.p99).toFixed(1)} of plain's (${r.p99.toFixed(3)} vs ${base.p99.toFixed(3)} ms)`,
    );
  }
}

runBench(main);
