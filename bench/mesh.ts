/**
 * Node mesh benchmark (prints figures; not a test). A real hub and two real edge-node processes on
 * one machine, the shop example deployed with its frontend on mesh-a and its catalog on mesh-b, and
 * autocannon (keep-alive) against NodePorts:
 *   1. the catalog reached directly on its node (a NodePort on mesh-b, delivered to the local pod);
 *   2. the same catalog through the mesh: the frontend on mesh-a calls http://catalog (/api/items),
 *      which crosses to mesh-b; and, to split that hop up, a catalog on the frontend's own node
 *      (http://catalog-local, no node-to-node leg) and the frontend answering alone (/healthz);
 *   3. the hello component through a NodePort vs a plain node:http hello server in a process of its
 *      own (the ceiling of a Node.js HTTP server on this machine).
 * "One mesh hop" is what reaching the catalog through the frontend adds over reaching it directly.
 * The mesh runs use `--mesh-connections` (default 4) and again `--connections` (default 10, as the
 * other benchmarks): a guest waiting for its outgoing call holds an executor thread, and a node has
 * at most 4 per core, so more concurrent calls than that queue (or, when the callee is on the same
 * node, find no executor for it).
 *
 * Run: npm run build && npx tsx bench/mesh.ts [--seconds 10] [--connections 10] [--mesh-connections 4]
 */
import { buildShop, applyText, shopCopy, shopDocs } from '../test/support/shop.js';
import {
  Cluster,
  WASM,
  applyAndWait,
  arg,
  deployment,
  fmt,
  load,
  readyPods,
  runBench,
  startPlainServer,
  until,
  type LoadResult,
} from './wasm-support.js';

const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 10);
const MESH_CONNECTIONS = arg('mesh-connections', 4);
const A = { name: 'mesh-a', address: '127.0.34.2', labels: { zone: 'a', role: 'front' } };
const B = { name: 'mesh-b', address: '127.0.34.3', labels: { zone: 'b', role: 'back' } };
const PORT = { frontend: 30088, catalogDirect: 30087, hello: 30080 } as const;

/** The shop, placed for the comparison, plus a catalog on mesh-a and a NodePort onto the catalog. */
function manifest(): string {
  const docs = shopDocs({
    nodeSelector: { frontend: { role: 'front' }, catalog: { role: 'back' }, cart: { role: 'back' } },
    replicas: { frontend: 2, catalog: 2, cart: 1 },
  });
  const local = shopCopy(docs, 'catalog', 'catalog-local', { nodeSelector: { role: 'front' }, replicas: 2 });
  const direct = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'catalog-direct' },
    spec: {
      type: 'NodePort',
      selector: { app: 'catalog' },
      ports: [{ port: 80, targetPort: 8080, nodePort: PORT.catalogDirect }],
    },
  };
  return applyText([...docs, ...local, direct]);
}

/** Checks that `url` answers 200 with what is expected, before measuring it. */
async function check(url: string, want: (doc: Record<string, unknown>) => boolean): Promise<void> {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200 || !want(JSON.parse(text) as Record<string, unknown>))
    throw new Error(`${url} → ${res.status}: ${text.slice(0, 300)}`);
}

async function measure(label: string, url: string, connections: number): Promise<LoadResult> {
  await load(url, connections, 2); // warm-up: instance pools grow, connections open, JIT warms
  const r = await load(url, connections, SECONDS);
  console.log(`${`${label}:`.padEnd(60)} ${fmt(r)}`);
  return r;
}

