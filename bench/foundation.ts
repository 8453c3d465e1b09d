/**
 * Foundation benchmark (prints figures; not a test):
 *  1. apply → all replicas Ready, cold (first pull + transpile on each node) and warm (cached component);
 *  2. requests/s and latency through a NodePort (real hub + 2 real node processes, autocannon, keep-alive),
 *     against the same component called in-process through the Runtime interface, and a plain
 *     node:http hello server as the ceiling.
 * Run: npm run bench  (or: npx tsx bench/foundation.ts [--seconds 10] [--connections 10] [--replicas 20])
 */
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { Pod, Runtime, WorkloadRequest } from '../src/api/index.js';
import { silentLogger } from '../src/platform/index.js';
import { Cluster, ROOT, freePort, until, kind } from '../test/support/cluster.js';
import { wasmServiceManifest } from '../test/support/manifests.js';
import type * as WasmRuntimeModule from '../src/runtime-wasm/index.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 10);
const REPLICAS = arg('replicas', 20);
const WASM = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(url: string): Promise<LoadResult> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, pipelining: 1 });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

function manifest(replicas: number): string {
  return wasmServiceManifest({ name: 'bench', image: WASM, replicas, nodePort: 30090 });
}

async function readyCount(cluster: Cluster): Promise<number> {
  const pods = await cluster.client.list<Pod>(kind('pods'), { namespace: 'default', labelSelector: 'app=bench' });
  return pods.items.filter(
    (p) =>
      !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}

async function timeToReady(cluster: Cluster, replicas: number): Promise<number> {
  const t0 = performance.now();
  const r = await cluster.edgectl(['apply', '-f', '-'], manifest(replicas));
  if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
  await until(`${replicas} Ready`, async () => (await readyCount(cluster)) >= replicas, 300_000, 20);
  return (performance.now() - t0) / 1000;
}

async function inProcess(): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-bench-rt-'));
  const bytes = readFileSync(WASM);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  // The compiled runtime, as the agent runs it (workers start from dist/).
  const { WasmRuntime } = (await import(join(ROOT, 'dist/runtime-wasm/index.js'))) as typeof WasmRuntimeModule;
  const rt: Runtime = await WasmRuntime.create({
    dataDir: dir,
    logger: silentLogger(),
    fetchBlob: () => Promise.resolve(bytes),
  });
  const image = await rt.pullImage(`edgeplane.hub/hello.wasm@${digest}`);
  await rt.createContainer({
    id: 'c1',
    pod: { namespace: 'default', name: 'bench', uid: 'u1' },
    name: 'hello',
    image,
    command: [],
    args: [],
    env: { POD_NAME: 'bench', NODE_NAME: 'local' },
    ports: [8080],
    limits: {},
    logPath: join(dir, 'c1.log'),
  });
  await rt.startContainer('c1');
  const ep = rt.endpoint('c1', 8080);
  if (ep.kind !== 'in-process') throw new Error('expected an in-process endpoint');
  const req: WorkloadRequest = {
    method: 'GET',
    path: '/',
    authority: 'bench',
    scheme: 'http',
    headers: [],
    body: new Uint8Array(),
  };
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await ep.handle(req);
          lat.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  await rt.close();
  rmSync(dir, { recursive: true, force: true });
  lat.sort((a, b) => a - b);
  const pct = (p: number): number => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? 0;
  return { rps: lat.length / SECONDS, p50: pct(50), p99: pct(99), errors, non2xx: 0 };
}

async function plainNode(): Promise<LoadResult> {
  const port = await freePort();
  const body = JSON.stringify({ message: 'hello from Edgeplane', pod: 'plain', node: 'plain' });
  const srv = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  const r = await load(`http://127.0.0.1:${port}/`);
  srv.close();
  return r;
}

const fmt = (r: LoadResult): string =>
  `${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   errors ${r.errors + r.non2xx}`;

async function main(): Promise<void> {
  console.log(
    `edgeplane foundation benchmark — node ${process.version}, ${CONNECTIONS} connections, ${SECONDS}s per run, ${REPLICAS} replicas`,
  );
  const cluster = new Cluster();
  try {
    await cluster.start([
      { name: 'bench-1', address: '127.0.20.2' },
      { name: 'bench-2', address: '127.0.20.3' },
    ]);
    const cold = await timeToReady(cluster, REPLICAS);
    console.log(
      `apply → ${REPLICAS} Ready (cold: upload, download, transpile): ${cold.toFixed(2)} s  = ${(REPLICAS / cold).toFixed(1)} pods/s`,
    );
    const warm = await timeToReady(cluster, REPLICAS * 2);
    console.log(
      `scale ${REPLICAS} → ${REPLICAS * 2} Ready (warm: component cached):     ${warm.toFixed(2)} s  = ${(REPLICAS / warm).toFixed(1)} pods/s`,
    );
    const nodePort = await load('http://127.0.20.2:30090/');
    console.log(`NodePort (hub + 2 nodes, ${REPLICAS * 2} replicas):  ${fmt(nodePort)}`);
  } finally {
    await cluster.stop();
  }
  console.log(`in-process Runtime.endpoint().handle():     ${fmt(await inProcess())}`);
  console.log(`plain node:http hello (ceiling):            ${fmt(await plainNode())}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
