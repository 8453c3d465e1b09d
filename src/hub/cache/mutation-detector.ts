/**
 * Kubernetes' cache mutation detector (`KUBE_CACHE_MUTATION_DETECTOR`), as a freeze: with
 * `EDGEPLANE_CACHE_MUTATION_DETECTOR=1` (the unit tests set it) every object the watch cache holds is
 * frozen all the way down, so code that changes a shared cached object instead of copying it throws
 * where it does (ES modules are strict). The cache's objects are shared: every watcher of an event gets
 * the same one, and the registry's read-modify-write builds on them (replace.ts). Off by default:
 * freezing walks each object, a cost production need not pay for a rule the tests check.
 */

/** True when cached objects are frozen (read once: the tests set it before the hub starts). */
export const DETECT_CACHE_MUTATION = process.env.EDGEPLANE_CACHE_MUTATION_DETECTOR === '1';

/** Freezes `value` and everything it holds (no-op unless the detector is on). */
export function freezeCached<T>(value: T): T {
  if (DETECT_CACHE_MUTATION) deepFreeze(value);
  return value;
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}
