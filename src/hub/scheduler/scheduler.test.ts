import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { systemClock, typeByKind, type Node, type Pod } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { InformerFactory } from '../informers/index.js';
import { EventRecorder } from '../reconcile/index.js';
import { ObjectRegistry, bindPod } from '../registry/index.js';
import { SqliteStore } from '../store/index.js';
import {
  DEFAULT_FILTERS,
  DEFAULT_SCORES,
  IMAGE_ARCHITECTURES_ANNOTATION,
  type FilterPlugin,
  type ScorePlugin,
} from './plugins.js';
import { Scheduler } from './scheduler.js';

const POD = typeByKind('v1', 'Pod')!;
const NODE = typeByKind('v1', 'Node')!;

let dir: string;
let store: SqliteStore;
let api: ObjectRegistry;
let informers: InformerFactory;
let scheduler: Scheduler;

async function addNode(name: string, pods: number, cpu = '4'): Promise<void> {
  const n = await api.create<Node>(NODE, { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} });
  const allocatable = { cpu, memory: '4Gi', pods: String(pods) };
  await api.updateStatus(NODE, {
    ...n,
    status: {
      capacity: allocatable,
      allocatable,
      runtimeHandlers: [{ name: 'wasm' }],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  });
}

const pod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'main', image: 'hello.wasm' }] },
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scheduler-'));
  store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger() });
  api = new ObjectRegistry({ store, clock: systemClock, logger: silentLogger() });
  await api.ensureNamespace('default');
  informers = new InformerFactory(api, silentLogger());
  scheduler = newScheduler();
});

