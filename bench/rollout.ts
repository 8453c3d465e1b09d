/**
 * Rollout and self-healing benchmark (prints figures; not a test):
 *  - failed requests during a rolling update of 10 replicas under steady load through both NodePorts
 *    (goal 0), and the rollout's duration (set image → `rollout status` reports success);
 *  - the same for `rollout undo`;
 *  - time from a node's death (SIGKILL) to the full replica count Ready again on the other nodes,
 *    with the hub's node grace period and eviction timeout as configured below.
 * Run: npx tsx bench/rollout.ts   (after npm run build && npm run build:examples)
 */
import { join } from 'node:path';
import { Cluster, ROOT, until, kind } from '../test/support/cluster.js';
import { Load } from '../test/support/load.js';
import { wasmServiceManifest } from '../test/support/manifests.js';
import type { KubeObject } from '../src/api/index.js';

const REPLICAS = 10;
const GRACE = '5s';
const EVICTION = '10s';
const NODES = [
  { name: 'bench-a', address: '127.0.21.2' },
  { name: 'bench-b', address: '127.0.21.3' },
  { name: 'bench-c', address: '127.0.21.4' },
];
const V1 = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
const V2 = join(ROOT, 'examples/wasm-apps/hello-v2/dist/hello-v2.wasm');
const URLS = NODES.slice(0, 2).map((n) => `http://${n.address}:30140/`);

const manifest = wasmServiceManifest({ name: 'web', image: V1, replicas: REPLICAS, nodePort: 30140 });

interface PodLike extends KubeObject {
  metadata: { deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

async function main(): Promise<void> {
  const cluster = new Cluster([
    '--node-grace-period',
    GRACE,
    '--pod-eviction-timeout',
    EVICTION,
    '--heartbeat-interval',
    '1s',
  ]);
  try {
    await cluster.start(NODES);
    const applied = await cluster.edgectl(['apply', '-f', '-'], manifest);
    if (applied.code !== 0) throw new Error(applied.stderr);
    await cluster.edgectl(['rollout', 'status', 'deployment/web', '--timeout', '120s']);
    await until(
      'NodePorts',
      async () => (await Promise.all(URLS.map((u) => fetch(u).then((r) => r.ok)))).every(Boolean),
      20_000,
    );
    console.log(
      `edgeplane rollout benchmark — node ${process.version}, ${REPLICAS} replicas on 3 nodes, load: 2 loops per NodePort on 2 nodes`,
    );
    for (const [label, args] of [
      ['rolling update (set image v1 → v2)', ['set', 'image', 'deployment/web', `web=${V2}`]],
      ['rollback (rollout undo)', ['rollout', 'undo', 'deployment/web']],
    ] as const) {
      const load = new Load(URLS, { concurrency: 2 });
      await new Promise((r) => setTimeout(r, 500));
      const t0 = performance.now();
      const r = await cluster.edgectl([...args]);
      if (r.code !== 0) throw new Error(r.stderr);
      const st = await cluster.edgectl(['rollout', 'status', 'deployment/web', '--timeout', '180s']);
      const seconds = (performance.now() - t0) / 1000;
      await new Promise((res) => setTimeout(res, 500));
      const records = await load.stop();
      console.log(
        `${label.padEnd(38)} duration ${seconds.toFixed(2)} s   requests ${records.length}   failed ${load.failures.length}${st.code === 0 ? '' : '   (rollout status failed!)'}`,
      );
    }
    const pods = async (): Promise<PodLike[]> =>
      (
        await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default', labelSelector: 'app=web' })
      ).items.filter((p) => !p.metadata.deletionTimestamp);
    const victim = NODES[2]!;
    const onVictim = (await pods()).filter((p) => p.spec.nodeName === victim.name).length;
    const load = new Load(URLS, { concurrency: 2 });
    const t0 = performance.now();
    await cluster.node(victim.name).proc.kill('SIGKILL');
    await until(
      'full replica count Ready elsewhere',
      async () => {
        const ps = await pods();
        return (
          ps.length === REPLICAS &&
          ps.every(
            (p) =>
              p.spec.nodeName !== victim.name &&
              p.status?.phase === 'Running' &&
              p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
          )
        );
      },
      120_000,
      50,
    );
    const seconds = (performance.now() - t0) / 1000;
    const records = await load.stop();
    console.log(
      `node death (SIGKILL, ${onVictim} replicas on it) → ${REPLICAS}/${REPLICAS} Ready again: ${seconds.toFixed(2)} s (grace ${GRACE} + eviction ${EVICTION})   requests ${records.length}   failed ${load.failures.length}`,
    );
  } finally {
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
