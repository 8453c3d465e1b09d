/**
 * HorizontalPodAutoscaler benchmark (prints figures; not a test), issue 16:
 *  - HPA reaction: time from a load step through a NodePort to the added replicas Ready (1 → 3 on the
 *    request-rate metric, default behavior), at the default `--hpa-sync-period` (15 s) and at 1 s;
 *  - cold start from zero: first-request latency p50/p99 over BENCH_TRIALS (default 50) trials for
 *    `hello-c` (goal p99 < 300 ms) and the JS `hello` (goal p99 < 500 ms). Each trial waits until the
 *    target is at zero with no pod left, then times one GET through a NodePort of a node. Per stage
 *    of the path (cold-stages.ts: hold, wake, scale, ReplicaSet, pod, node, container, status,
 *    endpoints, release) the step's p50/p99/max, and the slowest trials' timelines.
 * Run: npx tsx bench/hpa.ts   (after npm run build && npm run build:examples)
 *      BENCH_PARTS=cold (or reaction) runs one part only; BENCH_TRIALS=N sets the cold-start trials;
 *      BENCH_COLD_APPS=c (or js) runs one cold-start series only; BENCH_TRACE_MS=N prints the hub's
 *      and nodes' log lines of the slowest trials that took longer than N ms.
 * The first request of each trial is timed at the client, on the node's own loopback address: its
 * arrival at the node is the same instant give or take a loopback connect (tens of microseconds).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Deployment, KubeObject } from '../src/api/index.js';
import { Cluster, ROOT, kind, until } from '../test/support/cluster.js';
import { Load } from '../test/support/load.js';
import { wasmServiceManifest } from '../test/support/manifests.js';
import { ColdTrace, stageTable, timelineLine, type Timeline } from './cold-stages.js';

const NODES = [
  { name: 'hpa-bench-a', address: '127.0.60.2' },
  { name: 'hpa-bench-b', address: '127.0.60.3' },
];
const HELLO_C = join(ROOT, 'examples/wasm-apps/hello-c/dist/hello-c.wasm');
const HELLO_JS = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
const TRIALS = Number(process.env.BENCH_TRIALS ?? 50);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'reaction,cold').split(','));
/** Which cold-start series run: `c` (hello-c), `js` (hello), or both (the default). */
const COLD_APPS = new Set((process.env.BENCH_COLD_APPS ?? 'c,js').split(','));
/** Trials slower than this many ms print every log line of the hub and nodes during them. */
const TRACE_MS = process.env.BENCH_TRACE_MS === undefined ? undefined : Number(process.env.BENCH_TRACE_MS);

interface PodLike extends KubeObject {
  metadata: { deletionTimestamp?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

const rps = (target: string) => ({
  type: 'Pods',
  pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: target } },
});

function hpaManifest(name: string, spec: object, annotations: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, annotations },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, ...spec },
  });
}

async function apply(cluster: Cluster, manifest: string): Promise<void> {
  const r = await cluster.edgectl(['apply', '-f', '-'], manifest);
  if (r.code !== 0) throw new Error(r.stderr);
}

