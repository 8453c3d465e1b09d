/**
 * The node lifecycle controller at fleet scale, over a real registry, SQLite store and informers, with
 * a clock the test moves: the start grace after a hub restart, no eviction for time the hub was down,
 * evictions held while every node is not Ready, the per-zone eviction rate, spread status refreshes,
 * and reconnects without writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject, Node, Pod, ResourceType } from '../../api/index.js';
import { nodeReadyStatus, typeByKind } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { InformerFactory, type Informer } from '../informers/index.js';
import { EventRecorder } from '../reconcile/index.js';
import { ObjectRegistry, type ObjectAPI, type WriteOptions } from '../registry/index.js';
import { delegatingApi } from '../registry/testing/delegating-api.js';
import { SqliteStore } from '../store/index.js';
import { NodeLifecycleController } from './index.js';

const NODE = typeByKind('v1', 'Node')!;
const POD = typeByKind('v1', 'Pod')!;
const GRACE_S = 40;
const EVICT_S = 30;

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('NodeLifecycleController at scale', () => {
  let dir: string;
  let store: SqliteStore;
  let api: ObjectRegistry;
  let informers: InformerFactory;
  let nodes: Informer<Node>;
  let pods: Informer<Pod>;
  let lifecycle: NodeLifecycleController | undefined;
  let now: number;
  const clock = { now: (): number => now };

  async function addNode(name: string, unreachableSince?: number): Promise<void> {
    const taints =
      unreachableSince === undefined
        ? []
        : [
            {
              key: 'node.kubernetes.io/unreachable',
              effect: 'NoExecute' as const,
              timeAdded: new Date(unreachableSince).toISOString(),
            },
          ];
    const n = await api.create<Node>(NODE, { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { taints } });
    await api.updateStatus(NODE, {
      ...n,
      status: { conditions: [{ type: 'Ready', status: unreachableSince === undefined ? 'True' : 'Unknown' }] },
    });
  }

  async function addPod(name: string, nodeName: string): Promise<void> {
    await api.create<Pod>(POD, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { nodeName, containers: [{ name: 'c', image: 'x.wasm' }] },
    });
  }

  /** Starts the controller (a hub start at the current clock) once the informers have the objects. */
  async function startLifecycle(
    opts: {
      statusRefreshSeconds?: number;
      evictionRate?: number;
      graceScale?: () => number;
      api?: ObjectAPI;
      monotonic?: () => number;
    } = {},
  ): Promise<NodeLifecycleController> {
    await informers.start();
    lifecycle = new NodeLifecycleController({
      api,
      nodes,
      pods,
      events: new EventRecorder({ api, clock, logger: silentLogger(), component: 'test' }),
      clock,
      logger: silentLogger(),
      gracePeriodSeconds: GRACE_S,
      evictionTimeoutSeconds: EVICT_S,
      tickMs: 20,
      // The loop's real time stands still unless a test plays a stall: a slow CI machine's pause must
      // not shorten the silence these tests measure on their own clock.
      monotonic: () => 0,
      ...opts,
    });
    lifecycle.start();
    return lifecycle;
  }

  const ready = (name: string): string | undefined => {
    const n = nodes.get(undefined, name);
    return n && nodeReadyStatus(n);
  };
  const podExists = async (name: string): Promise<boolean> =>
    (await api.list<Pod>(POD, { namespace: 'default' })).items.some(
      (p) => p.metadata.name === name && !p.metadata.deletionTimestamp,
    );
  /** Waits for two whole ticks at the current clock (each tick checks every node). */
  const ticks = async (): Promise<void> => {
    const start = Date.now();
    await until('two ticks', () => Date.now() - start > 100);
  };

  beforeEach(async () => {
    now = Date.parse('2026-12-02T12:00:00Z');
    dir = mkdtempSync(join(tmpdir(), 'edge-lifecycle-'));
    store = await SqliteStore.create({ path: join(dir, 'db'), logger: silentLogger() });
    api = new ObjectRegistry({ store, clock, logger: silentLogger() });
    await api.ensureNamespace('default');
    informers = new InformerFactory(api, silentLogger());
    nodes = informers.for<Node>('v1', 'Node');
    pods = informers.for<Pod>('v1', 'Pod');
  });

  afterEach(async () => {
    await lifecycle?.stop();
    lifecycle = undefined;
    informers.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('after a hub restart, gives every node the grace period from the start and evicts nothing for the time the hub was down', async () => {
    // Before the restart: three nodes Ready, one already unreachable for ten minutes (past its eviction timeout).
    await addNode('steady-1');
    await addNode('steady-2');
    await addNode('quiet');
    await addNode('lost', now - 600_000);
    await addPod('on-lost', 'lost');
    await startLifecycle();
    const steady = (): void => ['steady-1', 'steady-2'].forEach((n) => lifecycle!.heartbeat(n));
    now += (GRACE_S - 1) * 1000;
    steady();
    await ticks();
    expect(ready('quiet')).toBe('True');
    expect(await podExists('on-lost')).toBe(true);

    now += 2000; // past start + grace: the silent node is Unknown; the lost one's toleration starts now
    steady();
    await until('quiet marked Unknown', () => ready('quiet') === 'Unknown');
    await ticks();
    expect(await podExists('on-lost')).toBe(true);
    now += EVICT_S * 1000;
    steady();
    await until('the pod evicted once start + grace + timeout passed', async () => !(await podExists('on-lost')));
  });

  it("does not count a stall of the hub's own event loop as its nodes' silence", async () => {
    await addNode('beating');
    await addNode('dead');
    // The real elapsed time the controller samples its loop by: frozen, it moves only when a stall is played.
    let mono = 0;
    await startLifecycle({ monotonic: () => mono });
    lifecycle!.heartbeat('beating');
    lifecycle!.heartbeat('dead');
    now += 10_000;
    lifecycle!.heartbeat('beating'); // 'dead' beats no more from here
    // The hub stands still for 45 s (a heap snapshot, a paused machine): longer than the grace period.
    // Its tick runs before the heartbeats sent meanwhile are read, and must not find 'beating' silent.
    now += 45_000;
    mono += 45_000;
    await ticks();
    expect(ready('beating')).toBe('True');
    expect(ready('dead')).toBe('True'); // silent 55 s, of which only 10 s while the hub could hear
    lifecycle!.heartbeat('beating'); // what waited in its socket
    // The dead node is found out once it has been silent a grace period the hub could hear.
    now += (GRACE_S - 10) * 1000 - 1000;
    lifecycle!.heartbeat('beating');
    await ticks();
    expect(ready('dead')).toBe('True');
    now += 2000;
    lifecycle!.heartbeat('beating');
    await until('dead marked Unknown', () => ready('dead') === 'Unknown');
    expect(ready('beating')).toBe('True');
  });

  it('evicts nothing for unreachability until a grace period after a stall of the hub ended', async () => {
    await addNode('steady'); // a zone with every node down evicts nothing at all: one beats on
    await addNode('lost', now - 600_000); // unreachable long before, past its eviction timeout
    await addPod('on-lost', 'lost');
    let mono = 0;
    await startLifecycle({ monotonic: () => mono });
    lifecycle!.heartbeat('steady');
    now += (GRACE_S + EVICT_S - 5) * 1000; // silent since the start, its pods due in 5 s
    lifecycle!.heartbeat('steady');
    await ticks();
    expect(await podExists('on-lost')).toBe(true);
    // The hub stands still for 20 s, past the pods' time: the node's hello may be waiting in its socket.
    now += 20_000;
    mono += 20_000;
    await ticks();
    expect(await podExists('on-lost')).toBe(true);
    lifecycle!.heartbeat('steady'); // what waited in its socket
    now += (GRACE_S + EVICT_S) * 1000 + 1000;
    lifecycle!.heartbeat('steady');
    await until(
      'the pod evicted once the stall end + grace + timeout passed',
      async () => !(await podExists('on-lost')),
    );
    expect(ready('steady')).toBe('True');
  });

  it('counts a clock that moves while the hub runs as silence (control: no stall)', async () => {
    await addNode('beating');
    let mono = 0;
    await startLifecycle({ monotonic: () => mono });
    lifecycle!.heartbeat('beating');
    now += 45_000; // no stall: the node itself said nothing for 45 s
    mono += 100;
    await until('beating marked Unknown', () => ready('beating') === 'Unknown');
  });

  it("stretches the grace period by the heartbeat pace's scale, and shortens it again when the pace comes back", async () => {
    await addNode('paced');
    let scale = 2; // the gateway slowed the fleet's beat to twice the base interval
    await startLifecycle({ graceScale: () => scale });
    lifecycle!.heartbeat('paced');
    now += GRACE_S * 1.5 * 1000; // silent past the grace period, within twice it
    await ticks();
    expect(ready('paced')).toBe('True');
    scale = 1;
    await until('paced marked Unknown once the grace is the base again', () => ready('paced') === 'Unknown');
  });

  it('counts the start grace from when the hub accepts nodes, not from when the controller was built', async () => {
    await addNode('quiet');
    await addNode('steady');
    await startLifecycle();
    // The caches of a big store take a while to fill before the hub listens: no node could dial meanwhile.
    now += 8000;
    lifecycle!.accepting();
    lifecycle!.heartbeat('steady');
    now += (GRACE_S - 1) * 1000; // past construction + grace, short of accepting + grace
    lifecycle!.heartbeat('steady');
    await ticks();
    expect(ready('quiet')).toBe('True');
    now += 2000;
    lifecycle!.heartbeat('steady');
    await until('quiet marked Unknown after accepting + grace', () => ready('quiet') === 'Unknown');
    expect(ready('steady')).toBe('True');
  });

  it('holds evictions while most nodes are not Ready, and resumes them when the fleet is back', async () => {
    for (const n of ['a', 'b', 'c']) await addNode(n);
    await addPod('on-a', 'a');
    await startLifecycle();
    for (const n of ['a', 'b', 'c']) lifecycle!.heartbeat(n);
    now += (GRACE_S + 1) * 1000; // all three went silent: 100% not Ready
    await until('all Unknown', () => ['a', 'b', 'c'].every((n) => ready(n) === 'Unknown'));
    now += (EVICT_S + 1) * 1000;
    await ticks();
    expect(await podExists('on-a')).toBe(true);

    // b and c come back: one of three not Ready is an ordinary failure, and a's pod goes.
    for (const n of ['b', 'c']) lifecycle!.heartbeat(n);
    await until('b and c Ready', () => ready('b') === 'True' && ready('c') === 'True');
    await until('the pod on a evicted', async () => !(await podExists('on-a')));
  });

  it('evicts the pods of one unreachable node at once and of the next only after 1/rate seconds', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `z${i}`);
    for (const n of names) await addNode(n);
    await addPod('on-z0', 'z0');
    await addPod('on-z1', 'z1');
    await startLifecycle({ evictionRate: 0.1 });
    const alive = (): void => names.slice(2).forEach((n) => lifecycle!.heartbeat(n));
    for (const n of names) lifecycle!.heartbeat(n);
    now += (GRACE_S + 1) * 1000; // z0 and z1 went silent: 2 of 10, a healthy zone
    alive();
    await until('z0 and z1 Unknown', () => ready('z0') === 'Unknown' && ready('z1') === 'Unknown');
    now += (EVICT_S + 1) * 1000;
    alive();
    await until('one of the two evicted', async () => !(await podExists('on-z0')) || !(await podExists('on-z1')));
    await ticks();
    expect((await podExists('on-z0')) || (await podExists('on-z1'))).toBe(true); // the other waits for a token
    now += 10_000; // 0.1 nodes/s
    alive();
    await until('the second evicted', async () => !(await podExists('on-z0')) && !(await podExists('on-z1')));
  });

  it('spreads status refreshes over the interval and writes nothing for a reconnect of a Ready node', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `n${i}`);
    for (const n of names) await addNode(n);
    await startLifecycle({ statusRefreshSeconds: 100 });
    for (const n of names) lifecycle!.heartbeat(n);
    const rv = (n: string): string | undefined => nodes.get(undefined, n)?.metadata.resourceVersion;
    const before = new Map(names.map((n) => [n, rv(n)]));

    // A reconnect (the gateway calls markReady) of a Ready, untainted node: no write.
    await lifecycle!.markReady(nodes.get(undefined, 'n0')!);
    expect(rv('n0')).toBe(before.get('n0'));

    now += 50_000; // half the refresh interval: about half the nodes are due, not all at once
    for (const n of names) lifecycle!.heartbeat(n);
    await ticks();
    const written = names.filter((n) => rv(n) !== before.get(n)).length;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(names.length);
    now += 51_000;
    for (const n of names) lifecycle!.heartbeat(n);
    await until('every node refreshed once the interval passed', () => names.every((n) => rv(n) !== before.get(n)));
  });

  it('keeps a node Ready that admission keeps telling Busy, past grace + eviction timeout, and still finds the silent ones', async () => {
    // The storm's replaced pods: a node that only got in after start + grace + timeout lost them.
    const healthy = Array.from({ length: 7 }, (_, i) => `h${i}`);
    for (const n of [...healthy, 'back', 'gone', 'late']) await addNode(n);
    await addPod('on-back', 'back');
    await addPod('on-gone', 'gone');
    await startLifecycle();
    const start = now;
    lifecycle!.sighted('late', 20_000); // told Busy once, to come back in 20 s, and never seen again
    while (now < start + (GRACE_S + EVICT_S + 15) * 1000) {
      lifecycle!.sighted('back', 15_000); // refused Busy again each time it comes back
      healthy.forEach((n) => lifecycle!.heartbeat(n));
      now += 5000;
      await ticks();
      if (now <= start + (GRACE_S + 20) * 1000) expect(ready('late')).toBe('True');
    }
    expect(ready('back')).toBe('True');
    expect(ready('gone')).toBe('Unknown');
    expect(ready('late')).toBe('Unknown');
    expect(await podExists('on-back')).toBe(true);
    await until('the silent node evicted', async () => !(await podExists('on-gone')));
  });

  it('counts a certified session waiting in admission as heard from while it is open, and holds the pods of a node so coming back', async () => {
    await addNode('queued');
    await addNode('lost', now - 600_000); // not Ready since long before the restart
    await addPod('on-lost', 'lost');
    await startLifecycle();
    let queuedOpen = true;
    let lostOpen = true;
    lifecycle!.awaitingAdmission('queued', () => queuedOpen);
    const lostDone = lifecycle!.awaitingAdmission('lost', () => lostOpen);
    now += (GRACE_S + EVICT_S + 5) * 1000; // past start + grace + timeout, both still in the queue
    await ticks();
    expect(ready('queued')).toBe('True');
    expect(await podExists('on-lost')).toBe(true);

    queuedOpen = false; // its socket closed in the queue (a dead peer the session's pings dropped)
    lostOpen = false;
    lostDone();
    now += 1000;
    await ticks();
    expect(ready('queued')).toBe('True'); // heard from until a moment ago
    now += (GRACE_S + 1) * 1000;
    await until('the dropped node Unknown', () => ready('queued') === 'Unknown');
    await until('the pods of the node that stopped trying evicted', async () => !(await podExists('on-lost')));
  });

  it('marks a node Ready on its hello even when the Node changed since the hello read it (retried on a fresh read)', async () => {
    await addNode('racer', now - 60_000);
    await startLifecycle();
    // The copy the hello holds, then another writer's status write (as the sweep's) makes it stale.
    const stale = await api.get<Node>(NODE, undefined, 'racer');
    await api.updateStatus(NODE, {
      ...stale,
      status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Sweep' }] },
    });
    const marked = await lifecycle!.markReady(stale);
    expect(nodeReadyStatus(marked)).toBe('True');
    const stored = await api.get<Node>(NODE, undefined, 'racer');
    expect(nodeReadyStatus(stored)).toBe('True');
    expect((stored.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/unreachable')).toBe(false);
  });

  it('counts a hello as a sign of life when it came, not when its retry after a conflict wrote', async () => {
    await addNode('slow', now - 60_000);
    // The retry's fresh read takes 30 s of the test's clock (a loaded hub): the hello was heard before it.
    const slowReads = delegatingApi(api, {
      get: async (type, ns, name) => {
        now += 30_000;
        return api.get(type, ns, name);
      },
    });
    await startLifecycle({ api: slowReads });
    const stale = await api.get<Node>(NODE, undefined, 'slow');
    await api.updateStatus(NODE, {
      ...stale,
      status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Sweep' }] },
    });
    const hello = now;
    expect(nodeReadyStatus(await lifecycle!.markReady(stale))).toBe('True');
    expect(now).toBe(hello + 30_000);
    await until('the node Ready in the cache', () => ready('slow') === 'True');
    // Past the grace period from the hello, though not from the retry: silent, so Unknown.
    now = hello + (GRACE_S + 1) * 1000;
    await until('the node silent since its hello marked Unknown', () => ready('slow') === 'Unknown');
  });

  it("writes a first hello's reported status and its Ready condition in one status write, and a changed report of a Ready node alone", async () => {
    // As after a first join: the Node exists, with neither status nor conditions.
    await api.create<Node>(NODE, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'joined' }, spec: {} });
    const writes: string[] = [];
    const counting = delegatingApi(api, {
      update: (type, obj, opts) => (writes.push('update'), api.update(type, obj, opts)),
      updateStatus: (type, obj, opts) => (writes.push('status'), api.updateStatus(type, obj, opts)),
    });
    await startLifecycle({ api: counting });
    const reported = { capacity: { cpu: '2', memory: '1024', pods: '110' }, images: [] };

    const first = await lifecycle!.markReady(nodes.get(undefined, 'joined')!, reported);
    expect(writes).toEqual(['status']);
    const stored = await api.get<Node>(NODE, undefined, 'joined');
    expect(nodeReadyStatus(stored)).toBe('True');
    expect(stored.status?.capacity?.cpu).toBe('2');
    expect(first.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);

    // A reconnect reporting the same: no write. Reporting more CPU: the status alone, the condition kept.
    await lifecycle!.markReady(stored, reported);
    expect(writes).toEqual(['status']);
    const grown = await lifecycle!.markReady(stored, { ...reported, capacity: { ...reported.capacity, cpu: '4' } });
    expect(writes).toEqual(['status', 'status']);
    expect(grown.status?.capacity?.cpu).toBe('4');
    expect(grown.status?.conditions).toEqual(stored.status?.conditions);
  });

  it("stops marking a node's pods not Ready once the node is Ready again (its report came before the later marks)", async () => {
    await addNode('slow');
    for (const p of ['p1', 'p2', 'p3']) await addPod(p, 'slow');
    let marks = 0;
    const marking = delegatingApi(api, {
      updateStatus: <T extends KubeObject>(type: ResourceType, obj: unknown, opts?: WriteOptions) =>
        api.updateStatus<T>(type, obj, opts).then(async (written) => {
          if (type.kind === 'Pod' && ++marks === 1) {
            // The node's hello comes through while the sweep is marking its pods, one write at a time.
            await lifecycle!.markReady(nodes.get(undefined, 'slow')!);
            await until('the node Ready in the cache', () => ready('slow') === 'True');
          }
          return written;
        }),
    });
    await startLifecycle({ api: marking });
    lifecycle!.heartbeat('slow');
    now += (GRACE_S + 1) * 1000;
    await until('a pod marked and the node Ready again', () => marks >= 1 && ready('slow') === 'True');
    await ticks();
    const notReady = (await api.list<Pod>(POD, { namespace: 'default' })).items.filter((p) =>
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === 'NodeNotReady'),
    );
    expect(notReady.map((p) => p.metadata.name)).toHaveLength(1);
    expect(marks).toBe(1);
  });
});
