/**
 * Weight-change propagation (prints figures; not a test), issue 18: the time from the API request that
 * changes an HTTPRoute's weights to the moment each node routes by the new weights.
 *
 * A real hub and real nodes on loopback; hello v1 and v2 behind a Gateway listener served on every node,
 * the route at 100/0. Each round flips it (100/0 → 0/100 → 100/0 …) with one in-process JSON patch and
 * times, per node, the first answer from the version that had weight 0 before: with weights 100/0 no
 * such answer can come from the old route, so the first one marks the change. Each node is polled by
 * one loop of back-to-back GETs (a request is ~1 ms on loopback: that is the resolution).
 *
 *   npx tsx bench/routes-propagation.ts [rounds=20] [nodes=3]   (after npm run build && npm run build:examples)
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../src/api/index.js';
import { Cluster, ROOT, freePort, kind, until } from '../test/support/cluster.js';

const ROUNDS = Number(process.argv[2] ?? 20);
const NODE_COUNT = Math.min(8, Number(process.argv[3] ?? 3));
const NODES = Array.from({ length: NODE_COUNT }, (_, i) => ({
  name: `routes-bench-${i}`,
  address: `127.0.79.${10 + i}`,
}));
const V1 = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
const V2 = join(ROOT, 'examples/wasm-apps/hello-v2/dist/hello-v2.wasm');
const GW = 'gateway.networking.k8s.io/v1';

const deployment = (name: string, image: string, version: string): object => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'hello', version } },
    template: {
      metadata: { labels: { app: 'hello', version } },
      spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }] }] },
    },
  },
});
const service = (name: string, version: string): object => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { selector: { app: 'hello', version }, ports: [{ port: 80, targetPort: 8080 }] },
});
const split = (v1: number, v2: number): object[] => [
  { name: 'hello-v1', port: 80, weight: v1 },
  { name: 'hello-v2', port: 80, weight: v2 },
];

async function version(url: string): Promise<'v1' | 'v2' | 'failed'> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (res.status !== 200) return 'failed';
    return ((await res.json()) as { message: string }).message.endsWith('v2') ? 'v2' : 'v1';
  } catch {
    return 'failed';
  }
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

async function main(): Promise<void> {
  const cluster = new Cluster(['--heartbeat-interval', '1s']);
  try {
    await cluster.start(NODES);
    const port = await freePort(NODES[0]!.address);
    const docs = [
      deployment('hello-v1', V1, 'v1'),
      deployment('hello-v2', V2, 'v2'),
      service('hello-v1', 'v1'),
      service('hello-v2', 'v2'),
      {
        apiVersion: GW,
        kind: 'Gateway',
        metadata: { name: 'bench' },
        spec: { gatewayClassName: 'edgeplane', listeners: [{ name: 'http', port, protocol: 'HTTP' }] },
      },
      {
        apiVersion: GW,
        kind: 'HTTPRoute',
        metadata: { name: 'hello' },
        spec: { parentRefs: [{ name: 'bench' }], rules: [{ backendRefs: split(100, 0) }] },
      },
    ];
    const r = await cluster.edgectl(['apply', '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n---\n'));
    if (r.code !== 0) throw new Error(r.stderr);
    for (const name of ['hello-v1', 'hello-v2'])
      await until(
        `a ready endpoint of ${name}`,
        async () => {
          const ep = await cluster.client
            .get<KubeObject & { subsets?: Array<{ addresses?: unknown[] }> }>(kind('endpoints'), 'default', name)
            .catch(() => undefined);
          return (ep?.subsets?.[0]?.addresses?.length ?? 0) > 0;
        },
        120_000,
      );
    const urls = NODES.map((n) => `http://${n.address}:${port}/`);
    for (const u of urls) await until(`${u} answers v1`, async () => (await version(u)) === 'v1', 60_000);

    const perNode: number[][] = NODES.map(() => []);
    const allNodes: number[] = [];
    let now: 'v1' | 'v2' = 'v1';
    for (let round = 0; round < ROUNDS; round++) {
      const next: 'v1' | 'v2' = now === 'v1' ? 'v2' : 'v1';
      const t0 = performance.now();
      await cluster.client.patch(
        kind('httproutes'),
        'default',
        'hello',
        [{ op: 'replace', path: '/spec/rules/0/backendRefs', value: next === 'v2' ? split(0, 100) : split(100, 0) }],
        { patchType: 'json' },
      );
      const times = await Promise.all(
        urls.map(async (u) => {
          const deadline = t0 + 30_000;
          for (;;) {
            const at = performance.now();
            if ((await version(u)) === next) return at - t0;
            if (at > deadline) throw new Error(`${u} still routes to ${now} 30 s after the change`);
          }
        }),
      );
      times.forEach((ms, i) => perNode[i]!.push(ms));
      allNodes.push(Math.max(...times));
      now = next;
    }
    const fmt = (xs: number[]): string => {
      const s = [...xs].sort((a, b) => a - b);
      return `p50 ${percentile(s, 0.5).toFixed(1)} ms, p90 ${percentile(s, 0.9).toFixed(1)} ms, max ${s[s.length - 1]!.toFixed(1)} ms`;
    };
    console.log(
      `weight change → routed by the new weights, ${ROUNDS} flips, ${NODE_COUNT} real nodes ` +
        `(load average ${loadavg()[0]!.toFixed(1)} at the end)`,
    );
    NODES.forEach((n, i) => console.log(`  ${n.name}: ${fmt(perNode[i]!)}`));
    console.log(`  every node: ${fmt(allNodes)}`);
  } finally {
    await cluster.stop();
  }
}

await main();
