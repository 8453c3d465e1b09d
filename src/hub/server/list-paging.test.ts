import { afterEach, describe, expect, it } from 'vitest';
import { typeByKind, type ObjectList, type Pod, type ResourceType } from '../../api/index.js';
import { createHarness, readJson, readStatus, testPod, type Harness, type TestResponse } from './testdata/harness.js';

const podType = typeByKind('v1', 'Pod') as ResourceType;

const PODS = '/api/v1/namespaces/default/pods';
const pod = testPod;

const names = (list: ObjectList<Pod>): Array<string | undefined> => list.items.map((p) => p.metadata.name);
const podList = (res: TestResponse): Promise<ObjectList<Pod>> => readJson<ObjectList<Pod>>(res);

let h: Harness;
afterEach(() => h.close());

describe('list with limit and continue', () => {
  it('pages through a collection at the first page resourceVersion', async () => {
    h = await createHarness();
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) await h.api.create(podType, pod(n));
    const p1 = await podList(await h.req('GET', `${PODS}?limit=3`));
    expect(names(p1)).toEqual(['a', 'b', 'c']);
    expect(p1.metadata.remainingItemCount).toBe(4);
    expect(typeof p1.metadata.continue).toBe('string');
    // As in Kubernetes, every page is the state at the first page's revision: a write between pages
    // (a new `h`, `e` deleted) shows in none of them.
    await h.api.create(podType, pod('h'));
    await h.api.delete(podType, 'default', 'e', { gracePeriodSeconds: 0 });
    const p2 = await podList(await h.req('GET', `${PODS}?limit=3&continue=${p1.metadata.continue}`));
    expect(names(p2)).toEqual(['d', 'e', 'f']);
    expect(p2.metadata.resourceVersion).toBe(p1.metadata.resourceVersion);
    const p3 = await podList(await h.req('GET', `${PODS}?limit=3&continue=${p2.metadata.continue}`));
    expect(names(p3)).toEqual(['g']);
    expect(p3.metadata.continue).toBeUndefined();
    expect(p3.metadata.remainingItemCount).toBeUndefined();
  });

  it('pages a selector, with no remainingItemCount (unknown with a selector, as in Kubernetes)', async () => {
    h = await createHarness();
    for (let i = 0; i < 6; i++) await h.api.create(podType, pod(`p${i}`, { app: i % 2 ? 'db' : 'web' }));
    const p1 = await podList(await h.req('GET', `${PODS}?limit=2&labelSelector=app%3Dweb`));
    expect(names(p1)).toEqual(['p0', 'p2']);
    expect(p1.metadata.remainingItemCount).toBeUndefined();
    const p2 = await podList(
      await h.req('GET', `${PODS}?limit=2&labelSelector=app%3Dweb&continue=${p1.metadata.continue}`),
    );
    expect(names(p2)).toEqual(['p4']);
    expect(p2.metadata.continue).toBeUndefined();
  });

  it('reads pages from the watch cache, not the store', async () => {
    h = await createHarness();
    for (let i = 0; i < 30; i++) await h.api.create(podType, pod(`q${String(i).padStart(2, '0')}`));
    await h.req('GET', `${PODS}?limit=1`); // the first read loads the cache (one store list)
    let reads = 0;
    const list = h.store.list.bind(h.store);
    h.store.list = async (prefix, range) => {
      reads++;
      return list(prefix, range);
    };
    const p1 = await podList(await h.req('GET', `${PODS}?limit=5`));
    const p2 = await podList(await h.req('GET', `${PODS}?limit=5&continue=${p1.metadata.continue}`));
    expect(names(p2)).toEqual(['q05', 'q06', 'q07', 'q08', 'q09']);
    expect(p2.metadata.remainingItemCount).toBe(20);
    const all = await podList(await h.req('GET', `${PODS}?labelSelector=app%3Dweb`));
    expect(all.items.length).toBeGreaterThan(0);
    expect(reads).toBe(0);
  });

  it('answers resourceVersion and resourceVersionMatch as Kubernetes does', async () => {
    h = await createHarness();
    await h.req('GET', PODS); // loads the cache: its history starts here
    const a = await h.api.create(podType, pod('a'));
    await h.api.create(podType, pod('b'));
    const exact = await h.req(
      'GET',
      `${PODS}?resourceVersion=${a.metadata.resourceVersion}&resourceVersionMatch=Exact`,
    );
    expect(names(await podList(exact))).toEqual(['a']);
    const bad = await h.req('GET', `${PODS}?resourceVersionMatch=Exact`);
    expect(bad.status).toBe(422);
    expect(await readStatus(bad)).toMatchObject({ reason: 'Invalid' });
    const future = await h.req('GET', `${PODS}?resourceVersion=999999999`);
    expect(future.status).toBe(504);
    expect((await readStatus(future)).message).toMatch(/^Too large resource version: 999999999, current: \d+$/);
  });

  it('refuses a bad limit or token with 400, and an expired token with 410', async () => {
    h = await createHarness({ historyLimit: 5 });
    expect((await h.req('GET', `${PODS}?limit=-1`)).status).toBe(400);
    expect((await h.req('GET', `${PODS}?limit=abc`)).status).toBe(400);
    const bad = await h.req('GET', `${PODS}?limit=1&continue=bm90LWEtdG9rZW4`);
    expect(bad.status).toBe(400);
    expect((await readStatus(bad)).message).toMatch(/invalid continue token/);
    for (let i = 0; i < 3; i++) await h.api.create(podType, pod(`p${i}`));
    const p1 = await podList(await h.req('GET', `${PODS}?limit=1`));
    for (let i = 3; i < 20; i++) await h.api.create(podType, pod(`p${i}`));
    const gone = await h.req('GET', `${PODS}?limit=1&continue=${p1.metadata.continue}`);
    expect(gone.status).toBe(410);
    expect(await readStatus(gone)).toMatchObject({ kind: 'Status', reason: 'Gone', code: 410 });
  });

  it('streams a large list as valid JSON', async () => {
    h = await createHarness();
    for (let i = 0; i < 450; i++) await h.api.create(podType, pod(`p${String(i).padStart(3, '0')}`));
    const res = await h.req('GET', PODS);
    expect(res.status).toBe(200);
    const list = await podList(res);
    expect(list.kind).toBe('PodList');
    expect(list.items).toHaveLength(450);
    expect(list.items[449]?.metadata.name).toBe('p449');
    expect(list.metadata.resourceVersion).toMatch(/^\d+$/);
  });
});
