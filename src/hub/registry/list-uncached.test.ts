/**
 * LIST of a resource the hub keeps no watch cache of (Events, as in Kubernetes): read from the store,
 * in chunks when a selector must look at many rows, and refused when it asks for a state other than
 * the store's current one.
 */
import { expect, it } from 'vitest';
import { GoneError, TimeoutError, typeByKind } from '../../api/index.js';
import type { ObjectRegistry } from './object-registry.js';
import { tempRegistryPerTest } from './testing/temp-registry.js';

const EVENT = typeByKind('v1', 'Event')!;
const event = (name: string, about: string) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, namespace: 'default' },
  involvedObject: { kind: 'Pod', name: about, namespace: 'default' },
  reason: 'Scheduled',
  message: `assigned ${about}`,
  type: 'Normal',
});

let api: ObjectRegistry;
tempRegistryPerTest({ prefix: 'list-uncached-', watchCache: {}, namespaces: ['default'] }, (temp) => {
  api = temp.registry;
});

it('finds the few Events a selector asks for among many, in chunks with other work between them', async () => {
  await Promise.all(Array.from({ length: 1200 }, (_, i) => api.create(EVENT, event(`e${i}`, `pod-${i}`))));
  let otherWorkRan = false;
  setImmediate(() => (otherWorkRan = true));
  const found = await api.list(EVENT, { namespace: 'default', fieldSelector: 'involvedObject.name=pod-1100' });
  expect(found.items.map((e) => e.metadata.name)).toEqual(['e1100']);
  // 1,200 rows in chunks of 500: the event loop ran between them (one read would have finished first).
  expect(otherWorkRan).toBe(true);
  expect((await api.list(EVENT, { namespace: 'default' })).items).toHaveLength(1200);
});

it('refuses an exact older state and a state newer than the store, and serves the current one', async () => {
  const first = await api.create(EVENT, event('a', 'pod-a'));
  const second = await api.create(EVENT, event('b', 'pod-b'));
  const at = (resourceVersion: string, resourceVersionMatch?: 'Exact' | 'NotOlderThan') =>
    api.list(EVENT, {
      namespace: 'default',
      resourceVersion,
      ...(resourceVersionMatch ? { resourceVersionMatch } : {}),
    });
  await expect(at(first.metadata.resourceVersion!, 'Exact')).rejects.toThrow(GoneError);
  await expect(at('999999', 'NotOlderThan')).rejects.toThrow(TimeoutError);
  await expect(at('999999')).rejects.toThrow(TimeoutError);
  const now = await at(second.metadata.resourceVersion!, 'Exact');
  expect(now.items.map((e) => e.metadata.name)).toEqual(['a', 'b']);
  expect((await at(first.metadata.resourceVersion!)).items).toHaveLength(2);
  expect((await at('0')).items).toHaveLength(2);
});

it('pages from the store with remainingItemCount, and without it when the hub asks for none', async () => {
  for (const i of [0, 1, 2, 3, 4]) await api.create(EVENT, event(`p${i}`, `pod-${i}`));
  const counted = await api.list(EVENT, { namespace: 'default', limit: 2 });
  expect([counted.items.length, counted.remainingItemCount]).toEqual([2, 3]);
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await api.list(EVENT, {
      namespace: 'default',
      limit: 2,
      countRemaining: false,
      ...(token ? { continue: token } : {}),
    });
    expect(page.remainingItemCount).toBeUndefined();
    names.push(...page.items.map((e) => e.metadata.name ?? ''));
    token = page.continue;
  } while (token);
  expect(names).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
});
