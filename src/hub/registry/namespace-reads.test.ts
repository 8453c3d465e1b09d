/**
 * The Namespace a pod write goes into, read by a registry whose watch cache lags the store (as a second
 * hub's does on etcd, until its watch delivers another hub's write): a stale cache is not trusted, so
 * Pod Security judges by the namespace's labels as stored, and a namespace made elsewhere is found.
 */
import { afterEach, expect, it } from 'vitest';
import type { Pod } from '../../api/index.js';
import { ObjectRegistry } from './object-registry.js';
import { IMAGE, namespace, pod, refusal } from './testing/pod-security-fixtures.js';
import { NS, POD } from './testing/resource-types.js';
import { withHeldWatches } from './testing/held-watches.js';
import { openTempRegistry, type TempRegistry } from './testing/temp-registry.js';

let temp: TempRegistry | undefined;
let lagging: ObjectRegistry | undefined;
afterEach(async () => {
  lagging?.close();
  await temp?.close();
});

it('reads the namespace from the store while its watch cache has not caught up, and from the cache once it has', async () => {
  temp = await openTempRegistry({ prefix: 'ns-reads-' });
  const writer = temp.registry; // another hub, writing to the shared store
  await writer.create(NS, namespace('shifting', { 'pod-security.kubernetes.io/enforce': 'restricted' }));
  const { store, held } = withHeldWatches(temp.store);
  lagging = new ObjectRegistry({ ...temp.deps, store });
  await lagging.list(NS); // its namespaces' watch cache is loaded
  const hosty = (name: string): Record<string, unknown> =>
    pod(name, 'shifting', { hostNetwork: true, containers: [{ name: 'c', image: IMAGE }] });
  await refusal(lagging.create(POD, hosty('a')));

  held.on = true;
  await writer.update(NS, namespace('shifting', { 'pod-security.kubernetes.io/enforce': 'privileged' }));
  await writer.create(NS, namespace('fresh'));
  // The lagging cache still says restricted and knows no `fresh`: the store's answer is used.
  expect((await lagging.create<Pod>(POD, hosty('b'))).metadata.name).toBe('b');
  expect((await lagging.create<Pod>(POD, pod('c', 'fresh'))).metadata.name).toBe('c');

  held.release();
  await writer.update(NS, namespace('shifting', { 'pod-security.kubernetes.io/enforce': 'restricted' }));
  await refusal(lagging.create(POD, hosty('d')));
  await expect(lagging.create(POD, pod('e', 'nowhere'))).rejects.toThrow('namespaces "nowhere" not found');
});
