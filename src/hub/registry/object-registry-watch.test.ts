/**
 * LIST and watch in the registry over a real SQLite store (`testing/temp-registry.ts`): label and field
 * selectors, a watch's current state then its changes (selector transitions as ADDED/DELETED), and a watch
 * resumed from a resourceVersion. Create and update: `object-registry.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/index.js';
import type { ObjectRegistry } from './object-registry.js';
import { POD } from './testing/resource-types.js';
import { tempRegistryPerTest } from './testing/temp-registry.js';
import { pod } from './testing/web-objects.js';
import type { WatchEvent } from './types.js';

let reg: ObjectRegistry;
tempRegistryPerTest({ prefix: 'registry-' }, (temp) => {
  reg = temp.registry;
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
