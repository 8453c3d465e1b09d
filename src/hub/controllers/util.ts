/** Small helpers shared by the workload controllers. */
import { randomInt } from 'node:crypto';
import type { Pod } from '../../api/index.js';
import { isPodReady, isPodTerminal } from '../../api/index.js';

// Kubernetes' alphabet for generated suffixes: no vowels (no accidental words), no confusables.
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A random suffix like `x7kq2`, as Kubernetes uses for generated names. */
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

/** A pod that counts toward its workload: not finished and not being deleted. */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && pod.metadata.deletionTimestamp === undefined;
}

/** Ready for at least `minReadySeconds` (Kubernetes' "available"). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const since = ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= nowMs;
}
