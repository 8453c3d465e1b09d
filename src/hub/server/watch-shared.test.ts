import { afterEach, describe, expect, it, vi } from 'vitest';
import { typeByKind, type ObjectList, type Pod, type ResourceType } from '../../api/index.js';
import {
  createHarness,
  readJson,
  testPod,
  type Harness,
  type TestResponse,
  type WatchLine,
} from './testdata/harness.js';
import { WatchEncoder } from './watch-encoder.js';

const PODS = '/api/v1/namespaces/default/pods';
const podType = typeByKind('v1', 'Pod') as ResourceType;
const pod = (name: string, nodeName?: string) => testPod(name, { app: 'web' }, nodeName);

/** Reads a watch response line by line (unlike readLines, it stays open between reads). */
class Lines {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buf = '';
  readonly raw: string[] = [];
  constructor(res: TestResponse) {
    this.#reader = (res.body as ReadableStream<Uint8Array>).getReader();
  }
  async next(n: number, timeoutMs = 5000): Promise<WatchLine[]> {
    const out: WatchLine[] = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < n) {
      let i: number;
      while (out.length < n && (i = this.#buf.indexOf('\n')) >= 0) {
        this.raw.push(this.#buf.slice(0, i));
        out.push(JSON.parse(this.#buf.slice(0, i)) as WatchLine);
        this.#buf = this.#buf.slice(i + 1);
      }
      if (out.length >= n) break;
      if (Date.now() > deadline) throw new Error(`timed out after ${out.length} lines`);
      const r = await Promise.race([
        this.#reader.read(),
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timed out reading')), timeoutMs)),
      ]);
      if (r.done) throw new Error('watch ended');
      this.#buf += this.#decoder.decode(r.value, { stream: true });
    }
    return out;
  }
  close(): Promise<void> {
    return this.#reader.cancel();
  }
}

const names = (ls: WatchLine[]): string[] => ls.map((l) => `${l.type} ${l.object.metadata.name ?? ''}`);

let h: Harness;
afterEach(() => h.close());

describe('shared watches', () => {
  it('serves watchers of one prefix from one store watch, each only its node', async () => {
    h = await createHarness();
    const rv = (await readJson<ObjectList<Pod>>(await h.req('GET', PODS))).metadata.resourceVersion;
    const before = h.store.watcherCount;
    const watchersBefore = h.api.watchStats.watchers;
    const n1 = new Lines(
      await h.req('GET', `${PODS}?watch=true&resourceVersion=${rv}&fieldSelector=spec.nodeName%3Dn1`),
    );
    const n2 = new Lines(
      await h.req('GET', `${PODS}?watch=true&resourceVersion=${rv}&fieldSelector=spec.nodeName%3Dn2`),
    );
    const all = new Lines(await h.req('GET', `${PODS}?watch=true&resourceVersion=${rv}`));
    // The watch cache's one store watch serves them all: none of their own.
    expect(h.store.watcherCount).toBe(before);
    expect(h.api.watchStats.watchers).toBeGreaterThanOrEqual(3);
    await h.api.create(podType, pod('a', 'n1'));
    await h.api.create(podType, pod('b', 'n2'));
    await h.api.create(podType, pod('c'));
    await h.api.delete(podType, 'default', 'a', { gracePeriodSeconds: 0 });
    expect(names(await n1.next(2))).toEqual(['ADDED a', 'DELETED a']);
    expect(names(await n2.next(1))).toEqual(['ADDED b']);
    expect(names(await all.next(4))).toEqual(['ADDED a', 'ADDED b', 'ADDED c', 'DELETED a']);
    // A pod bound later reaches its node's watcher (the index looks at the new value too).
    const c = await h.api.get<Pod>(podType, 'default', 'c');
    await h.api.update(podType, { ...c, spec: { ...c.spec, nodeName: 'n2' } });
    expect(names(await n2.next(1))).toEqual(['ADDED c']);
    await Promise.all([n1.close(), n2.close(), all.close()]);
    await vi.waitFor(() => expect(h.api.watchStats.watchers).toBe(watchersBefore));
    expect(h.store.watcherCount).toBe(before);
  });

  it('joins a watcher from a recent resourceVersion through the ring, in order', async () => {
    h = await createHarness();
    const open = new Lines(await h.req('GET', `${PODS}?watch=true`));
    const a = await h.api.create(podType, pod('a'));
    await h.api.create(podType, pod('b'));
    await h.api.update(podType, { ...a, metadata: { ...a.metadata, labels: { app: 'web', v: '2' } } });
    await open.next(3);
    const before = h.store.watcherCount;
    const late = new Lines(await h.req('GET', `${PODS}?watch=true&resourceVersion=${a.metadata.resourceVersion}`));
    expect(names(await late.next(2))).toEqual(['ADDED b', 'MODIFIED a']);
    expect(h.store.watcherCount).toBe(before);
    await h.api.create(podType, pod('c'));
    expect(names(await late.next(1))).toEqual(['ADDED c']);
    await Promise.all([open.close(), late.close()]);
  });

  it('sends the same bytes to every watcher, encoded once', async () => {
    h = await createHarness();
    const rv = (await readJson<ObjectList<Pod>>(await h.req('GET', PODS))).metadata.resourceVersion;
    const ws = await Promise.all(
      [1, 2, 3].map(async () => new Lines(await h.req('GET', `${PODS}?watch=true&resourceVersion=${rv}`))),
    );
    await h.api.create(podType, pod('a'));
    for (const w of ws) await w.next(1);
    expect(new Set(ws.map((w) => w.raw[0])).size).toBe(1);
    await Promise.all(ws.map((w) => w.close()));

    const enc = new WatchEncoder();
    const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', resourceVersion: '5' } };
    const first = enc.encode({ type: 'ADDED', object });
    expect(enc.encode({ type: 'ADDED', object })).toBe(first);
    expect(new TextDecoder().decode(enc.encode({ type: 'DELETED', object }))).toBe(
      `${JSON.stringify({ type: 'DELETED', object })}\n`,
    );
    expect(enc.stats).toEqual({ hits: 1, misses: 2 });
  });

  it('with allowWatchBookmarks, bookmarks carry the revision past filtered-out events', async () => {
    h = await createHarness({ bookmarkMs: 50 });
    const rv = (await readJson<ObjectList<Pod>>(await h.req('GET', PODS))).metadata.resourceVersion;
    const w = new Lines(
      await h.req(
        'GET',
        `${PODS}?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}&fieldSelector=spec.nodeName%3Dn1`,
      ),
    );
    const other = await h.api.create(podType, pod('elsewhere', 'n2'));
    let seen = '';
    for (let i = 0; i < 40 && seen !== other.metadata.resourceVersion; i++) {
      const [line] = await w.next(1);
      expect(line?.type).toBe('BOOKMARK');
      seen = line?.object.metadata.resourceVersion ?? '';
    }
    expect(seen).toBe(other.metadata.resourceVersion);
    await w.close();
  });
});
