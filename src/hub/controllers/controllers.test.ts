/**
 * The controllers and the scheduler together over a real registry and SQLite store, in one process.
 * Nodes are plain Node objects here (the real agent is exercised by the tests in test/); pod status is
 * written the way the gateway writes what a node reports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deployment, Node, Pod, ReplicaSet } from '../../api/index.js';
import { systemClock, typeByKind } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { InformerFactory } from '../informers/index.js';
import { ObjectRegistry } from '../registry/index.js';
import { Scheduler } from '../scheduler/index.js';
import { SqliteStore } from '../store/index.js';
import { EventRecorder } from '../reconcile/index.js';
import { DeploymentController, GarbageCollector, ReplicaSetController } from './index.js';

const NODE = typeByKind('v1', 'Node')!;
const POD = typeByKind('v1', 'Pod')!;
const DEPLOY = typeByKind('apps/v1', 'Deployment')!;
const RS = typeByKind('apps/v1', 'ReplicaSet')!;

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 5000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('workload controllers + scheduler', () => {
  let dir: string;
  let store: SqliteStore;
  let api: ObjectRegistry;
  let stops: Array<() => unknown>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-ctrl-'));
    store = await SqliteStore.create({ path: join(dir, 'db'), logger: silentLogger() });
    api = new ObjectRegistry({ store, clock: systemClock, logger: silentLogger() });
    await api.ensureNamespace('default');
    const logger = silentLogger();
    const informers = new InformerFactory(api, logger);
    const pods = informers.for<Pod>('v1', 'Pod');
    const nodes = informers.for<Node>('v1', 'Node');
    const replicaSets = informers.for<ReplicaSet>('apps/v1', 'ReplicaSet');
    const deployments = informers.for<Deployment>('apps/v1', 'Deployment');
    const events = new EventRecorder({ api, clock: systemClock, logger, component: 'test' });
    const runners = [
      new Scheduler({ api, pods, nodes, events, clock: systemClock, logger }),
      new ReplicaSetController({ api, pods, replicaSets, events, clock: systemClock, logger }),
      new DeploymentController({ api, deployments, replicaSets, events, clock: systemClock, logger }),
      new GarbageCollector({ api, informers: [deployments, replicaSets, pods], clock: systemClock, logger }),
    ];
    await informers.start();
    for (const r of runners) r.start();
    stops = [...runners.map((r) => () => r.stop()), () => informers.stop()];
    for (const [name, zone] of [
      ['pi-1', 'a'],
      ['pi-2', 'b'],
    ] as const) {
      const n = await api.create<Node>(NODE, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, labels: { zone } },
        spec: {},
      });
      await api.updateStatus(NODE, {
        ...n,
        status: {
          capacity: { cpu: '4', memory: '4Gi', pods: '110' },
          allocatable: { cpu: '4', memory: '4Gi', pods: '110' },
          runtimeHandlers: [{ name: 'wasm' }],
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      });
    }
  });

  afterEach(async () => {
    for (const s of stops) await s();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const deploymentManifest = (
    replicas: number,
    image = 'edgeplane.hub/hello.wasm@sha256:' + 'a'.repeat(64),
  ): Deployment => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'hello', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'hello' } },
      template: { metadata: { labels: { app: 'hello' } }, spec: { containers: [{ name: 'hello', image }] } },
    },
  });

  const pods = async (): Promise<Pod[]> =>
    (await api.list<Pod>(POD, { namespace: 'default' })).items.filter((p) => !p.metadata.deletionTimestamp);

  it('creates a ReplicaSet and spreads its pods over the nodes', async () => {
    await api.create(DEPLOY, deploymentManifest(4));
    const bound = await until('4 bound pods', async () => {
      const ps = await pods();
      return ps.length === 4 && ps.every((p) => p.spec.nodeName) ? ps : undefined;
    });
    const perNode = new Map<string, number>();
    for (const p of bound) perNode.set(p.spec.nodeName ?? '', (perNode.get(p.spec.nodeName ?? '') ?? 0) + 1);
    expect(perNode).toEqual(
      new Map([
        ['pi-1', 2],
        ['pi-2', 2],
      ]),
    );
    const rss = (await api.list<ReplicaSet>(RS)).items;
    expect(rss).toHaveLength(1);
    expect(rss[0]?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(bound.every((p) => p.metadata.ownerReferences?.[0]?.uid === rss[0]?.metadata.uid)).toBe(true);
  });

  it('replaces a deleted pod, follows scale, and honours nodeSelector', async () => {
    await api.create<Deployment>(DEPLOY, {
      ...deploymentManifest(2),
      spec: {
        ...deploymentManifest(2).spec,
        template: {
          ...deploymentManifest(2).spec.template,
          spec: { ...deploymentManifest(2).spec.template.spec, nodeSelector: { zone: 'b' } },
        },
      },
    });
    const first = await until('2 pods', async () =>
      (await pods()).filter((p) => p.spec.nodeName).length === 2 ? pods() : undefined,
    );
    expect(first.every((p) => p.spec.nodeName === 'pi-2')).toBe(true);
    const victim = first[0]!;
    // Bound pods are deleted gracefully; confirm the deletion as the node would (grace 0).
    await api.delete(POD, 'default', victim.metadata.name ?? '', { gracePeriodSeconds: 0 });
    await until('replacement', async () => {
      const ps = await pods();
      return ps.length === 2 && !ps.some((p) => p.metadata.uid === victim.metadata.uid);
    });
    const latest = await api.get<Deployment>(DEPLOY, 'default', 'hello');
    await api.update(DEPLOY, { ...latest, spec: { ...latest.spec, replicas: 5 } });
    await until('5 pods', async () => (await pods()).length === 5);
  });

  it('copies the Deployment’s annotations onto its current ReplicaSet, as Kubernetes does (rollout history)', async () => {
    const CAUSE = 'kubernetes.io/change-cause';
    const LAST = 'kubectl.kubernetes.io/last-applied-configuration';
    const manifest = deploymentManifest(1);
    await api.create(DEPLOY, {
      ...manifest,
      metadata: { ...manifest.metadata, annotations: { [CAUSE]: 'v1', [LAST]: '{}' } },
    });
    const first = await until('revision 1', async () => (await api.list<ReplicaSet>(RS)).items[0]);
    expect(first.metadata.annotations?.[CAUSE]).toBe('v1');
    expect(first.metadata.annotations).not.toHaveProperty(LAST);
    // A later annotation reaches the current ReplicaSet.
    let latest = await api.get<Deployment>(DEPLOY, 'default', 'hello');
    await api.update(DEPLOY, {
      ...latest,
      metadata: { ...latest.metadata, resourceVersion: undefined, annotations: { [CAUSE]: 'v1 again', [LAST]: '{}' } },
    });
    await until('change-cause updated', async () =>
      (await api.list<ReplicaSet>(RS)).items[0]?.metadata.annotations?.[CAUSE] === 'v1 again' ? true : undefined,
    );
    // A new template: the new ReplicaSet takes the new cause, the old one keeps its own.
    latest = await api.get<Deployment>(DEPLOY, 'default', 'hello');
    await api.update(DEPLOY, {
      ...latest,
      metadata: { ...latest.metadata, resourceVersion: undefined, annotations: { [CAUSE]: 'v2' } },
      spec: {
        ...latest.spec,
        template: deploymentManifest(1, 'edgeplane.hub/hello.wasm@sha256:' + 'c'.repeat(64)).spec.template,
      },
    });
    const byRevision = await until<Record<string, string | undefined>>('revision 2', async () => {
      const l = (await api.list<ReplicaSet>(RS)).items;
      if (l.length !== 2) return undefined;
      const out: Record<string, string | undefined> = {};
      for (const r of l)
        out[r.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? ''] = r.metadata.annotations?.[CAUSE];
      return out;
    });
    expect(byRevision).toEqual({ '1': 'v1 again', '2': 'v2' });
  });

  it('a changed template creates revision 2 and garbage collection follows deletion', async () => {
    await api.create(DEPLOY, deploymentManifest(2));
    await until('2 pods', async () => (await pods()).length === 2);
    const latest = await api.get<Deployment>(DEPLOY, 'default', 'hello');
    // No resourceVersion precondition: the controllers' status writes may land in between.
    await api.update(DEPLOY, {
      ...latest,
      metadata: { ...latest.metadata, resourceVersion: undefined },
      spec: {
        ...latest.spec,
        template: deploymentManifest(2, 'edgeplane.hub/hello.wasm@sha256:' + 'b'.repeat(64)).spec.template,
      },
    });
    const rss = await until('2 ReplicaSets', async () => {
      const l = (await api.list<ReplicaSet>(RS)).items;
      return l.length === 2 ? l : undefined;
    });
    expect(rss.map((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision']).sort()).toEqual(['1', '2']);
    await api.delete(DEPLOY, 'default', 'hello');
    await until('ReplicaSets collected', async () => (await api.list(RS)).items.length === 0);
    // Pods are bound, so they are left terminating for their node to confirm.
    await until('pods terminating', async () => (await pods()).length === 0);
  });
});
