/**
 * The registry a controller under test writes through, counting its pod creations and deletions in
 * flight: how many at once at most, and how many in all. Every call reaches the real registry, but for
 * pod creations a test has it refuse.
 */
import type { ObjectAPI } from '../../registry/index.js';

/** Peaks and totals of the pod writes seen. */
export interface PodWriteCensus {
  /** The registry to hand the controller. */
  readonly api: ObjectAPI;
  /** Most pod creations, and deletions, in flight at once. */
  readonly peak: { create: number; delete: number };
  readonly total: { create: number; delete: number };
  /** Forgets the peaks and totals so far. */
  reset(): void;
  /** From now, pod creations fail with `err` without reaching the registry (an exhausted quota); undefined: they pass again. */
  refuseCreates(err: Error | undefined): void;
}

/** Wraps `api`: its pod `create` and `delete` calls are counted, everything else passes through. */
export function podWriteCensus(api: ObjectAPI): PodWriteCensus {
  const peak = { create: 0, delete: 0 };
  const total = { create: 0, delete: 0 };
  const now = { create: 0, delete: 0 };
  let refusal: Error | undefined;
  const counted = new Proxy(api, {
    get(target, prop) {
      // The registry as the receiver: its getters read private fields, which a proxy does not have.
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      // Bound to the registry itself: its methods read private fields, which a proxy does not have.
      if (prop !== 'create' && prop !== 'delete') return (value as (...a: unknown[]) => unknown).bind(target);
      const op = prop;
      return async (...args: unknown[]): Promise<unknown> => {
        const isPod = (args[0] as { kind?: string } | undefined)?.kind === 'Pod';
        if (!isPod) return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        now[op]++;
        total[op]++;
        peak[op] = Math.max(peak[op], now[op]);
        try {
          if (op === 'create' && refusal) {
            // Refused a turn later, as the registry refuses: the burst's other calls are in flight meanwhile.
            const err = refusal;
            await new Promise((r) => setImmediate(r));
            throw err;
          }
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          now[op]--;
        }
      };
    },
  });
  return {
    api: counted,
    peak,
    total,
    reset() {
      peak.create = peak.delete = total.create = total.delete = 0;
    },
    refuseCreates(err) {
      refusal = err;
    },
  };
}
