/**
 * Weighted choice of a rule's backend, per request: a backend's share of requests is its weight over
 * the sum of weights, whatever its replica count. A zero weight gets nothing; all zero (or none)
 * gets undefined (the router answers 500, as Gateway API says).
 */
import type { CompiledBackend } from '../../../api/index.js';

/** A source of uniform numbers in [0, 1) (tests inject a seeded one). */
export type Random = () => number;

/** Picks one backend by weight. */
export function pickBackend(backends: readonly CompiledBackend[], random: Random): CompiledBackend | undefined {
  let total = 0;
  for (const b of backends) total += b.weight;
  if (total <= 0) return undefined;
  let x = random() * total;
  for (const b of backends) {
    if (b.weight <= 0) continue;
    if (x < b.weight) return b;
    x -= b.weight;
  }
  // Rounding at the top end: the last backend with weight.
  for (let i = backends.length - 1; i >= 0; i--) if (backends[i]!.weight > 0) return backends[i];
  return undefined;
}

/** A small seeded generator (mulberry32), for reproducible picks in tests and benchmarks. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
