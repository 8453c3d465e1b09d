import { afterEach, describe, expect, it } from 'vitest';
import {
  ExpiredError,
  GoneError,
  fromStatus,
  toStatus,
  typeByKind,
  type ObjectList,
  type Pod,
  type ResourceType,
} from '../../api/index.js';
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
    expect(await readStatus(gone)).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
  });

  describe("an expired token's 410 carries a token for the rest of the list as of now (Kubernetes' inconsistent continue)", () => {
    /** Lists `path` a page of 1, then writes (p1 deleted, p3–p19 created) until the token expires. */
    async function expire(
      path: string,
      make: (n: string) => Promise<unknown>,
      remove: (n: string) => Promise<unknown>,
    ) {
      for (let i = 0; i < 3; i++) await make(`p${i}`);
      const first = await podList(await h.req('GET', `${path}?limit=1`));
      expect(names(first)).toEqual(['p0']);
      await remove('p1');
      for (let i = 3; i < 20; i++) await make(`p${i}`);
      const res = await h.req('GET', `${path}?limit=1&continue=${first.metadata.continue}`);
      expect(res.status).toBe(410);
      const status = (await readStatus(res)) as { reason: string; message: string; metadata: { continue?: string } };
      expect(status.reason).toBe('Expired');
      expect(status.message).toMatch(/continue token is too old.*metadata\.continue/);
      expect(typeof status.metadata.continue).toBe('string');
      return status.metadata.continue!;
    }

    /** Follows `token` page by page (3 a page); every page after the expiry is one state: its own. */
    async function rest(path: string, token: string): Promise<string[]> {
      const seen: string[] = [];
      let next: string | undefined = token;
      let rv: string | undefined;
      while (next) {
        const page = await podList(await h.req('GET', `${path}?limit=3&continue=${next}`));
        seen.push(...names(page).map(String));
        if (rv !== undefined) expect(page.metadata.resourceVersion).toBe(rv);
        rv = page.metadata.resourceVersion;
        next = page.metadata.continue;
      }
      return seen;
    }

    const expirePods = () =>
      expire(
        PODS,
        (n) => h.api.create(podType, pod(n)),
        (n) => h.api.delete(podType, 'default', n, { gracePeriodSeconds: 0 }),
      );

    const after = (deleted: string) =>
      Array.from({ length: 20 }, (_, i) => `p${i}`)
        .filter((n) => n !== 'p0' && n !== deleted)
        .sort();

    it('from the watch cache (pods)', async () => {
      h = await createHarness({ historyLimit: 5 });
      const token = await expirePods();
      expect(await rest(PODS, token)).toEqual(after('p1'));
    });

    it('from the store (Events, which no cache holds)', async () => {
      h = await createHarness({ historyLimit: 5 });
      const EVENTS = '/api/v1/namespaces/default/events';
      const eventType = typeByKind('v1', 'Event') as ResourceType;
      const event = (n: string) => ({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: n, namespace: 'default' },
        involvedObject: { kind: 'Pod', name: 'x', namespace: 'default' },
        reason: 'Test',
        message: n,
      });
      const token = await expire(
        EVENTS,
        (n) => h.api.create(eventType, event(n)),
        (n) => h.api.delete(eventType, 'default', n),
      );
      expect(await rest(EVENTS, token)).toEqual(after('p1'));
    });

    it('reads the Status back as an ExpiredError with the token (the client side)', async () => {
      h = await createHarness({ historyLimit: 5 });
      const token = await expirePods();
      const body = { kind: 'Status', reason: 'Expired', code: 410, message: 'm', metadata: { continue: token } };
      const err = fromStatus(body, 410);
      expect(err).toBeInstanceOf(ExpiredError);
      expect(err).toBeInstanceOf(GoneError);
      expect((err as ExpiredError).continueToken).toBe(token);
      expect(toStatus(err)).toMatchObject({ reason: 'Expired', code: 410, metadata: { continue: token } });
    });
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
