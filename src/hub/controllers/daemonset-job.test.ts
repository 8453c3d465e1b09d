/**
 * DaemonSet and Job controllers, and taint-based eviction, over a real registry and SQLite store in
 * one process. Nodes are Node objects and pod status is written the way the gateway writes what a
 * node reports; the real agent is exercised in test/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DaemonSet, Job, Node, Pod } from '../../api/index.js';
import { systemClock, typeByKind } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { InformerFactory } from '../informers/index.js';
import { ObjectRegistry } from '../registry/index.js';
import { SqliteStore } from '../store/index.js';
import { EventRecorder } from '../reconcile/index.js';
import { DaemonSetController, JobController, NodeLifecycleController } from './index.js';
import { podWriteCensus, type PodWriteCensus } from './testing/write-census.js';

const NODE = typeByKind('v1', 'Node')!;
const POD = typeByKind('v1', 'Pod')!;
const DS = typeByKind('apps/v1', 'DaemonSet')!;
const JOB = typeByKind('batch/v1', 'Job')!;

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const image = 'edgeplane.hub/x.wasm@sha256:' + 'c'.repeat(64);

describe('DaemonSet, Job and taint eviction', () => {
  let dir: string;
  let store: SqliteStore;
  let api: ObjectRegistry;
  let stops: Array<() => unknown>;
  let lifecycle: NodeLifecycleController;
  /** The DaemonSet and Job controllers' pod writes. */
  let census: PodWriteCensus;

  async function addNode(name: string, labels: Record<string, string> = {}): Promise<void> {
    const n = await api.create<Node>(NODE, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: {} });
    await api.updateStatus(NODE, {
      ...n,
      status: {
        capacity: { cpu: '4', memory: '4Gi', pods: '110' },
        runtimeHandlers: [{ name: 'wasm' }],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
    lifecycle.heartbeat(name);
  }

  /** Plays the node: marks a pod Running+Ready, or finished with an exit code. */
  async function report(pod: Pod, phase: 'Running' | 'Succeeded' | 'Failed'): Promise<void> {
    const cur = await api.get<Pod>(POD, pod.metadata.namespace, pod.metadata.name ?? '');
    const ready = phase === 'Running' ? 'True' : 'False';
    await api.updateStatus(POD, {
      ...cur,
      status: {
        phase,
        conditions: [{ type: 'Ready', status: ready }],
        containerStatuses: [
          {
            name: 'c',
            image,
            ready: phase === 'Running',
            restartCount: 0,
            state:
              phase === 'Running'
                ? { running: {} }
                : { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, finishedAt: new Date().toISOString() } },
          },
        ],
      },
    });
  }

  const pods = async (label: string): Promise<Pod[]> =>
    (await api.list<Pod>(POD, { namespace: 'default', labelSelector: label })).items.filter(
      (p) => !p.metadata.deletionTimestamp,
    );

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-ds-'));
    store = await SqliteStore.create({ path: join(dir, 'db'), logger: silentLogger() });
    api = new ObjectRegistry({ store, clock: systemClock, logger: silentLogger() });
    await api.ensureNamespace('default');
    const logger = silentLogger();
    const informers = new InformerFactory(api, logger);
    const podInf = informers.for<Pod>('v1', 'Pod');
    const nodes = informers.for<Node>('v1', 'Node');
    const events = new EventRecorder({ api, clock: systemClock, logger, component: 'test' });
    lifecycle = new NodeLifecycleController({
      api,
      nodes,
      pods: podInf,
      events,
      clock: systemClock,
      logger,
      gracePeriodSeconds: 60,
      evictionTimeoutSeconds: 60,
      tickMs: 50,
    });
    census = podWriteCensus(api);
    const runners = [
      new DaemonSetController({
        api: census.api,
        daemonSets: informers.for<DaemonSet>('apps/v1', 'DaemonSet'),
        pods: podInf,
        nodes,
        events,
        clock: systemClock,
        logger,
      }),
      new JobController({
        api: census.api,
        jobs: informers.for<Job>('batch/v1', 'Job'),
        pods: podInf,
        events,
        clock: systemClock,
        logger,
        failureBackoffMs: 10,
      }),
      lifecycle,
    ];
    await informers.start();
    for (const r of runners) r.start();
    stops = [...runners.map((r) => () => r.stop()), () => informers.stop()];
    await addNode('pi-1', { zone: 'a' });
    await addNode('pi-2', { zone: 'b' });
  });

  afterEach(async () => {
    for (const s of stops) await s();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs one pod per matching node, also on nodes that join later, and rolls a new template', async () => {
    await api.create(DS, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image }] } },
      },
    });
    const first = await until('2 daemon pods', async () =>
      (await pods('app=agent')).length === 2 ? pods('app=agent') : undefined,
    );
    expect(new Set(first.map((p) => p.spec.nodeName))).toEqual(new Set(['pi-1', 'pi-2']));
    await addNode('pi-3');
    await until('a pod on pi-3', async () => (await pods('app=agent')).some((p) => p.spec.nodeName === 'pi-3'));
    for (const p of await pods('app=agent')) await report(p, 'Running');
    const ds = await api.get<DaemonSet>(DS, 'default', 'agent');
    await api.update(DS, {
      ...ds,
      spec: {
        ...ds.spec,
        template: { ...ds.spec.template, spec: { containers: [{ name: 'c', image: image.replace('cccc', 'dddd') }] } },
      },
    });
    // maxUnavailable 1: at most one node without an available daemon at any time, until all are new.
    for (let round = 0; round < 3; round++) {
      const now = await until('one old pod replaced', async () => {
        const ps = await pods('app=agent');
        const fresh = ps.filter((p) => p.spec.containers[0]?.image.includes('dddd') && p.status?.phase !== 'Running');
        return fresh.length === 1 ? fresh : undefined;
      });
      expect((await pods('app=agent')).filter((p) => p.status?.phase === 'Running').length).toBeGreaterThanOrEqual(2);
      await report(now[0]!, 'Running');
    }
    await until(
      'all updated',
      async () => (await api.get<DaemonSet>(DS, 'default', 'agent')).status?.updatedNumberScheduled === 3,
    );
  });

  it('follows node label changes: a node that comes to match gets a daemon, one that stops loses it', async () => {
    await api.create(DS, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'zonal', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'zonal' } },
        template: {
          metadata: { labels: { app: 'zonal' } },
          spec: { nodeSelector: { zone: 'a' }, containers: [{ name: 'c', image }] },
        },
      },
    });
    const on = async (): Promise<string[]> => (await pods('app=zonal')).map((p) => p.spec.nodeName ?? '').sort();
    await until('a daemon on pi-1 only', async () => JSON.stringify(await on()) === '["pi-1"]');
    const relabel = async (name: string, zone: string): Promise<void> => {
      const n = await api.get<Node>(NODE, undefined, name);
      await api.update(NODE, { ...n, metadata: { ...n.metadata, labels: { zone } } });
    };
    await relabel('pi-2', 'a');
    await until('daemons on pi-1 and pi-2', async () => JSON.stringify(await on()) === '["pi-1","pi-2"]');
    await relabel('pi-1', 'c');
    await until('a daemon on pi-2 only', async () => JSON.stringify(await on()) === '["pi-2"]');
  });

  it('creates a burst of daemon pods at once, at most 250 a reconcile, and the rest after', async () => {
    // 258 more nodes, written together (one group commit), so 260 want a pod.
    await Promise.all(Array.from({ length: 258 }, (_, i) => addNode(`edge-${i}`)));
    census.reset();
    await api.create(DS, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'wide', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'wide' } },
        template: { metadata: { labels: { app: 'wide' } }, spec: { containers: [{ name: 'c', image }] } },
      },
    });
    const all = await until('260 daemon pods', async () =>
      (await pods('app=wide')).length === 260 ? true : undefined,
    );
    expect(all).toBe(true);
    expect(new Set((await pods('app=wide')).map((p) => p.spec.nodeName)).size).toBe(260);
    // One after another this was 1; now the first burst is in flight together, capped as Kubernetes caps it.
    expect(census.peak.create).toBe(250);
    expect(census.total.create).toBe(260);
  });

  it('creates the parallel pods of a Job at once, at most 500 a reconcile', async () => {
    census.reset();
    await api.create(JOB, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'wide', namespace: 'default' },
      spec: { completions: 520, parallelism: 520, template: { spec: { containers: [{ name: 'c', image }] } } },
    });
    await until('520 active pods', async () => ((await pods('job-name=wide')).length === 520 ? true : undefined));
    expect(census.peak.create).toBe(500);
    expect(census.total.create).toBe(520);
  });

  it('runs a Job to its completions with parallelism, and fails it past backoffLimit', async () => {
    await api.create(JOB, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'batch', namespace: 'default' },
      spec: { completions: 3, parallelism: 2, template: { spec: { containers: [{ name: 'c', image }] } } },
    });
    const done = new Set<string>();
    while (done.size < 3) {
      const active = await until('active pods', async () => {
        const ps = (await pods('job-name=batch')).filter((p) => p.status?.phase !== 'Succeeded');
        return ps.length > 0 ? ps : undefined;
      });
      expect(active.length).toBeLessThanOrEqual(2);
      await report(active[0]!, 'Succeeded');
      done.add(active[0]!.metadata.name ?? '');
    }
    const job = await until('Complete', async () => {
      const j = await api.get<Job>(JOB, 'default', 'batch');
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    expect(job.status?.succeeded).toBe(3);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');

    await api.create(JOB, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'doomed', namespace: 'default' },
      spec: { backoffLimit: 1, template: { spec: { containers: [{ name: 'c', image }] } } },
    });
    for (let i = 0; i < 2; i++) {
      const [p] = await until(`attempt ${i}`, async () => {
        const ps = (await pods('job-name=doomed')).filter((q) => q.status?.phase !== 'Failed');
        return ps.length > 0 ? ps : undefined;
      });
      await report(p!, 'Failed');
    }
    const failed = await until('Failed', async () => {
      const j = await api.get<Job>(JOB, 'default', 'doomed');
      return j.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
    });
    expect(failed.reason).toBe('BackoffLimitExceeded');
  });

  it('evicts pods that do not tolerate a NoExecute taint, and keeps those that do', async () => {
    const mk = (name: string, tolerate: boolean): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName: 'pi-1',
        containers: [{ name: 'c', image }],
        ...(tolerate
          ? { tolerations: [{ key: 'maintenance', operator: 'Exists' as const, effect: 'NoExecute' as const }] }
          : {}),
      },
    });
    await api.create(POD, mk('plain', false));
    await api.create(POD, mk('tolerant', true));
    const node = await api.get<Node>(NODE, undefined, 'pi-1');
    await api.update(NODE, {
      ...node,
      spec: { taints: [{ key: 'maintenance', effect: 'NoExecute', timeAdded: new Date().toISOString() }] },
    });
    await until(
      'plain evicted',
      async () => (await api.get<Pod>(POD, 'default', 'plain')).metadata.deletionTimestamp !== undefined,
    );
    expect((await api.get<Pod>(POD, 'default', 'tolerant')).metadata.deletionTimestamp).toBeUndefined();
  });
});
