/**
 * Read-modify-write on the watch cache's object (replace.ts): a write that names the resourceVersion the
 * cache holds builds on the cached object without reading the store, and a cache that lags the store (a
 * second hub's, on etcd) changes nothing a caller sees: a stale version conflicts as it would without
 * the cache (a no-op write too), and a version the cache has not seen yet is read from the store.
 */
import { afterEach, expect, it } from 'vitest';
import { ConflictError, type Pod } from '../../api/index.js';
import { ObjectRegistry } from './object-registry.js';
import { withHeldWatches, withRecordedGets, type HeldWatches } from './testing/held-watches.js';
import { pod } from './testing/pod-security-fixtures.js';
import { NS, POD } from './testing/resource-types.js';
import { openTempRegistry, type TempRegistry } from './testing/temp-registry.js';

const KEY = '/registry/pods/default/a';

let temp: TempRegistry | undefined;
let reg: ObjectRegistry | undefined;
afterEach(async () => {
  reg?.close();
  await temp?.close();
});

/** A registry (`reg`) over the temp store whose store reads land in `reads` and whose watches `held` can stall. */
async function open(): Promise<{ writer: ObjectRegistry; reg: ObjectRegistry; reads: string[]; held: HeldWatches }> {
  temp = await openTempRegistry({ prefix: 'replace-cached-' });
  const reads: string[] = [];
  const { store, held } = withHeldWatches(withRecordedGets(temp.store, reads));
  reg = new ObjectRegistry({ ...temp.deps, store });
  await reg.list(NS); // pod writes read their Namespace from this cache: the reads left are the pods'
  return { writer: temp.registry, reg, reads, held };
}

const phaseOf = async (): Promise<string | undefined> =>
  ((await temp?.store.get(KEY))?.value as Pod | undefined)?.status?.phase;

it('writes a status and a binding on the cached object at the named resourceVersion, without a store read', async () => {
  const { reg, reads } = await open();
  const created = await reg.create<Pod>(POD, pod('a', 'default'));
  const cached = (await reg.list<Pod>(POD, { namespace: 'default' })).items[0]; // the cache has it
  expect(cached?.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  reads.length = 0;

  const running = await reg.updateStatus<Pod>(POD, { ...created, status: { phase: 'Running' } });
  const bound = await reg.update<Pod>(POD, { ...running, spec: { ...running.spec, nodeName: 'n1' } });
  expect(reads).toEqual([]);
  expect(await phaseOf()).toBe('Running');
  expect(((await temp?.store.get(KEY))?.value as Pod).spec.nodeName).toBe('n1');
  expect(Number(bound.metadata.resourceVersion)).toBeGreaterThan(Number(running.metadata.resourceVersion));
  // The unit tests freeze what the cache holds (mutation-detector.ts), so the writes above changed no
  // cached object in place: they would have thrown.
  expect(Object.isFrozen(cached?.metadata)).toBe(true);
});

it('a lagging cache: a stale resourceVersion conflicts as without the cache, and the rest reads the store', async () => {
  const { writer, reg, reads, held } = await open();
  const created = await reg.create<Pod>(POD, pod('a', 'default'));
  await reg.list(POD);
  held.on = true;
  const moved = await writer.updateStatus<Pod>(POD, { ...created, status: { phase: 'Running' } });

  // The cache still holds `created`: the write named that version, and the store has moved on.
  await expect(reg.updateStatus(POD, { ...created, status: { phase: 'Failed' } })).rejects.toBeInstanceOf(
    ConflictError,
  );
  expect(await phaseOf()).toBe('Running');

  // So does a write naming that version that changes nothing against it (Kubernetes: 409, not a no-op).
  reads.length = 0;
  await expect(reg.updateStatus(POD, created)).rejects.toBeInstanceOf(ConflictError);
  expect(reads).toEqual([KEY]);

  // A version the cache has not seen yet is read from the store.
  reads.length = 0;
  await reg.updateStatus<Pod>(POD, { ...moved, status: { phase: 'Succeeded' } });
  expect(reads).toEqual([KEY]);
  expect(await phaseOf()).toBe('Succeeded');

  // Without a resourceVersion, the write reads the store and applies to what is there.
  const metadata = { ...created.metadata };
  delete metadata.resourceVersion;
  reads.length = 0;
  await reg.update<Pod>(POD, { ...created, metadata, spec: { ...created.spec, nodeName: 'n2' } });
  expect(reads).toContain(KEY);
  expect(((await temp?.store.get(KEY))?.value as Pod).spec.nodeName).toBe('n2');
  held.release();
});

it('without a resourceVersion, builds on the cached object; a no-op against a lagging cache is checked against the store', async () => {
  const { writer, reg, reads, held } = await open();
  const created = await reg.create<Pod>(POD, pod('a', 'default'));
  await reg.list(POD);
  const noVersion = (p: Pod): Pod => {
    const metadata = { ...p.metadata };
    delete metadata.resourceVersion;
    return { ...p, metadata };
  };
  // The cache is current: no store read.
  reads.length = 0;
  const labelled = await reg.update<Pod>(POD, {
    ...noVersion(created),
    metadata: { ...noVersion(created).metadata, labels: { tier: 'web' } },
  });
  expect(reads).toEqual([]);
  expect(labelled.metadata.labels).toEqual({ tier: 'web' });

  // The cache lags: against the object it holds the status below changes nothing, against the store's it
  // does, so the registry reads the store before it answers, and writes.
  held.on = true;
  await writer.updateStatus<Pod>(POD, { ...labelled, status: { phase: 'Running' } });
  reads.length = 0;
  const back = await reg.updateStatus<Pod>(POD, { ...noVersion(labelled), status: labelled.status });
  expect(reads).toEqual([KEY]);
  expect(await phaseOf()).toBe(labelled.status?.phase);
  expect(Number(back.metadata.resourceVersion)).toBeGreaterThan(Number(labelled.metadata.resourceVersion) + 1);
  held.release();
});

it('without a resourceVersion, a uid precondition failed against a lagging cache is judged again on the store', async () => {
  const { writer, reg, reads, held } = await open();
  const first = await reg.create<Pod>(POD, pod('a', 'default'));
  await reg.list(POD);
  held.on = true;
  // Replaced behind the cache's back: the cache still holds the first pod's uid.
  await writer.delete(POD, 'default', 'a', { gracePeriodSeconds: 0 });
  const second = await writer.create<Pod>(POD, pod('a', 'default'));
  expect(second.metadata.uid).not.toBe(first.metadata.uid);
  reads.length = 0;
  const metadata = { ...second.metadata, labels: { v: '2' } };
  delete metadata.resourceVersion;
  const updated = await reg.update<Pod>(POD, { ...second, metadata });
  expect(reads).toContain(KEY); // the pod, afresh (its namespace too: that cache lags as well)
  expect(updated.metadata.uid).toBe(second.metadata.uid);
  expect(updated.metadata.labels).toEqual({ v: '2' });
  held.release();
});