/** A scheduler over this test's store and informers (not started). */
function newScheduler(scores?: ScorePlugin[], filters?: FilterPlugin[]): Scheduler {
  const logger = silentLogger();
  return new Scheduler({
    api,
    pods: informers.for<Pod>('v1', 'Pod'),
    nodes: informers.for<Node>('v1', 'Node'),
    events: new EventRecorder({ api, clock: systemClock, logger, component: 'test' }),
    clock: systemClock,
    logger,
    scores,
    filters,
  });
}
afterEach(async () => {
  await scheduler.stop();
  informers.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('binds concurrently without overcommitting a node: each placement is accounted before the next', async () => {
  for (const name of ['pi-1', 'pi-2', 'pi-3']) await addNode(name, 4);
  await informers.start();
  scheduler.start();
  // 14 pods for 12 slots, all arriving in one burst: 16 workers place them while bindings are in flight.
  await Promise.all(Array.from({ length: 14 }, (_, i) => api.create(POD, pod(`p-${i}`))));
  const placed = async (): Promise<Pod[]> => (await api.list<Pod>(POD)).items;
  await vi.waitFor(async () => expect((await placed()).filter((p) => p.spec.nodeName)).toHaveLength(12));
  await scheduler.idle();
  const perNode = new Map<string, number>();
  for (const p of await placed())
    if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  expect([...perNode.values()]).toEqual([4, 4, 4]);
  const waiting = (await placed()).filter((p) => !p.spec.nodeName);
  expect(waiting).toHaveLength(2);
  for (const p of waiting)
    expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toBe(
      '0/3 nodes are available: 3 Too many pods.',
    );
  // A new node makes them fit.
  await addNode('pi-4', 4);
  await vi.waitFor(async () => expect((await placed()).filter((p) => p.spec.nodeName === 'pi-4')).toHaveLength(2));
});

it('samples a large cluster yet spreads a burst over it', async () => {
  for (let i = 0; i < 300; i++) await addNode(`n-${String(i).padStart(3, '0')}`, 110);
  await informers.start();
  scheduler.start();
  const first = scheduler.pickNode(pod('probe'));
  expect(first).toEqual({ node: expect.stringMatching(/^n-\d{3}$/) as unknown });
  await Promise.all(Array.from({ length: 300 }, (_, i) => api.create(POD, pod(`p-${i}`))));
  await vi.waitFor(async () => expect((await api.list<Pod>(POD)).items.every((p) => p.spec.nodeName)).toBe(true), {
    timeout: 10_000,
  });
  const nodes = new Set((await api.list<Pod>(POD)).items.map((p) => p.spec.nodeName));
  // Every pod looked at a sample, and the rotating start moved the samples over the whole cluster.
  expect(nodes.size).toBeGreaterThan(150);
});

it('walks only the nodes a pod can land on, and re-indexes when a node label changes', async () => {
  for (let i = 0; i < 250; i++) await addNode(`n-${String(i).padStart(3, '0')}`, 110);
  const label = async (name: string, labels: Record<string, string>): Promise<void> => {
    const n = await api.get<Node>(NODE, undefined, name);
    await api.update(NODE, { ...n, metadata: { ...n.metadata, labels } });
  };
  await label('n-123', { site: 'north' });
  await informers.start();
  scheduler.start();
  const north = (name: string): Pod => ({ ...pod(name), spec: { ...pod(name).spec, nodeSelector: { site: 'north' } } });
  expect(scheduler.pickNode(north('x'))).toEqual({ node: 'n-123' });
  const south = { ...pod('s'), spec: { ...pod('s').spec, nodeSelector: { site: 'south' } } };
  expect(scheduler.pickNode(south)).toEqual({
    unschedulable: "0/250 nodes are available: 250 node(s) didn't match Pod's node selector.",
  });
  // The site moves to another node: the index follows the label changes.
  await label('n-200', { site: 'north' });
  await label('n-123', {});
  await vi.waitFor(() => expect(scheduler.pickNode(north('y'))).toEqual({ node: 'n-200' }));
});

it('places OCI pods by their image architectures against an arm64 node (issue 20); Wasm pods go anywhere', async () => {
  // An arm64 node, as the agent on qemu-aarch64 reports itself (bench/arm64.ts), and an amd64 one.
  for (const [name, architecture] of [
    ['pi-arm', 'arm64'],
    ['x86-1', 'amd64'],
  ] as const) {
    const n = await api.create<Node>(NODE, { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} });
    const allocatable = { cpu: '4', memory: '4Gi', pods: '10' };
    await api.updateStatus(NODE, {
      ...n,
      status: {
        capacity: allocatable,
        allocatable,
        runtimeHandlers: [{ name: 'wasm' }, { name: 'oci' }],
        nodeInfo: { architecture, operatingSystem: 'linux', kubeletVersion: 'v0.1.0' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
  }
  await informers.start();
  scheduler.start();
  const oci = (name: string, archs: string, node?: string): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations: { [IMAGE_ARCHITECTURES_ANNOTATION]: archs } },
    spec: {
      runtimeClassName: 'oci',
      containers: [{ name: 'main', image: 'registry.example/app:1' }],
      ...(node ? { nodeSelector: { 'kubernetes.io/hostname': node } } : {}),
    },
  });
  await vi.waitFor(() => expect(scheduler.pickNode(pod('w'))).toHaveProperty('node'));
  // Pinned to the arm64 node: an amd64-only image cannot go there, and says why.
  const amd64OnArm = oci('amd64-only', 'amd64', 'pi-arm');
  await label('pi-arm', { 'kubernetes.io/hostname': 'pi-arm' });
  await label('x86-1', { 'kubernetes.io/hostname': 'x86-1' });
  await vi.waitFor(() =>
    expect(scheduler.pickNode(amd64OnArm)).toEqual({
      unschedulable:
        "0/2 nodes are available: 1 node(s) didn't match the image's architectures (amd64), 1 node(s) didn't match Pod's node selector.",
    }),
  );
  // A multi-arch image runs there; unpinned, each single-arch image finds its own node.
  expect(scheduler.pickNode(oci('multi', 'amd64, arm64', 'pi-arm'))).toEqual({ node: 'pi-arm' });
  expect(scheduler.pickNode(oci('arm-only', 'arm64'))).toEqual({ node: 'pi-arm' });
  expect(scheduler.pickNode(oci('x86-only', 'amd64'))).toEqual({ node: 'x86-1' });
  expect(scheduler.pickNode(oci('riscv', 'riscv64'))).toEqual({
    unschedulable: "0/2 nodes are available: 2 node(s) didn't match the image's architectures (riscv64).",
  });
  // The same pods bound for real: the amd64-only one stays Pending with the reason in PodScheduled.
  await api.create(POD, amd64OnArm);
  await api.create(POD, oci('multi', 'amd64,arm64', 'pi-arm'));
  await vi.waitFor(async () => {
    const pods = new Map((await api.list<Pod>(POD)).items.map((p) => [p.metadata.name, p]));
    expect(pods.get('multi')?.spec.nodeName).toBe('pi-arm');
    const cond = pods.get('amd64-only')?.status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(cond?.message).toMatch(/didn't match the image's architectures \(amd64\)/);
  });
  expect((await api.get<Pod>(POD, 'default', 'amd64-only')).spec.nodeName).toBeUndefined();

  async function label(name: string, labels: Record<string, string>): Promise<void> {
    const n = await api.get<Node>(NODE, undefined, name);
    await api.update(NODE, { ...n, metadata: { ...n.metadata, labels } });
  }
});

it('reads every version of a Node in its walk, a status change outside the scheduling view too (ImageLocality)', async () => {
  for (const name of ['img-a', 'img-b']) await addNode(name, 10);
  await informers.start();
  scheduler.start();
  await api.create(POD, pod('first'));
  const nodeOf = async (name: string): Promise<string | undefined> =>
    (await api.get<Pod>(POD, 'default', name)).spec.nodeName;
  await vi.waitFor(async () => expect(await nodeOf('first')).toBeDefined());
  // The node holding the first pod reports its image (status.images is no part of the scheduling
  // view, so the index is not rebuilt). The next pod would go to the emptier node, but ImageLocality
  // outweighs that once the walk reads this version of the Node.
  const holder = (await nodeOf('first')) as string;
  const n = await api.get<Node>(NODE, undefined, holder);
  await api.updateStatus(NODE, { ...n, status: { ...n.status, images: [{ names: ['hello.wasm'] }] } });
  const nodes = informers.for<Node>('v1', 'Node');
  await vi.waitFor(() => expect(nodes.get(undefined, holder)?.status?.images?.[0]?.names?.[0]).toBe('hello.wasm'));
  await api.create(POD, pod('second'));
  await vi.waitFor(async () => expect(await nodeOf('second')).toBe(holder));
});

it("keeps each node's score for the next pod alike until its usage or Node changes: the same picks as scoring every node each time", async () => {
  // 120 nodes of three sizes: the walk samples 100 of them per pick.
  for (let i = 0; i < 120; i++) await addNode(`n-${String(i).padStart(3, '0')}`, 20, String(2 + (i % 3)));
  const counted = (cacheable: boolean): { scores: ScorePlugin[]; calls: () => number } => {
    let calls = 0;
    const scores = DEFAULT_SCORES.map((s) => ({
      ...s,
      cacheable,
      score: (...args: Parameters<ScorePlugin['score']>) => (calls++, s.score(...args)),
    }));
    return { scores, calls: () => calls };
  };
  const cached = counted(true);
  const uncached = counted(false);
  const a = newScheduler(cached.scores);
  const b = newScheduler(uncached.scores);
  await informers.start();
  const pods = informers.for<Pod>('v1', 'Pod');
  // Two workloads with other requests and images, a run of one, then the other, one of each between:
  // the kept key changes between them.
  const workload = (i: number): Pod => {
    const w = i >= 60 || i === 29 ? 'b' : 'a';
    return {
      ...pod(`p-${i}`),
      metadata: {
        name: `p-${i}`,
        namespace: 'default',
        uid: `uid-${i}`,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: w, uid: `rs-${w}`, controller: true }],
      },
      spec: {
        containers: [
          { name: 'main', image: `${w}.wasm`, resources: { requests: { cpu: w === 'a' ? '100m' : '300m' } } },
        ],
      },
    };
  };
  for (let i = 0; i < 90; i++) {
    const p = workload(i);
    const pick = a.pickNode(p);
    expect(b.pickNode(p)).toEqual(pick);
    if (!('node' in pick)) throw new Error(`p-${i} did not fit: ${pick.unschedulable}`);
    // Bound as the scheduler would bind it; both see it through the shared informer.
    await api.create(POD, {
      ...p,
      metadata: { ...p.metadata, uid: undefined },
      spec: { ...p.spec, nodeName: pick.node },
    });
    await vi.waitFor(() => expect(pods.get('default', `p-${i}`)?.spec.nodeName).toBe(pick.node));
  }
  // The same 90 picks, for a fraction of the scoring: only the node a placement changed is scored again.
  expect(uncached.calls()).toBe(90 * 100 * 3);
  expect(cached.calls()).toBeLessThan(uncached.calls() / 3);
  await a.stop();
  await b.stop();
});

