/**
 * What one placement costs the scheduler's `pickNode` (prints figures; not a test). A real node and pod
 * informer (fed through `observe`, no store traffic) hold N Ready nodes and R pods of one workload
 * bound across them; the scheduler then picks a node for M more replicas of that workload. At 1,000
 * nodes kube-scheduler's adaptive rule has each pick look at 420 feasible nodes (filters, then three
 * scores each): the fleet bench's 1,000-node rollout had `pickNode` at 11–18% of the hub.
 *
 * `--cold <MiB>` reads that much other memory between picks, as the hub's other work does between two
 * of its picks: at 10,000 nodes the walk's figure on a warm cache (~30 µs) was a fifth of what the
 * fleet's rollout profile showed (~180 µs a pick), each node's entry being a cache miss there.
 *
 * Run: npx tsx bench/scheduler-pick.ts [--nodes 1000] [--pods 10000] [--picks 20000] [--rounds 5] [--cold 0]
 */
import type { Node, Pod } from '../src/api/index.js';
import { systemClock } from '../src/api/index.js';
import { InformerFactory } from '../src/hub/informers/index.js';
import { EventRecorder } from '../src/hub/reconcile/index.js';
import { ObjectRegistry } from '../src/hub/registry/index.js';
import { Scheduler } from '../src/hub/scheduler/index.js';
import { SqliteStore } from '../src/hub/store/index.js';
import { silentLogger } from '../src/platform/index.js';
import { arg } from './wasm-support.js';

const NODES = arg('nodes', 1000);
const PODS = arg('pods', 10_000);
const PICKS = arg('picks', 20_000);
const ROUNDS = arg('rounds', 5);
const COLD_MIB = arg('cold', 0);

const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true };

function node(i: number): Node {
  const allocatable = { cpu: '4', memory: '8Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `node-${String(i).padStart(5, '0')}`, uid: `node-${i}`, resourceVersion: '1', labels: {} },
    spec: {},
    status: {
      capacity: allocatable,
      allocatable,
      runtimeHandlers: [{ name: 'wasm' }],
      images: [{ names: ['x.wasm'] }],
      nodeInfo: { architecture: 'arm64', operatingSystem: 'linux', kubeletVersion: 'bench' },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

function pod(i: number, nodeName?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-${i}`,
      namespace: 'default',
      uid: `pod-${i}`,
      resourceVersion: '1',
      ownerReferences: [owner],
    },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: 'c', image: 'x.wasm', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
    },
  };
}

const store = await SqliteStore.create({ path: ':memory:', logger: silentLogger() });
const api = new ObjectRegistry({ store, clock: systemClock, logger: silentLogger() });
const informers = new InformerFactory(api, silentLogger());
const nodes = informers.for<Node>('v1', 'Node');
const pods = informers.for<Pod>('v1', 'Pod');
const logger = silentLogger();
const scheduler = new Scheduler({
  api,
  pods,
  nodes,
  events: new EventRecorder({ api, clock: systemClock, logger, component: 'bench' }),
  clock: systemClock,
  logger,
});
for (let i = 0; i < NODES; i++) nodes.observe(node(i));
for (let i = 0; i < PODS; i++) pods.observe(pod(i, `node-${String(i % NODES).padStart(5, '0')}`));

const waiting = Array.from({ length: PICKS }, (_, i) => pod(PODS + i));
// Other memory, read a cache line at a time between picks (timed apart and left out of the figure).
const other = new Int32Array((COLD_MIB * 1024 * 1024) / 4);
let otherSum = 0;
const evict = (): void => {
  for (let i = 0; i < other.length; i += 16) otherSum += other[i]!;
};
let sink = 0;
const perPick: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  let picking = 0;
  for (const p of waiting) {
    if (COLD_MIB > 0) evict();
    const t0 = performance.now();
    sink += 'node' in scheduler.pickNode(p) ? 1 : 0;
    picking += performance.now() - t0;
  }
  perPick.push((picking * 1000) / PICKS);
}
if (otherSum !== 0) throw new Error('the other memory was not zeros');
if (sink !== PICKS * ROUNDS) throw new Error(`only ${sink} of ${PICKS * ROUNDS} picks found a node`);
perPick.sort((a, b) => a - b);
console.log(
  `pickNode, ${NODES} nodes, ${PODS} pods bound, ${PICKS} picks x ${ROUNDS} rounds` +
    `${COLD_MIB > 0 ? `, ${COLD_MIB} MiB read between picks` : ''}: ` +
    `median ${perPick[Math.floor(ROUNDS / 2)]!.toFixed(1)} µs a pick (rounds ${perPick.map((v) => v.toFixed(1)).join(', ')})`,
);
await scheduler.stop();
informers.stop();
await store.close();
