/**
 * A read of the watch cache taken in turns (`maxScan`, for an unpaged LIST): each turn looks at no
 * more keys than asked, and a later turn at the first turn's revision sees that state — an object
 * changed, deleted or created since is rolled back from the history.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/index.js';
import { ResourceCache } from './resource-cache.js';

const PREFIX = '/registry/configmaps/';
const key = (i: number): string => `${PREFIX}ns/k${i}`;
type Cm = KubeObject & { data: { v: string } };
const cm = (i: number, v: string): Cm => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: `k${i}`, namespace: 'ns' },
  data: { v },
});
const value = (o: KubeObject): string => `${o.metadata.name}=${(o as Cm).data.v}`;

describe('a watch cache read in turns', () => {
  it('looks at maxScan keys a turn, and a later turn reads the first turn’s state', () => {
    const cache = new ResourceCache(PREFIX, 100);
    cache.load([], 1);
    let rev = 1;
    for (let i = 0; i < 8; i++)
      cache.apply({ type: 'put', key: key(i), value: cm(i, 'a'), revision: ++rev, created: true });
    const at = rev;
    const all = (): boolean => true;
    const first = cache.read({ prefix: PREFIX, at, matches: all, maxScan: 3 });
    expect(first.items.map(value)).toEqual(['k0=a', 'k1=a', 'k2=a']);
    expect([first.more, first.lastKey]).toEqual([true, key(2)]);

    // Between the turns: k4 changes, k5 goes, k55 comes.
    cache.apply({ type: 'put', key: key(4), value: cm(4, 'b'), revision: ++rev, created: false });
    cache.apply({ type: 'delete', key: key(5), value: null, revision: ++rev, created: false });
    cache.apply({ type: 'put', key: key(55), value: cm(55, 'a'), revision: rev + 1, created: true });

    const rest: string[] = [];
    let after = first.lastKey;
    for (let turns = 0; turns < 10; turns++) {
      const page = cache.read({ prefix: PREFIX, at, matches: all, maxScan: 3, ...(after ? { after } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(3);
      rest.push(...page.items.map(value));
      if (!page.more) break;
      after = page.lastKey;
    }
    expect(rest).toEqual(['k3=a', 'k4=a', 'k5=a', 'k6=a', 'k7=a']);
    // The current state has moved on.
    expect(cache.read({ prefix: PREFIX, matches: all }).items.map(value)).toContain('k55=a');
  });
});