it("keeps each node's verdict with its score until its usage or Node changes: the same picks and reasons as judging every node each time", async () => {
  // 120 nodes holding 1 to 3 pods: they fill up during the picks, so kept verdicts go from fits to full.
  for (let i = 0; i < 120; i++) await addNode(`n-${String(i).padStart(3, '0')}`, 1 + (i % 3));
  const counted = (cacheable: boolean): { filters: FilterPlugin[]; calls: () => number } => {
    let calls = 0;
    const filters = DEFAULT_FILTERS.map((f) =>
      f.static
        ? f
        : { ...f, cacheable, filter: (...args: Parameters<FilterPlugin['filter']>) => (calls++, f.filter(...args)) },
    );
    return { filters, calls: () => calls };
  };
  const kept = counted(true);
  const judged = counted(false);
  const a = newScheduler(undefined, kept.filters);
  const b = newScheduler(undefined, judged.filters);
  await informers.start();
  const pods = informers.for<Pod>('v1', 'Pod');
  const replica = (i: number): Pod => ({
    ...pod(`r-${i}`),
    metadata: {
      name: `r-${i}`,
      namespace: 'default',
      uid: `uid-${i}`,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'w', uid: 'rs-w', controller: true }],
    },
  });
  // Two more than fit: the last picks find no node, with the same reasons either way.
  const outcomes: string[] = [];
  for (let i = 0; i < 242; i++) {
    const p = replica(i);
    const pick = a.pickNode(p);
    expect(b.pickNode(p)).toEqual(pick);
    if (!('node' in pick)) {
      outcomes.push(pick.unschedulable);
      continue;
    }
    await api.create(POD, {
      ...p,
      metadata: { ...p.metadata, uid: undefined },
      spec: { ...p.spec, nodeName: pick.node },
    });
    await vi.waitFor(() => expect(pods.get('default', `r-${i}`)?.spec.nodeName).toBe(pick.node));
  }
  expect(outcomes).toEqual([
    '0/120 nodes are available: 120 Too many pods.',
    '0/120 nodes are available: 120 Too many pods.',
  ]);
  // A node with room again (one of its pods gone) is judged afresh: its kept "Too many pods" is stale.
  const freed = pods.list().find((p) => p.spec.nodeName === 'n-000');
  await api.delete(POD, 'default', freed?.metadata.name ?? '', { gracePeriodSeconds: 0 });
  await vi.waitFor(() => expect(pods.list().some((p) => p.spec.nodeName === 'n-000')).toBe(false));
  expect(a.pickNode(replica(242))).toEqual({ node: 'n-000' });
  expect(b.pickNode(replica(242))).toEqual({ node: 'n-000' });
  // The same picks for a fraction of the judging: only the node a placement changed is judged again.
  expect(kept.calls()).toBeLessThan(judged.calls() / 3);
  await a.stop();
  await b.stop();
});

