import { describe, expect, it } from 'vitest';
import { NodeRing, feasibleNodesToFind } from './node-sample.js';

describe('feasibleNodesToFind', () => {
  it('looks at every node of a small cluster and at a shrinking share of a large one', () => {
    expect(feasibleNodesToFind(0)).toBe(0);
    expect(feasibleNodesToFind(100)).toBe(100);
    expect(feasibleNodesToFind(1000)).toBe(420); // 50% - 8%
    expect(feasibleNodesToFind(5000)).toBe(500); // 10%
    expect(feasibleNodesToFind(10_000)).toBe(500); // floor of 5%
    expect(feasibleNodesToFind(1000, 100)).toBe(1000);
    expect(feasibleNodesToFind(1000, 1)).toBe(100); // never fewer than 100
  });
});

describe('NodeRing', () => {
  it('starts each walk after where the previous one stopped, and follows membership changes', () => {
    let names = ['c', 'a', 'b', 'd'];
    const ring = new NodeRing(() => names);
    const walk = (n: number): string[] => {
      const seen: string[] = [];
      ring.walk((name) => {
        seen.push(name);
        return seen.length < n;
      });
      return seen;
    };
    expect(ring.size).toBe(4);
    expect(walk(2)).toEqual(['a', 'b']);
    expect(walk(3)).toEqual(['c', 'd', 'a']);
    expect(walk(10)).toEqual(['b', 'c', 'd', 'a']); // at most one lap
    names = ['a', 'e'];
    ring.invalidate();
    expect(walk(10)).toHaveLength(2);
    expect(new NodeRing(() => []).size).toBe(0);
  });
});
