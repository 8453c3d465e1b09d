/**
 * A hub splits a pod set too big for one frame into parts (`more: true` on all but the last): they
 * are gathered here and handed on as one podSync, since a part alone is not the whole set (a pod
 * missing from a sync is stopped). Parts count per connection: a new connection starts afresh.
 */
import { MAX_SYNC_PODS } from '../../api/index.js';
import type { HubToNode, Pod } from '../../api/index.js';

/** The hub's `podSync` message. */
export type PodSync = Extract<HubToNode, { type: 'podSync' }>;

/** What a part completed: the whole set, nothing yet, or a set past `MAX_SYNC_PODS` (not applied). */
export type GatheredSync =
  { kind: 'whole'; sync: PodSync } | { kind: 'pending' } | { kind: 'overflow'; message: string };

/** The parts of a split podSync gathered so far, on one connection `C`. */
export class PodSyncParts<C> {
  #pending: { conn: C; pods: Pod[]; hashes: string[] | undefined; overflow: boolean } | undefined;

  /** Adds a part that came on `conn`. */
  add(conn: C, part: PodSync): GatheredSync {
    const pending = this.#pending?.conn === conn ? this.#pending : undefined;
    if (!part.more && !pending) return { kind: 'whole', sync: part };
    const gathered = pending ?? { conn, pods: [], hashes: part.hashes ? [] : undefined, overflow: false };
    gathered.overflow ||= gathered.pods.length + part.pods.length > MAX_SYNC_PODS;
    if (!gathered.overflow) for (const p of part.pods) gathered.pods.push(p);
    // Hashes count only when every part carries them for each of its pods (protocol 9).
    if (part.hashes?.length === part.pods.length) gathered.hashes?.push(...part.hashes);
    else gathered.hashes = undefined;
    if (part.more) {
      this.#pending = gathered;
      return { kind: 'pending' };
    }
    this.#pending = undefined;
    if (gathered.overflow)
      return {
        kind: 'overflow',
        message: `podSync parts hold more than ${MAX_SYNC_PODS} pods; the set was not applied`,
      };
    const hashes = gathered.hashes ? { hashes: gathered.hashes } : {};
    return { kind: 'whole', sync: { type: 'podSync', pods: gathered.pods, ...hashes } };
  }
}