it('leaves pods named for another scheduler to it, and accounts the ones it binds (pods/binding)', async () => {
  for (const name of ['pi-1', 'pi-2']) await addNode(name, 1);
  await informers.start();
  scheduler.start();
  const custom = (name: string): Pod => {
    const p = pod(name);
    return { ...p, spec: { ...p.spec, schedulerName: 'edge-custom' } };
  };
  await api.create(POD, custom('c-1'));
  await api.create(POD, custom('c-2'));
  // The other scheduler puts c-1 on pi-1: that node is full for the hub's scheduler from then on.
  await bindPod(api, 'default', 'c-1', { target: { name: 'pi-1' } });
  await api.create(POD, pod('d-1'));
  await api.create(POD, pod('d-2'));
  const get = (name: string): Promise<Pod> => api.get<Pod>(POD, 'default', name);
  await vi.waitFor(async () => expect((await get('d-1')).spec.nodeName).toBe('pi-2'));
  await vi.waitFor(async () =>
    expect((await get('d-2')).status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toBe(
      '0/2 nodes are available: 2 Too many pods.',
    ),
  );
  await scheduler.idle();
  // c-2 waits for its own scheduler: not bound, and not judged by this one.
  const c2 = await get('c-2');
  expect(c2.spec.nodeName).toBeUndefined();
  expect(c2.status?.conditions).toBeUndefined();
  // A pod is bound once.
  await expect(bindPod(api, 'default', 'c-1', { target: { name: 'pi-2' } })).rejects.toThrow(
    /pod c-1 is already assigned to node "pi-1"/,
  );
});
