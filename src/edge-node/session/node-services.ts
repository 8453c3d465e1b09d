/**
 * The node's side of the hub's Service stream (protocol 2): the Services this node holds, each at the
 * stream revision of its last change, and the highest revision applied (what a reconnect resumes
 * from). A whole `serviceSet` replaces the set; a `serviceDelta` changes one Service. A patch for a
 * revision this node does not hold, or a kept Service it does not have, means something was missed:
 * the caller asks the hub for a `resync` and, until the whole set arrives, offers no resume point.
 */
import type { HubToNode, RouteEndpoint, ServiceRoute } from '../../api/index.js';

type ServiceSet = Extract<HubToNode, { type: 'serviceSet' }>;
type ServiceDelta = Extract<HubToNode, { type: 'serviceDelta' }>;

/** What applying a frame did: the new whole list, nothing to do, or a request for a resync. */
export type ServicesApplied =
  { kind: 'changed'; services: ServiceRoute[] } | { kind: 'unchanged' } | { kind: 'resync'; reason: string };

const keyOf = (ns: string, name: string): string => `${ns}/${name}`;

/** The Services this node holds and where in the hub's stream they stand. */
export class NodeServices {
  readonly #routes = new Map<string, { rev: number; route: ServiceRoute }>();
  #epoch: string | undefined;
  #revision = 0;
  #resyncPending = false;

  /** Where a reconnect may resume from (none before the first set, or while a resync is pending). */
  resumePoint(): { epoch: string; revision: number } | undefined {
    if (this.#epoch === undefined || this.#resyncPending) return undefined;
    return { epoch: this.#epoch, revision: this.#revision };
  }

  /** Every Service held, in no particular order. */
  list(): ServiceRoute[] {
    return [...this.#routes.values()].map((e) => e.route);
  }

  /** Applies a whole set (possibly keeping Services held from before a reconnect). */
  applySet(set: ServiceSet): ServicesApplied {
    const next = new Map<string, { rev: number; route: ServiceRoute }>();
    let missing: string | undefined;
    for (const k of set.keep) {
      const key = keyOf(k.namespace, k.name);
      const held = this.#routes.get(key);
      if (held && held.rev === k.rev) next.set(key, held);
      else missing ??= key;
    }
    for (const e of set.services) next.set(keyOf(e.route.namespace, e.route.name), e);
    this.#routes.clear();
    for (const [k, v] of next) this.#routes.set(k, v);
    this.#epoch = set.epoch;
    this.#revision = set.revision;
    this.#resyncPending = missing !== undefined;
    if (missing !== undefined)
      return { kind: 'resync', reason: `the hub said to keep Service ${missing}, which this node does not hold` };
    return { kind: 'changed', services: this.list() };
  }

  /** Applies one Service's change. */
  applyDelta(d: ServiceDelta): ServicesApplied {
    const key = keyOf(d.namespace, d.name);
    if (d.rev > this.#revision) this.#revision = d.rev;
    if (d.removed) {
      if (!this.#routes.delete(key)) return { kind: 'unchanged' };
      return { kind: 'changed', services: this.list() };
    }
    if (d.route) {
      this.#routes.set(key, { rev: d.rev, route: d.route });
      return { kind: 'changed', services: this.list() };
    }
    if (this.#resyncPending) return { kind: 'unchanged' }; // the whole set is on its way
    const held = this.#routes.get(key);
    if (!held || held.rev !== d.prev) {
      this.#resyncPending = true;
      const have = held ? `revision ${held.rev}` : 'nothing';
      return {
        kind: 'resync',
        reason: `a patch of Service ${key} for revision ${d.prev ?? '?'} arrived; this node holds ${have}`,
      };
    }
    const byUid = new Map<string, RouteEndpoint>(held.route.endpoints.map((e) => [e.pod.uid, e]));
    for (const uid of d.endpoints?.remove ?? []) byUid.delete(uid);
    for (const e of d.endpoints?.upsert ?? []) byUid.set(e.pod.uid, e);
    this.#routes.set(key, { rev: d.rev, route: { ...held.route, endpoints: [...byUid.values()] } });
    return { kind: 'changed', services: this.list() };
  }
}