async function pods(cluster: Cluster, app: string): Promise<PodLike[]> {
  const list = await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default', labelSelector: `app=${app}` });
  return list.items;
}
const ready = (p: PodLike): boolean =>
  !p.metadata.deletionTimestamp &&
  (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/** Load step → 3 Ready replicas, on a cluster whose hub syncs HPAs every `sync`. */
async function reaction(sync: string, port: number): Promise<number> {
  const cluster = new Cluster(['--hpa-sync-period', sync, '--heartbeat-interval', '1s'], ['--metrics-interval', '1s']);
  try {
    await cluster.start(NODES);
    const name = 'react';
    await apply(
      cluster,
      `${wasmServiceManifest({ name, image: HELLO_C, replicas: 1, nodePort: port })}\n---\n${hpaManifest(name, {
        minReplicas: 1,
        maxReplicas: 3,
        metrics: [rps('5')],
      })}`,
    );
    await until('one Ready pod', async () => (await pods(cluster, name)).filter(ready).length === 1, 60_000, 100);
    // Let the HPA see the idle state for a sync or two before the step.
    await until(
      'the HPA synced',
      async () => {
        const h = await cluster.client.get<KubeObject & { status?: { currentMetrics?: unknown[] } }>(
          kind('hpa'),
          'default',
          name,
        );
        return (h.status?.currentMetrics?.length ?? 0) > 0;
      },
      60_000,
      200,
    );
    // Both nodes route to it before the step (a Service no HPA may take to zero answers 503 at once
    // while its endpoint is on the way).
    for (const n of NODES)
      await until(`${n.name} routing`, async () => (await fetch(`http://${n.address}:${port}/`)).status === 200, 30_000, 100); // prettier-ignore
    const t0 = Date.now();
    const load = new Load(
      NODES.map((n) => `http://${n.address}:${port}/`),
      { concurrency: 2 },
    );
    try {
      await until('3 Ready pods', async () => (await pods(cluster, name)).filter(ready).length === 3, 120_000, 100);
      return Date.now() - t0;
    } finally {
      await load.stop();
    }
  } finally {
    await cluster.stop();
  }
}

/**
 * Runs `image` once on every node: downloading and transpiling a component is a first start on a
 * node, not a start from zero (the replicas applied first may all land on one node, and the
 * scheduler's image locality knows only what a node listed when it connected). A pod pinned to each
 * node, outside the Service's selector, deleted once Ready.
 */
async function warmNodes(cluster: Cluster, name: string, image: string): Promise<void> {
  const warm = NODES.map((n) => ({ pod: `${name}-warm-${n.name}`, node: n.name }));
  const manifest = warm.map(({ pod, node }) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod },
      spec: { nodeName: node, containers: [{ name, image, ports: [{ containerPort: 8080 }] }] },
    }),
  );
  await apply(cluster, manifest.join('\n---\n'));
  for (const { pod } of warm) {
    await until(`${pod} Ready`, async () => ready(await cluster.client.get<PodLike>(kind('pods'), 'default', pod)), 120_000, 100); // prettier-ignore
    const r = await cluster.edgectl(['delete', 'pod', pod]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
}

/** One cold start: its first-request latency and where its time went. */
interface ColdTrial {
  ms: number;
  node: string;
  trial: number;
  /** The processes' log lines during the trial (BENCH_TRACE_MS: trials slower than that). */
  lines: string[];
  timeline: Timeline;
}

/** First-request latencies of `image` woken from zero, over TRIALS trials, with each one's stages. */
async function coldStarts(
  cluster: Cluster,
  trace: ColdTrace,
  name: string,
  image: string,
  port: number,
): Promise<ColdTrial[]> {
  await apply(
    cluster,
    // One replica per node first: each node compiles the component once (the JS one takes seconds),
    // which is a first start on that node, not a start from zero; the HPA then takes it to zero.
    `${wasmServiceManifest({ name, image, replicas: NODES.length, nodePort: port })}\n---\n${hpaManifest(
      name,
      { minReplicas: 0, maxReplicas: 1, metrics: [rps('10')] },
      { 'autoscaling.edgeplane.io/scale-to-zero-idle-seconds': '1' },
    )}`,
  );
  await warmNodes(cluster, name, image);
  const out: ColdTrial[] = [];
  for (let i = 0; i < TRIALS; i++) {
    await until(
      `${name} at zero (trial ${i + 1})`,
      async () =>
        (await cluster.client.get<Deployment>(kind('deployments'), 'default', name)).spec.replicas === 0 &&
        (await pods(cluster, name)).length === 0,
      60_000,
      100,
    );
    const node = NODES[i % NODES.length]!;
    const wall0 = Date.now();
    const t0 = performance.now();
    const res = await fetch(`http://${node.address}:${port}/`, { signal: AbortSignal.timeout(30_000) });
    const body = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200)
      throw new Error(`trial ${i + 1} (${node.name}, ${ms.toFixed(0)} ms): ${res.status} ${body}`);
    // The bench's watches may trail the answer by a moment.
    await until('the endpoints event', () => trace.endpointsSeen(name, wall0), 5000, 10).catch(() => undefined);
    const timeline = trace.timeline(name, wall0, wall0 + ms);
    const lines = TRACE_MS !== undefined && ms > TRACE_MS ? trace.linesBetween(wall0, wall0 + ms) : [];
    out.push({ ms, node: node.name, trial: i + 1, timeline, lines });
  }
  return out;
}

/** Prints a cold-start series: latency percentiles, the per-stage table, the slowest trials' timelines. */
function report(label: string, goal: number, trials: readonly ColdTrial[]): void {
  const s = trials.map((t) => t.ms).sort((a, b) => a - b);
  const p50 = percentile(s, 0.5);
  const p99 = percentile(s, 0.99);
  console.log(
    `cold start from zero, ${label}: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${s.at(-1)?.toFixed(0)} ms over ${s.length} trials (goal p99 < ${goal} ms: ${p99 < goal ? 'met' : 'NOT met'}); slowest: ${s
      .slice(-3)
      .map((x) => x.toFixed(0))
      .join(', ')} ms`,
  );
  console.log(stageTable(trials.map((t) => t.timeline)));
  for (const t of [...trials].sort((a, b) => b.ms - a.ms).slice(0, 3)) {
    console.log(`  slow trial ${t.trial}: ${t.ms.toFixed(0)} ms (${t.node}): ${timelineLine(t.timeline)}`);
    for (const l of t.lines) console.log(`    ${l}`);
  }
}

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  console.log(`edgeplane HPA benchmark — node ${process.version}, 2 nodes, usage reported every 1 s`);
  for (const sync of PARTS.has('reaction') ? ['15s', '1s'] : []) {
    const ms = await reaction(sync, sync === '1s' ? 30151 : 30150);
    console.log(
      `HPA reaction, --hpa-sync-period ${sync.padEnd(3)}: load step → 3 Ready replicas in ${(ms / 1000).toFixed(1)} s`,
    );
  }
  if (!PARTS.has('cold')) return;
  // Debug logs carry the trace points of the cold path (bench/cold-stages.ts).
  const cluster = new Cluster(
    ['--hpa-sync-period', '1s', '--heartbeat-interval', '1s', '--log-level', 'debug'],
    ['--metrics-interval', '1s', '--log-level', 'debug'],
  );
  let trace: ColdTrace | undefined;
  try {
    await cluster.start(NODES);
    trace = new ColdTrace(cluster);
    const apps = [
      ['cold-c', HELLO_C, 30152, 300],
      ['cold-js', HELLO_JS, 30153, 500],
    ] as const;
    for (const [name, image, port, goal] of apps.filter(([n]) => COLD_APPS.has(n.slice(5)))) {
      console.log(`load average before ${name}: ${load()}`);
      const trials = await coldStarts(cluster, trace, name, image, port);
      report(name === 'cold-c' ? 'hello-c' : 'hello (JS)', goal, trials);
      console.log(`load average after ${name}: ${load()}`);
    }
  } finally {
    await trace?.stop();
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
