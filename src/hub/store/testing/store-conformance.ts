/**
 * One suite of `Store` cases, run against every implementation (SQLite in sqlite-conformance.test.ts,
 * a real etcd in etcd/etcd-conformance.test.ts). Cases use relative revisions (a shared etcd already
 * has history) and keys under a prefix of their own.
 */
import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, ConflictError, GoneError, NotFoundError } from '../../../api/index.js';
import type { Store, StoreEvent } from '../types.js';

/** How a suite run opens stores of one implementation. */
export interface StoreHarness {
  /**
   * A store for one case, with a key space no other case sees. `historyLimit`: revisions of history
   * the store keeps (it compacts behind them).
   */
  open(opts?: { historyLimit?: number }): Promise<Store>;
  /** Polls `fn` until it holds (compaction on etcd runs in the background). */
  until(what: string, fn: () => boolean | Promise<boolean>): Promise<void>;
}

function ofType(results: PromiseSettledResult<number>[]): string[] {
  return results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as Error).constructor.name)).sort();
}

/** Registers the conformance cases for one implementation. */
export function storeConformance(name: string, h: StoreHarness): void {
  describe(`Store conformance: ${name}`, () => {
    it('creates, reads, updates with compare-and-swap and deletes, each write one revision', async () => {
      const s = await h.open();
      const r0 = await s.revision();
      expect(await s.create('/registry/pods/default/a', { n: 1 })).toBe(r0 + 1);
      await expect(s.create('/registry/pods/default/a', { n: 2 })).rejects.toBeInstanceOf(AlreadyExistsError);
      expect(await s.get('/registry/pods/default/a')).toEqual({
        key: '/registry/pods/default/a',
        value: { n: 1 },
        createRevision: r0 + 1,
        modRevision: r0 + 1,
      });
      expect(await s.update('/registry/pods/default/a', { n: 2 }, r0 + 1)).toBe(r0 + 2);
      await expect(s.update('/registry/pods/default/a', { n: 3 }, r0 + 1)).rejects.toBeInstanceOf(ConflictError);
      await expect(s.update('/registry/pods/default/zz', { n: 3 }, r0 + 1)).rejects.toBeInstanceOf(NotFoundError);
      // A missing key's modRevision is 0 in etcd: an update expecting 0 must still be NotFound.
      await expect(s.update('/registry/pods/default/zz', { n: 3 }, 0)).rejects.toBeInstanceOf(NotFoundError);
      expect((await s.get('/registry/pods/default/a'))?.createRevision).toBe(r0 + 1);
      await expect(s.delete('/registry/pods/default/a', r0 + 1)).rejects.toBeInstanceOf(ConflictError);
      expect(await s.delete('/registry/pods/default/a', r0 + 2)).toBe(r0 + 3);
      expect(await s.get('/registry/pods/default/a')).toBeUndefined();
      await expect(s.delete('/registry/pods/default/a')).rejects.toBeInstanceOf(NotFoundError);
      // Refused writes consume no revision.
      expect(await s.revision()).toBe(r0 + 3);
      await s.close();
    });

    it('lists by prefix in key order, without neighbouring prefixes, and in ranged pages', async () => {
      const s = await h.open();
      await s.create('/registry/pods/default/b', 1);
      await s.create('/registry/pods/default/a', 2);
      await s.create('/registry/pods/default2/c', 3);
      await s.create('/registry/services/default/a', 4);
      const l = await s.list('/registry/pods/default/');
      expect(l.items.map((i) => i.key)).toEqual(['/registry/pods/default/a', '/registry/pods/default/b']);
      expect(l.items.map((i) => i.value)).toEqual([2, 1]);
      expect(l.revision).toBe(await s.revision());
      expect((await s.list('/registry/pods/')).items).toHaveLength(3);
      for (let i = 0; i < 7; i++) await s.create(`/registry/cm/ns/k${i}`, i);
      const p1 = await s.list('/registry/cm/ns/', { limit: 3 });
      expect(p1.items.map((i) => i.value)).toEqual([0, 1, 2]);
      expect(p1.remaining).toBe(4);
      const p2 = await s.list('/registry/cm/ns/', { after: p1.items.at(-1)!.key, limit: 3 });
      expect(p2.items.map((i) => i.value)).toEqual([3, 4, 5]);
      expect(p2.remaining).toBe(1);
      const p3 = await s.list('/registry/cm/ns/', { after: p2.items.at(-1)!.key, limit: 3 });
      expect(p3.items.map((i) => i.value)).toEqual([6]);
      expect(p3.remaining).toBe(0);
      expect([p1.more, p2.more, p3.more]).toEqual([true, true, false]);
      // Without a count: the same pages, and only whether more follow.
      const q1 = await s.list('/registry/cm/ns/', { limit: 3, count: false });
      expect(q1.items.map((i) => i.value)).toEqual([0, 1, 2]);
      expect([q1.more, q1.remaining]).toEqual([true, undefined]);
      const q3 = await s.list('/registry/cm/ns/', { after: p2.items.at(-1)!.key, limit: 1, count: false });
      expect([q3.items.map((i) => i.value), q3.more]).toEqual([[6], false]);
      const q4 = await s.list('/registry/cm/ns/', { after: p2.items.at(-1)!.key, limit: 2, count: false });
      expect([q4.items.map((i) => i.value), q4.more]).toEqual([[6], false]);
      await s.close();
    });

    it('lets exactly one of racing compare-and-swap writers win', async () => {
      const s = await h.open();
      const rev = await s.create('/k/race', { v: 0 });
      const updates = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => s.update('/k/race', { v: i }, rev)),
      );
      expect(ofType(updates)).toEqual([...Array<string>(11).fill('ConflictError'), 'ok']);
      const creates = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => s.create('/k/new', { v: i })));
      expect(ofType(creates)).toEqual([...Array<string>(11).fill('AlreadyExistsError'), 'ok']);
      const cur = await s.get('/k/race');
      const deletes = await Promise.allSettled([1, 2, 3].map(() => s.delete('/k/race', cur!.modRevision)));
      expect(ofType(deletes).filter((t) => t === 'ok')).toHaveLength(1);
      await s.close();
    });

    it('replays history then streams live events, in order, without gap or duplicate', async () => {
      const s = await h.open();
      const r0 = await s.revision();
      await s.create('/k/a', 1); // r0+1
      await s.update('/k/a', 2, r0 + 1); // r0+2
      await s.create('/other/x', 1); // r0+3
      await s.delete('/k/a'); // r0+4
      const seen: StoreEvent[] = [];
      const stop = await s.watch('/k/', r0 + 1, (e) => seen.push(e));
      await s.create('/k/b', 1); // r0+5
      await h.until('3 events', () => seen.length >= 3);
      expect(seen.map((e) => [e.revision - r0, e.type, e.key, e.created])).toEqual([
        [2, 'put', '/k/a', false],
        [4, 'delete', '/k/a', false],
        [5, 'put', '/k/b', true],
      ]);
      expect(seen[0]?.value).toBe(2);
      expect(seen[0]?.prevValue).toBe(1);
      expect(seen[1]?.value).toBe(2);
      stop();
      await s.create('/k/d', 1);
      expect(await s.get('/k/d')).toBeDefined();
      expect(seen.map((e) => e.key)).not.toContain('/k/d');
      await s.close();
    });

    it('delivers concurrent writes to several watchers in revision order, and resumes from any revision', async () => {
      const s = await h.open();
      const r0 = await s.revision();
      const a: number[] = [];
      const stopA = await s.watch('/k/', r0, (e) => a.push(e.revision));
      const revs = await Promise.all(Array.from({ length: 40 }, (_, i) => s.create(`/k/${i}`, i)));
      expect(new Set(revs).size).toBe(40);
      await h.until('40 events', () => a.length >= 40);
      expect(a).toEqual(Array.from({ length: 40 }, (_, i) => r0 + i + 1));
      // A second watcher resuming from the middle sees exactly the rest, then live events.
      const b: number[] = [];
      const stopB = await s.watch('/k/', r0 + 25, (e) => b.push(e.revision));
      const last = await s.create('/k/last', 1);
      await h.until('the live event on both', () => a.at(-1) === last && b.at(-1) === last);
      expect(b).toEqual(Array.from({ length: 16 }, (_, i) => r0 + 26 + i));
      expect(a).toHaveLength(41);
      stopA();
      stopB();
      await s.close();
    });

    it('compacts history behind its limit and answers Gone for a revision older than it', async () => {
      const s = await h.open({ historyLimit: 10 });
      const r0 = await s.revision();
      for (let i = 0; i < 30; i++) await s.create(`/k/${i}`, i);
      // Both stores compact in steps of a tenth of the history: they settle 10 or 11 revisions behind.
      await h.until('compaction', async () => (await s.compactedRevision()) >= r0 + 19);
      let compacted = await s.compactedRevision();
      expect(compacted).toBeLessThanOrEqual(r0 + 20);
      await expect(s.watch('/k/', compacted - 1, () => {})).rejects.toBeInstanceOf(GoneError);
      await expect(s.watch('/k/', r0, () => {})).rejects.toBeInstanceOf(GoneError);
      const seen: number[] = [];
      // The compaction that reached r0 + 19 may start one more step (to r0 + 20) as it ends, so a
      // watch from the revision just read can meet a newer compaction: read it again and retry then.
      let stop: (() => void) | undefined;
      await h.until('a watch from the compaction revision', async () => {
        compacted = await s.compactedRevision();
        try {
          stop = await s.watch('/k/', compacted, (e) => seen.push(e.revision));
          return true;
        } catch (err) {
          if (err instanceof GoneError) return false;
          throw err;
        }
      });
      expect(compacted).toBeLessThanOrEqual(r0 + 20);
      await h.until('the retained history', () => seen.at(-1) === r0 + 30);
      expect(seen[0]).toBe(compacted + 1);
      expect(seen).toHaveLength(r0 + 30 - compacted);
      stop?.();
      await s.close();
    });
  });
}
