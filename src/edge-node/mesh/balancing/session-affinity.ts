/**
 * `sessionAffinity: ClientIP` as kube-proxy keeps it: each node remembers which endpoint a client
 * (per Service port) was sent to and keeps sending it there while that endpoint is a candidate
 * (ready, and not ejected); an entry unused for `timeoutMs` (Kubernetes' default
 * `sessionAffinityConfig.clientIP.timeoutSeconds`, 3 h) is forgotten. A new client, or one whose
 * endpoint left, is placed by the normal balancing and remembered there.
 */
import type { Clock } from '../../../api/index.js';
import type { ServiceEndpoint } from './endpoint-picker.js';

/** Kubernetes' default ClientIP affinity timeout. */
export const DEFAULT_AFFINITY_TIMEOUT_MS = 10_800_000;
/** Bound on remembered clients per node; the least recently seen go first. */
export const DEFAULT_AFFINITY_MAX_ENTRIES = 65_536;

interface Entry {
  uid: string;
  lastUsed: number;
}

/** Client → endpoint bindings, least recently used first (Map insertion order). */
export class AffinityTable {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs = DEFAULT_AFFINITY_TIMEOUT_MS,
    private readonly maxEntries = DEFAULT_AFFINITY_MAX_ENTRIES,
  ) {}

  /**
   * The endpoint bound to `client` of `serviceKey` when it is among `candidates`; otherwise binds the
   * client to `choose()`'s endpoint.
   */
  pick(
    serviceKey: string,
    client: string,
    candidates: readonly ServiceEndpoint[],
    choose: () => ServiceEndpoint | undefined,
  ): ServiceEndpoint | undefined {
    const key = `${serviceKey}\u0000${client}`;
    const now = this.clock.now();
    const entry = this.entries.get(key);
    if (entry && now - entry.lastUsed < this.timeoutMs) {
      const bound = candidates.find((e) => e.pod.uid === entry.uid);
      if (bound) {
        this.touch(key, entry.uid, now);
        return bound;
      }
    }
    const chosen = choose();
    if (chosen) this.touch(key, chosen.pod.uid, now);
    return chosen;
  }

  /** Forgets bindings to endpoints whose pod uid is not in `live`, and expired ones. */
  retain(live: ReadonlySet<string>): void {
    const now = this.clock.now();
    for (const [key, e] of this.entries)
      if (!live.has(e.uid) || now - e.lastUsed >= this.timeoutMs) this.entries.delete(key);
  }

  /** Number of remembered clients (tests). */
  get size(): number {
    return this.entries.size;
  }

  private touch(key: string, uid: string, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { uid, lastUsed: now });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
