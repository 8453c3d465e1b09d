/**
 * Deletion in the registry over a real SQLite store (`testing/temp-registry.ts`): graceful deletion of a
 * bound pod, finalizers, orphaned dependents and preconditions, and a namespace deleted with its contents.
 * Create and update: `object-registry.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, type Deployment, type Pod } from '../../api/index.js';
import type { ObjectRegistry } from './object-registry.js';
import { DEPLOY, NS, POD, RS } from './testing/resource-types.js';
import { tempRegistryPerTest } from './testing/temp-registry.js';
import { deployment, pod } from './testing/web-objects.js';

let reg: ObjectRegistry;
tempRegistryPerTest({ prefix: 'registry-' }, (temp) => {
  reg = temp.registry;
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

describe('namespaces', () => {
  it('deletes a namespace with its contents; default is protected', async () => {
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
