/**
 * Where a node stands in the hub's Service stream (protocol 2), by revisions alone: the revision of
 * each Service held, the highest revision applied, and whether a resync is pending. The rules: a
 * whole set replaces what is held and must find every `keep` at its revision; a route delta replaces
 * one Service; a patch applies only to the revision it names. A miss means something was lost: the
 * caller asks for a `resync`, and until the whole set arrives no resume point is offered and patches
 * are ignored. `NodeServices` keeps the routes beside these revisions; the hollow nodes of
 * `bench/hollow` keep nothing else (thousands of nodes holding every endpoint would measure the
 * harness, not the hub).
 */
import type { ServiceKey } from '../../api/index.js';

/** What a whole set says (the fields of `serviceSet` read here). */
export interface RevisionSet {
  epoch: string;
  revision: number;
  keep: ReadonlyArray<ServiceKey & { rev: number }>;
  services: ReadonlyArray<{ rev: number; route: ServiceKey }>;
}

/** What one delta says (the fields of `serviceDelta` read here). */
export interface RevisionDelta extends ServiceKey {
  rev: number;
  prev?: number | undefined;
  /** Present on a whole route. */
  route?: unknown;
  removed?: boolean | undefined;
}

/** What a delta means for the Service it names. */
export type DeltaVerdict =
  | { kind: 'removed' }
  | { kind: 'route' }
  | { kind: 'patch' }
  /** A resync is pending: the whole set is on its way. */
  | { kind: 'ignored' }
  | { kind: 'resync'; reason: string };

/** The key of a Service in a node's set. */
export const serviceKeyOf = (ns: string, name: string): string => `${ns}/${name}`;

/** The revisions of the Services a node holds and where in the hub's stream they stand. */
export class ServiceRevisions {
  readonly #revs = new Map<string, number>();
  #epoch: string | undefined;
  #revision = 0;
  #resyncPending = false;

  /** Where a reconnect may resume from (none before the first set, or while a resync is pending). */
  resumePoint(): { epoch: string; revision: number } | undefined {
    if (this.#epoch === undefined || this.#resyncPending) return undefined;
    return { epoch: this.#epoch, revision: this.#revision };
  }

  /** The revision held of a Service. */
  held(key: string): number | undefined {
    return this.#revs.get(key);
  }

  /**
   * Applies a whole set: what it keeps (when held at that revision) and what it sends. Returns why a
   * resync is needed — a kept Service not held at its revision — or undefined.
   */
  applySet(set: RevisionSet): string | undefined {
    const next = new Map<string, number>();
    let missing: string | undefined;
    for (const k of set.keep) {
      const key = serviceKeyOf(k.namespace, k.name);
      if (this.#revs.get(key) === k.rev) next.set(key, k.rev);
      else missing ??= key;
    }
    for (const e of set.services) next.set(serviceKeyOf(e.route.namespace, e.route.name), e.rev);
    this.#revs.clear();
    for (const [k, v] of next) this.#revs.set(k, v);
    this.#epoch = set.epoch;
    this.#revision = set.revision;
    this.#resyncPending = missing !== undefined;
    return missing === undefined ? undefined : `the hub said to keep Service ${missing}, which this node does not hold`;
  }

  /** Applies one Service's change (a patch is recorded as applied: the caller applies its endpoints). */
  applyDelta(d: RevisionDelta): DeltaVerdict {
    const key = serviceKeyOf(d.namespace, d.name);
    if (d.rev > this.#revision) this.#revision = d.rev;
    if (d.removed) {
      this.#revs.delete(key);
      return { kind: 'removed' };
    }
    if (d.route !== undefined) {
      this.#revs.set(key, d.rev);
      return { kind: 'route' };
    }
    if (this.#resyncPending) return { kind: 'ignored' };
    const held = this.#revs.get(key);
    if (held === undefined || held !== d.prev) {
      this.#resyncPending = true;
      const have = held !== undefined ? `revision ${held}` : 'nothing';
      return {
        kind: 'resync',
        reason: `a patch of Service ${key} for revision ${d.prev ?? '?'} arrived; this node holds ${have}`,
      };
    }
    this.#revs.set(key, d.rev);
    return { kind: 'patch' };
  }
}
