/** Small helpers shared by the workload controllers. */
import type { Pod } from '../../api/index.js';
import { ConflictError, isPodReady, isPodTerminal } from '../../api/index.js';

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

/**
 * Runs `write` until it does not lose a race (ConflictError), at most `attempts` times; `again` is true
 * on a retry, when the writer must re-read what it writes over.
 */
export async function retryOnConflict<T>(write: (again: boolean) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write(attempt > 1);
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= attempts) throw err;
    }
  }
}
