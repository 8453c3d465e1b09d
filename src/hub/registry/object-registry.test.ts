/**
 * The registry's writes over a real SQLite store (`testing/temp-registry.ts`): create (identity, defaults,
 * generated names, validation naming the path), update (no-op writes, generation, conflicts, status kept,
 * spec.nodeName set once) and a Service's defaults and node ports. Deletion: `object-registry-delete.test.ts`;
 * list and watch: `object-registry-watch.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  ConflictError,
  InvalidError,
  type Deployment,
  type Pod,
  type Service,
} from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import type { SqliteStore } from '../store/index.js';
import { ObjectRegistry } from './object-registry.js';
import { DEPLOY, POD, SVC } from './testing/resource-types.js';
import { tempRegistryPerTest } from './testing/temp-registry.js';
import { deployment, pod } from './testing/web-objects.js';

let store: SqliteStore;
let reg: ObjectRegistry;
const now = Date.parse('2025-01-01T00:00:00Z');
tempRegistryPerTest({ prefix: 'registry-', clock: { now: () => now } }, (temp) => {
  ({ store, registry: reg } = temp);
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

  it('takes a status write without spec, keeps the stored spec, and still validates the rest', async () => {
    const p = await reg.create<Pod>(POD, pod('a'));
    const { apiVersion, kind, metadata } = p;
    const running = await reg.updateStatus<Pod>(POD, { apiVersion, kind, metadata, status: { phase: 'Running' } });
    expect(running.status).toEqual({ phase: 'Running' });
    expect(running.spec).toEqual(p.spec);
    // Leaving the spec out validates metadata and status as before, strictly.
    const bad = { apiVersion, kind, metadata: running.metadata, status: { phase: 'Sleeping' } };
    await expect(reg.updateStatus(POD, bad)).rejects.toThrow('status.phase');
    const unknown = { apiVersion, kind, metadata: running.metadata, status: {}, extra: 1 };
    await expect(reg.updateStatus(POD, unknown)).rejects.toThrow('extra');
    // A spec that is sent is validated whole, as before (and then ignored).
    const badSpec = { ...running, spec: { ...running.spec, restartPolicy: 'Sometimes' }, status: {} };
    await expect(reg.updateStatus(POD, badSpec)).rejects.toBeInstanceOf(InvalidError);
    expect((await reg.get<Pod>(POD, 'default', 'a')).status).toEqual({ phase: 'Running' });
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
