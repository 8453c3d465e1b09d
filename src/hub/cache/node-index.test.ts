/**
 * A LIST pinned to a node (`spec.nodeName=<node>`) read through the cache's node index answers the
 * items the walk over every key answers, after any run of creates, rebindings and deletes, at any page
 * size and continue position; and its pages, followed from the start, add up to the unpaged answer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/index.js';
import type { StoreEvent } from '../store/index.js';
import { NodeKeyIndex } from './node-index.js';
import { ResourceCache } from './resource-cache.js';

const PREFIX = '/registry/pods/';

const podAt = (key: string, node: string | undefined, app: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: key.split('/').at(-1), namespace: key.split('/').at(-2), labels: { app } },
  spec: { containers: [], ...(node ? { nodeName: node } : {}) },
});

describe('the node index of a watch cache', () => {
  it('reads the same pages as the walk over every key', () => {
    const key = fc
      .constantFrom('a', 'b')
      .chain((ns) => fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5').map((n) => `${PREFIX}${ns}/${n}`));
    const node = fc.constantFrom(undefined, 'n1', 'n2');
    const op = fc.tuple(fc.boolean(), key, node, fc.constantFrom('web', 'db'));
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 60 }),
        fc.constantFrom('n1', 'n2'),
        fc.constantFrom(PREFIX, `${PREFIX}a/`, `${PREFIX}b/`),
        fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        fc.option(key, { nil: undefined }),
        (ops, want, prefix, limit, after) => {
          const cache = new ResourceCache(PREFIX, 100);
          cache.load([], 1);
          let rev = 1;
          const live = new Set<string>();
          for (const [del, k, n, app] of ops) {
            rev++;
            if (del && !live.has(k)) continue;
            const e: StoreEvent = del
              ? { type: 'delete', key: k, value: null, revision: rev, created: false }
              : { type: 'put', key: k, value: podAt(k, n, app), revision: rev, created: !live.has(k) };
            if (del) live.delete(k);
            else live.add(k);
            cache.apply(e);
          }
          const matches = (o: KubeObject): boolean =>
            (o as { spec?: { nodeName?: string } }).spec?.nodeName === want && o.metadata.labels?.app === 'web';
          const q = { prefix, matches, ...(limit ? { limit } : {}), ...(after ? { after } : {}) };
          const scan = cache.read(q);
          const indexed = cache.read({ ...q, node: want });
          expect(indexed.items).toEqual(scan.items);
          // Paging through the index from the start yields exactly the unpaged walk's items.
          const all = cache.read({ prefix, matches }).items;
          const paged: KubeObject[] = [];
          for (let from: string | undefined, n = 0; n < 20; n++) {
            const page = cache.read({
              prefix,
              matches,
              limit: limit ?? 2,
              node: want,
              ...(from ? { after: from } : {}),
            });
            paged.push(...page.items);
            if (!page.more) break;
            from = page.lastKey;
          }
          expect(paged).toEqual(all);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('holds exactly the keys of the objects bound to each node: a rebinding moves a key, a delete drops it', () => {
    const key = fc.constantFrom('k1', 'k2', 'k3', 'k4');
    const node = fc.constantFrom(undefined, 'n1', 'n2', 'n3');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), key, node), { maxLength: 80 }), (ops) => {
        const index = new NodeKeyIndex();
        const live = new Map<string, KubeObject>();
        for (const [del, k, n] of ops) {
          const prev = live.get(k);
          const next = del ? undefined : podAt(`${PREFIX}a/${k}`, n, 'web');
          index.update(k, prev, next);
          if (next) live.set(k, next);
          else live.delete(k);
        }
        for (const n of ['n1', 'n2', 'n3']) {
          const want = [...live].filter(([, o]) => (o as { spec: { nodeName?: string } }).spec.nodeName === n);
          expect(index.keys(n)).toEqual(want.map(([k]) => k).sort());
        }
      }),
      { numRuns: 300 },
    );
  });
});
