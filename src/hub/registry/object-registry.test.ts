import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  ConflictError,
  InvalidError,
  NotFoundError,
  typeByKind,
  type Deployment,
  type KubeObject,
  type Pod,
  type ResourceType,
  type Service,
} from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { SqliteStore } from '../store/index.js';
import { ObjectRegistry } from './object-registry.js';
import type { WatchEvent } from './types.js';

const T = (apiVersion: string, kind: string): ResourceType => {
  const t = typeByKind(apiVersion, kind);
  if (!t) throw new Error(kind);
  return t;
};
const POD = T('v1', 'Pod');
const SVC = T('v1', 'Service');
const DEPLOY = T('apps/v1', 'Deployment');
const RS = T('apps/v1', 'ReplicaSet');

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'main', image: 'hello.wasm' }], ...extra },
});
const deployment = (replicas = 2) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'hello.wasm' }] } },
  },
});

let dir: string;
let store: SqliteStore;
let reg: ObjectRegistry;
const now = Date.parse('2025-01-01T00:00:00Z');

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'registry-'));
  store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger() });
  reg = new ObjectRegistry({ store, clock: { now: () => now }, logger: silentLogger() });
  await reg.ensureNamespace('default');
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('create', () => {
  it('sets identity, defaults and initial status', async () => {
    const p = await reg.create<Pod>(POD, { ...pod('a'), status: { phase: 'Running' } });
    expect(p.metadata).toMatchObject({
      name: 'a',
      namespace: 'default',
      generation: 1,
      creationTimestamp: '2025-01-01T00:00:00Z',
    });
    expect(p.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(p.metadata.resourceVersion).toBe(String(await store.revision()));
    expect(p.spec).toMatchObject({
      restartPolicy: 'Always',
      runtimeClassName: 'wasm',
      terminationGracePeriodSeconds: 30,
    });
    expect(p.status).toEqual({ phase: 'Pending' });
    const d = await reg.create<Deployment>(DEPLOY, {
      ...deployment(),
      spec: { ...deployment().spec, replicas: undefined },
    });
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(d.spec.template.spec.restartPolicy).toBe('Always');
    await expect(reg.create(POD, pod('a'))).rejects.toBeInstanceOf(AlreadyExistsError);
  });

  it('requires the namespace to exist and generates names', async () => {
    await expect(reg.create(POD, { ...pod('a'), metadata: { name: 'a', namespace: 'nope' } })).rejects.toThrow(
      'namespaces "nope" not found',
    );
    const p = await reg.create<Pod>(POD, { ...pod('x'), metadata: { generateName: 'web-' } });
    expect(p.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
  });

  it('retries a generated name that collides, also within one group commit', async () => {
    // A random source that repeats itself: the first ten suffixes are all "bbbbb", then it moves on.
    let calls = 0;
    const repeating = new ObjectRegistry({
      store,
      clock: { now: () => now },
      logger: silentLogger(),
      random: () => (calls++ < 50 ? 0 : (calls % 27) / 27),
    });
    const created = await Promise.all(
      Array.from({ length: 3 }, () => repeating.create<Pod>(POD, { ...pod('x'), metadata: { generateName: 'web-' } })),
    );
    const names = created.map((p) => p.metadata.name);
    expect(new Set(names).size).toBe(3);
    expect(names).toContain('web-bbbbb');
    expect((await reg.list<Pod>(POD)).items.map((p) => p.metadata.name).sort()).toEqual([...names].sort());
  });

  it('refuses unknown fields and cross-field errors, naming the path', async () => {
    const bad = deployment();
    (bad.spec.template.spec.containers[0] as Record<string, unknown>).imagee = 'x';
    const err = await reg.create(DEPLOY, bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).causes.map((c) => c.field)).toContain('spec.template.spec.containers[0].imagee');
    const mismatch = deployment();
    mismatch.spec.template.metadata.labels = { app: 'other' };
    await expect(reg.create(DEPLOY, mismatch)).rejects.toThrow('spec.template.metadata.labels');
    await expect(
      reg.create(
        POD,
        pod('dup', {
          containers: [
            { name: 'a', image: 'x' },
            { name: 'a', image: 'y' },
          ],
        }),
      ),
    ).rejects.toThrow('spec.containers[1].name');
  });
});

describe('update', () => {
  it('does not write when nothing changes, bumps generation only on spec change', async () => {
    const d = await reg.create<Deployment>(DEPLOY, deployment());
    const same = await reg.update<Deployment>(DEPLOY, deployment());
    expect(same.metadata.resourceVersion).toBe(d.metadata.resourceVersion);
    const labelled = await reg.update<Deployment>(DEPLOY, {
      ...deployment(),
      metadata: { name: 'web', labels: { tier: 'x' } },
    });
    expect(Number(labelled.metadata.resourceVersion)).toBeGreaterThan(Number(d.metadata.resourceVersion));
    expect(labelled.metadata.generation).toBe(1);
    const scaled = await reg.update<Deployment>(DEPLOY, deployment(5));
    expect(scaled.metadata.generation).toBe(2);
    expect(scaled.metadata.uid).toBe(d.metadata.uid);
    expect(scaled.metadata.labels).toBeUndefined();
  });

  it('rejects a stale resourceVersion and keeps status on spec updates', async () => {
    const d = await reg.create<Deployment>(DEPLOY, deployment());
    await reg.updateStatus(DEPLOY, { ...d, status: { replicas: 2, observedGeneration: 1 } });
    await expect(
      reg.update(DEPLOY, { ...deployment(3), metadata: { name: 'web', resourceVersion: d.metadata.resourceVersion } }),
    ).rejects.toBeInstanceOf(ConflictError);
    const u = await reg.update<Deployment>(DEPLOY, { ...deployment(3), status: { replicas: 99 } });
    expect(u.status).toEqual({ replicas: 2, observedGeneration: 1 });
    expect(u.spec.replicas).toBe(3);
  });

  it('lets spec.nodeName be set once and keeps it when a manifest omits it', async () => {
    await reg.create(POD, pod('a'));
    const bound = await reg.update<Pod>(POD, pod('a', { nodeName: 'pi-1' }));
    expect(bound.spec.nodeName).toBe('pi-1');
    await expect(reg.update(POD, pod('a', { nodeName: 'pi-2' }))).rejects.toThrow('spec.nodeName');
    const again = await reg.update<Pod>(POD, pod('a'));
    expect(again.metadata.resourceVersion).toBe(bound.metadata.resourceVersion);
  });
});

describe('delete', () => {
  it('deletes a bound pod gracefully and the node confirms with grace 0', async () => {
    await reg.create(POD, pod('a', { nodeName: 'pi-1', terminationGracePeriodSeconds: 10 }));
    const d = await reg.delete<Pod>(POD, 'default', 'a');
    expect(d.metadata.deletionTimestamp).toBe('2025-01-01T00:00:10Z');
    expect(d.metadata.deletionGracePeriodSeconds).toBe(10);
    const again = await reg.delete<Pod>(POD, 'default', 'a');
    expect(again.metadata.resourceVersion).toBe(d.metadata.resourceVersion);
    // Status updates of a terminating pod keep it.
    await reg.updateStatus(POD, { ...d, status: { phase: 'Running' } });
    await reg.delete(POD, 'default', 'a', { gracePeriodSeconds: 0 });
    await expect(reg.get(POD, 'default', 'a')).rejects.toBeInstanceOf(NotFoundError);
    await reg.create(POD, pod('b'));
    await reg.delete(POD, 'default', 'b');
    await expect(reg.get(POD, 'default', 'b')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('holds objects with finalizers until the last one is removed', async () => {
    await reg.create(DEPLOY, { ...deployment(), metadata: { name: 'web', finalizers: ['x'] } });
    const d = await reg.delete<Deployment>(DEPLOY, 'default', 'web');
    expect(d.metadata.deletionTimestamp).toBeDefined();
    await reg.update(DEPLOY, deployment());
    await expect(reg.get(DEPLOY, 'default', 'web')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('orphans dependents and checks preconditions', async () => {
    const d = await reg.create<Deployment>(DEPLOY, deployment());
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid ?? '', controller: true };
    await reg.create(RS, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-1', ownerReferences: [ref] },
      spec: deployment().spec,
    });
    await expect(reg.delete(DEPLOY, 'default', 'web', { preconditions: { uid: 'other' } })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await reg.delete(DEPLOY, 'default', 'web', { propagationPolicy: 'Orphan' });
    const rs = await reg.get(RS, 'default', 'web-1');
    expect(rs.metadata.ownerReferences).toBeUndefined();
  });
});

describe('services', () => {
  const svc = (name: string, port: Record<string, unknown> = {}, type = 'NodePort') => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { type, selector: { app: 'web' }, ports: [{ port: 80, ...port }] },
  });

  it('defaults, allocates node ports and refuses collisions', async () => {
    const [a, b] = await Promise.all([reg.create<Service>(SVC, svc('a')), reg.create<Service>(SVC, svc('b'))]);
    const pa = a.spec.ports[0]?.nodePort ?? 0;
    expect(pa).toBeGreaterThanOrEqual(30000);
    expect(pa).not.toBe(b.spec.ports[0]?.nodePort);
    expect(a.spec).toMatchObject({ sessionAffinity: 'None', ports: [{ targetPort: 80, protocol: 'TCP' }] });
    await expect(reg.create(SVC, svc('c', { nodePort: pa }))).rejects.toThrow('spec.ports[0].nodePort');
    await expect(reg.create(SVC, svc('d', { nodePort: 80 }))).rejects.toThrow('valid range');
    await expect(reg.create(SVC, svc('e', { nodePort: 30001 }, 'ClusterIP'))).rejects.toThrow('spec.ports[0].nodePort');
    // Re-applying the manifest keeps the allocated port and does not write.
    const again = await reg.update<Service>(SVC, svc('a'));
    expect(again.metadata.resourceVersion).toBe(a.metadata.resourceVersion);
  });
});

describe('list and watch', () => {
  it('filters by label and field selectors', async () => {
    await reg.create(POD, pod('a', { nodeName: 'pi-1' }));
    await reg.create(POD, { ...pod('b'), metadata: { name: 'b', labels: { app: 'db' } } });
    expect((await reg.list(POD, { labelSelector: 'app=web' })).items.map((p) => p.metadata.name)).toEqual(['a']);
    expect((await reg.list(POD, { fieldSelector: 'spec.nodeName=pi-1' })).items.map((p) => p.metadata.name)).toEqual([
      'a',
    ]);
    expect((await reg.list(POD, { namespace: 'default', labelSelector: 'app in (web,db)' })).items).toHaveLength(2);
  });

  it('sends current state then changes; selector transitions become ADDED/DELETED', async () => {
    await reg.create(POD, pod('a'));
    const events: WatchEvent<KubeObject>[] = [];
    const stop = await reg.watch(POD, { namespace: 'default', labelSelector: 'app=web' }, (e) => events.push(e));
    await reg.update(POD, { ...pod('a'), metadata: { name: 'a', labels: { app: 'web', v: '2' } } });
    await reg.update(POD, { ...pod('a'), metadata: { name: 'a', labels: { app: 'db' } } });
    await reg.update(POD, pod('a'));
    await reg.delete(POD, 'default', 'a');
    stop();
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED', 'ADDED', 'DELETED']);
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
  });

  it('resumes from a resourceVersion', async () => {
    const a = await reg.create(POD, pod('a'));
    await reg.create(POD, pod('b'));
    const events: WatchEvent<KubeObject>[] = [];
    const stop = await reg.watch(POD, { resourceVersion: a.metadata.resourceVersion }, (e) => events.push(e));
    stop();
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b']);
  });
});

describe('namespaces', () => {
  it('deletes a namespace with its contents; default is protected', async () => {
    const NS = T('v1', 'Namespace');
    await reg.ensureNamespace('team');
    await reg.ensureNamespace('team');
    await reg.create(POD, { ...pod('a'), metadata: { name: 'a', namespace: 'team' } });
    await reg.create(POD, { ...pod('b', { nodeName: 'pi-1' }), metadata: { name: 'b', namespace: 'team' } });
    await reg.create(DEPLOY, { ...deployment(), metadata: { name: 'web', namespace: 'team' } });
    await reg.delete(NS, undefined, 'team');
    await expect(reg.get(NS, undefined, 'team')).rejects.toBeInstanceOf(NotFoundError);
    expect((await reg.list(DEPLOY, { namespace: 'team' })).items).toEqual([]);
    // The bound pod waits for its node.
    const left = await reg.list<Pod>(POD, { namespace: 'team' });
    expect(left.items.map((p) => [p.metadata.name, p.metadata.deletionTimestamp !== undefined])).toEqual([['b', true]]);
    await reg.delete(POD, 'team', 'b', { gracePeriodSeconds: 0 });
    await expect(reg.create(POD, { ...pod('c'), metadata: { name: 'c', namespace: 'team' } })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(reg.delete(NS, undefined, 'default')).rejects.toThrow('may not be deleted');
  });
});