async function main(): Promise<void> {
  buildShop();
  console.log(
    `edgeplane node mesh benchmark — node ${process.version}, ${SECONDS}s per run, hub + 2 nodes on one machine`,
  );
  const cluster = new Cluster();
  const r: Record<string, LoadResult> = {};
  try {
    await cluster.start([A, B]);
    const r1 = await cluster.edgectl(['apply', '-f', '-'], manifest());
    if (r1.code !== 0) throw new Error(`apply failed: ${r1.stderr}`);
    await applyAndWait(
      cluster,
      deployment('hello', WASM.hello, 2, PORT.hello, '\n      nodeSelector: {role: front}'),
      'hello',
      2,
    );
    for (const [app, n] of [
      ['frontend', 2],
      ['catalog', 2],
      ['catalog-local', 2],
      ['cart', 1],
    ] as const) {
      await until(`${n} ${app} Ready`, async () => (await readyPods(cluster, app)) >= n, 120_000, 100);
    }
    const front = `http://${A.address}:${PORT.frontend}`;
    const remote = `${front}/api/items`;
    const local = `${front}/debug/call?url=${encodeURIComponent('http://catalog-local/items')}`;
    const direct = `http://${B.address}:${PORT.catalogDirect}/items`;
    await check(remote, (d) => (d.catalog as { node?: string } | undefined)?.node === B.name);
    await check(local, (d) => (JSON.parse(String(d.body)) as { node?: string }).node === A.name);
    await check(direct, (d) => d.node === B.name);

    // The NodePort comparison first: the 10-connection mesh runs last, as they can leave the
    // frontend's node short of executors for a while.
    console.log(`-- a NodePort vs a plain node:http server, ${CONNECTIONS} connections`);
    r.hello = await measure(`hello through a NodePort`, `http://${A.address}:${PORT.hello}/`, CONNECTIONS);
    const plain = await startPlainServer();
    try {
      r.plain = await measure('plain node:http hello (own process)', plain.url, CONNECTIONS);
    } finally {
      plain.stop();
    }
    console.log(`-- the mesh, ${MESH_CONNECTIONS} connections`);
    r.direct = await measure(`catalog, direct through a NodePort on its node`, direct, MESH_CONNECTIONS);
    r.remote = await measure(`catalog through the frontend, across nodes (one mesh hop)`, remote, MESH_CONNECTIONS);
    r.local = await measure(`catalog through the frontend, on the frontend's node`, local, MESH_CONNECTIONS);
    r.front = await measure(`the frontend alone (/healthz)`, `${front}/healthz`, MESH_CONNECTIONS);
    if (CONNECTIONS !== MESH_CONNECTIONS) {
      console.log(`-- the mesh, ${CONNECTIONS} connections`);
      r.direct2 = await measure(`catalog, direct through a NodePort on its node`, direct, CONNECTIONS);
      r.remote2 = await measure(`catalog through the frontend, across nodes (one mesh hop)`, remote, CONNECTIONS);
      r.local2 = await measure(`catalog through the frontend, on the frontend's node`, local, CONNECTIONS);
    }
  } finally {
    await cluster.stop();
  }
  const {
    direct,
    remote,
    local,
    front,
    hello,
    plain: base,
  } = r as Record<'direct' | 'remote' | 'local' | 'front' | 'hello' | 'plain', LoadResult>;
  const ms = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)} ms`;
  console.log(
    `one mesh hop (frontend → catalog across nodes, vs the catalog direct; ${MESH_CONNECTIONS} connections): ` +
      `${ms(remote.p50 - direct.p50)} at p50, ${ms(remote.p99 - direct.p99)} at p99; ${((100 * remote.rps) / direct.rps).toFixed(0)}% of the direct req/s`,
  );
  console.log(
    `  the node-to-node leg (across nodes vs on the frontend's node): ${ms(remote.p50 - local.p50)} at p50; ` +
      `the frontend's outgoing call within its node (vs the frontend alone): ${ms(local.p50 - front.p50)} at p50`,
  );
  console.log(
    `NodePort vs plain node:http (${CONNECTIONS} connections): ${((100 * hello.rps) / base.rps).toFixed(1)}% of plain req/s, ` +
      `p50 ${hello.p50.toFixed(2)} vs ${base.p50.toFixed(2)} ms, p99 ${hello.p99.toFixed(2)} vs ${base.p99.toFixed(2)} ms`,
  );
}

runBench(main);
