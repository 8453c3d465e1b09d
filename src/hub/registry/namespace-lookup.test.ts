/**
 * Where the registry reads the Namespace a pod is written into (its existence, and Pod Security's
 * labels): from the watch cache once that holds namespaces, which the first lookup starts loading.
 * Pod Security's verdicts themselves: pod-security.test.ts.
 */
import { afterEach, expect, it } from 'vitest';
import type { Pod } from '../../api/index.js';
import { until } from '../../../test/support/poll.js';
import { ObjectRegistry } from './object-registry.js';
import { withRecordedGets } from './testing/held-watches.js';
import { namespace, pod } from './testing/pod-security-fixtures.js';
import { NS, POD } from './testing/resource-types.js';
import { openTempRegistry, type TempRegistry } from './testing/temp-registry.js';

let temp: TempRegistry | undefined;
afterEach(async () => {
  await temp?.close();
  temp = undefined;
});

it('reads the namespace from the store until its watch cache has loaded, then from the cache alone', async () => {
  temp = await openTempRegistry({ prefix: 'ns-lookup-' });
  const reads: string[] = [];
  const reg = new ObjectRegistry({ ...temp.deps, store: withRecordedGets(temp.store, reads) });
  const NS_KEY = '/registry/namespaces/shop';
  const nsReads = () => reads.filter((k) => k === NS_KEY).length;
  try {
    await reg.create(NS, namespace('shop', { 'pod-security.kubernetes.io/enforce': 'baseline' }));
    await reg.create(POD, pod('first', 'shop'));
    expect(nsReads()).toBeGreaterThan(0);
    // The first lookup started loading the namespaces' cache (nobody listed namespaces): soon a pod
    // write no longer reads the namespace from the store.
    let warm = 0;
    await until(
      'a pod write that reads its namespace from the cache',
      async () => {
        const n = nsReads();
        await reg.create(POD, pod(`warm${warm++}`, 'shop'));
        return nsReads() === n;
      },
      5_000,
      5,
    );
    const before = nsReads();
    for (let i = 0; i < 20; i++) await reg.create(POD, pod(`p${i}`, 'shop'));
    expect(nsReads()).toBe(before);
    // A change to the namespace is seen by the next write, and a missing one is still refused.
    await reg.update(NS, namespace('shop', { 'pod-security.kubernetes.io/enforce': 'restricted' }));
    await expect(reg.create(POD, pod('late', 'shop'))).rejects.toThrow(/violates PodSecurity "restricted/);
    await expect(reg.create<Pod>(POD, pod('x', 'nowhere'))).rejects.toThrow('namespaces "nowhere" not found');
  } finally {
    reg.close();
  }
});
