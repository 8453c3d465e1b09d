/**
 * Bytes the hub serves when N nodes start a pod of the 13 MB JS `hello` component at once (a DaemonSet:
 * one pod per node), with and without zone peers (issue 20):
 *   - `no zone`: nodes without a zone label download it from the hub each (brotli, ~3.5 MB apiece);
 *   - `1 zone`: nodes labelled `topology.kubernetes.io/zone=z1` fetch it from each other;
 *   - `2 zones`: half in z1, half in z2.
 * A counting TCP proxy per node sits in front of the hub and the node talks to the hub through it: the
 * figure is everything the hub sent the nodes from the apply until every pod was Ready (the blob and the
 * nodes' control traffic), i.e. its uplink, in all and per node. Real TLS hub, real edge-node processes,
 * mTLS between nodes.
 *
 *   npx tsx bench/p2p-bytes.ts [--nodes 4]
 *
 * Nodes listen on 127.0.140.x (this benchmark's loopback range). The machine is shared: compare the
 * rows as ratios, and read the load average printed beside them.
 */
import { createConnection, createServer, type Server } from 'node:net';
import { loadavg } from 'node:os';
import type { Pod } from '../src/api/index.js';
import { Cluster, WASM, arg, freePort, runBench, until } from './wasm-support.js';
import { kind } from '../test/support/cluster.js';

const MB = 1024 * 1024;

/** A TCP proxy to `port` counting the bytes that come back from it. */
async function countingProxy(port: number): Promise<{ port: number; fromHub: () => number; close(): void }> {
  let bytes = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    upstream.on('data', (c: Buffer) => (bytes += c.byteLength));
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  const listenPort = await freePort();
  await new Promise<void>((r) => server.listen(listenPort, '127.0.0.1', r));
  return { port: listenPort, fromHub: () => bytes, close: () => void server.close() };
}

const daemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: p2p}
spec:
  selector: {matchLabels: {app: p2p}}
  template:
    metadata: {labels: {app: p2p}}
    spec:
      runtimeClassName: wasm
      containers:
      - {name: app, image: ${WASM.hello}, ports: [{containerPort: 8080}]}
`;

interface Row {
  name: string;
  hubBytes: number;
  /** The hub's bytes to each node, in node order. */
  perNode: number[];
  seconds: number;
  load: number;
}

async function scenario(name: string, nodes: number, zoneOf: (i: number) => string | undefined): Promise<Row> {
  const cluster = new Cluster([], ['--mesh-relay', 'never']);
  try {
    // A fresh hub makes its CA and keys: at load 40 that alone took 43 s.
    await cluster.startHub(180_000);
    const direct = cluster.url;
    const hubPort = Number(new URL(direct).port);
    const proxies: Awaited<ReturnType<typeof countingProxy>>[] = [];
    const names: string[] = [];
    for (let i = 0; i < nodes; i++) {
      const zone = zoneOf(i);
      names.push(`p2p-${i}`);
      // Each node reaches the hub through a proxy of its own; this process (edgectl, the client) directly.
      const proxy = await countingProxy(hubPort);
      proxies.push(proxy);
      cluster.url = `${new URL(direct).protocol}//127.0.0.1:${proxy.port}`;
      await cluster.startNode({
        name: `p2p-${i}`,
        address: `127.0.140.${10 + i}`,
        ...(zone ? { labels: { 'topology.kubernetes.io/zone': zone } } : {}),
      });
    }
    cluster.url = direct;
    await cluster.waitNodesReady(names, 120_000);
    const before = proxies.map((p) => p.fromHub());
    const started = Date.now();
    const r = await cluster.edgectl(['apply', '-f', '-'], daemonSet);
    if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
    await until(
      `${nodes} p2p pods Ready`,
      async () => {
        const pods = await cluster.client.list<Pod>(kind('pods'), { namespace: 'default', labelSelector: 'app=p2p' });
        return (
          pods.items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
            .length >= nodes
        );
      },
      600_000,
      200,
    );
    const perNode = proxies.map((p, i) => p.fromHub() - before[i]!);
    const row = {
      name,
      hubBytes: perNode.reduce((a, b) => a + b, 0),
      perNode,
      seconds: (Date.now() - started) / 1000,
      load: loadavg()[0]!,
    };
    for (const p of proxies) p.close();
    return row;
  } finally {
    await cluster.stop();
  }
}

runBench(async () => {
  const n = arg('nodes', 4);
  console.log(`edgeplane p2p-bytes — ${n} nodes start the 13 MB JS hello (DaemonSet), node ${process.version}`);
  const rows: Row[] = [];
  for (const [name, zone] of [
    ['no zone (hub only)', () => undefined],
    ['1 zone, peers', () => 'z1'],
    ['2 zones, peers', (i: number) => (i % 2 === 0 ? 'z1' : 'z2')],
  ] as const) {
    const row = await scenario(name, n, zone);
    rows.push(row);
    console.log(
      `${row.name.padEnd(20)} hub sent ${(row.hubBytes / MB).toFixed(2).padStart(7)} MB   all Ready in ${row.seconds.toFixed(1).padStart(5)} s   load ${row.load.toFixed(1)}`,
    );
    console.log(`${''.padEnd(20)} per node: ${row.perNode.map((b) => `${(b / MB).toFixed(2)} MB`).join(', ')}`);
  }
  const base = rows[0]!.hubBytes;
  console.log(
    `ratios of the hub's bytes to hub-only: ${rows.map((r) => `${r.name} ${(r.hubBytes / base).toFixed(2)}`).join(', ')}`,
  );
});
