/**
 * Paces the status writes of one controller per key: at most one write per `intervalMs` for each
 * object. A reconcile whose status changed asks `wait(key)`: 0 means write now (and the time is
 * recorded); otherwise it skips the write and re-queues the key after that many ms, so the latest
 * status is always written in the end, just not on every pod event (a 10,000-pod ReplicaSet
 * otherwise rewrote its status once per pod change).
 */
import type { Clock } from '../../api/index.js';

/** Per-key minimum spacing of writes. */
export class WritePacer {
  readonly #last = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {}

  /** 0 when `key` may be written now (recorded as written), else the ms until it may. */
  wait(key: string): number {
    const now = this.clock.now();
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.intervalMs) return this.intervalMs - (now - last);
    this.#last.set(key, now);
    // Bounded: keys of objects long written are dropped (the next write simply goes through at once).
    if (this.#last.size > 10_000) {
      for (const [k, t] of this.#last) if (now - t >= this.intervalMs) this.#last.delete(k);
    }
    return 0;
  }

  /** Forgets `key` (its object is gone). */
  forget(key: string): void {
    this.#last.delete(key);
  }
}
