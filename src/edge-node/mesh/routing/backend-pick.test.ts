import { describe, expect, it } from 'vitest';
import type { CompiledBackend } from '../../../api/index.js';
import { pickBackend, seededRandom } from './backend-pick.js';

const b = (name: string, weight: number): CompiledBackend => ({ namespace: 'default', name, port: 80, weight });

/** Counts of each backend name over `n` picks with a seeded generator. */
function counts(backends: CompiledBackend[], n: number, seed: number): Map<string, number> {
  const random = seededRandom(seed);
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const picked = pickBackend(backends, random)!;
    out.set(picked.name, (out.get(picked.name) ?? 0) + 1);
  }
  return out;
}

describe('weighted backend pick', () => {
  it('splits 90/10 by weight per request (1000 seeded picks within 3 points)', () => {
    for (const seed of [1, 2, 3]) {
      const c = counts([b('v1', 90), b('v2', 10)], 1000, seed);
      const v2 = (c.get('v2') ?? 0) / 10;
      expect(v2).toBeGreaterThanOrEqual(7);
      expect(v2).toBeLessThanOrEqual(13);
      expect((c.get('v1') ?? 0) + (c.get('v2') ?? 0)).toBe(1000);
    }
  });

  it('splits three ways by weight, whatever the weights sum to', () => {
    const c = counts([b('a', 1), b('b', 2), b('c', 7)], 10_000, 42);
    expect(Math.abs((c.get('a') ?? 0) / 100 - 10)).toBeLessThan(2);
    expect(Math.abs((c.get('b') ?? 0) / 100 - 20)).toBeLessThan(2);
    expect(Math.abs((c.get('c') ?? 0) / 100 - 70)).toBeLessThan(2);
  });

  it('never picks a zero weight; none when every weight is zero', () => {
    const c = counts([b('off', 0), b('on', 5)], 500, 7);
    expect(c.get('off')).toBeUndefined();
    expect(c.get('on')).toBe(500);
    expect(pickBackend([b('x', 0)], Math.random)).toBeUndefined();
    expect(pickBackend([], Math.random)).toBeUndefined();
  });

  it('takes the edges of the random range', () => {
    const backends = [b('first', 1), b('last', 1)];
    expect(pickBackend(backends, () => 0)?.name).toBe('first');
    expect(pickBackend(backends, () => 0.9999999999)?.name).toBe('last');
  });
});
