/**
 * The node's side of the hub's Service stream (protocol 2): the Services this node holds, each at the
 * stream revision of its last change (kept by `ServiceRevisions`, whose rules decide what a frame
 * means), and their routes. A whole `serviceSet` replaces the set; a `serviceDelta` changes one
 * Service. A patch for a revision this node does not hold, or a kept Service it does not have, means
 * something was missed: the caller asks the hub for a `resync` and, until the whole set arrives,
 * offers no resume point.
 */
import type { HubToNode, RouteEndpoint, ServiceRoute } from '../../api/index.js';
import { ServiceRevisions, serviceKeyOf } from './service-revisions.js';

type ServiceSet = Extract<HubToNode, { type: 'serviceSet' }>;
type ServiceDelta = Extract<HubToNode, { type: 'serviceDelta' }>;

/** What applying a frame did: the new whole list, nothing to do, or a request for a resync. */
export type ServicesApplied =
  { kind: 'changed'; services: ServiceRoute[] } | { kind: 'unchanged' } | { kind: 'resync'; reason: string };

/** The Services this node holds and where in the hub's stream they stand. */
export class NodeServices {
  readonly #revisions = new ServiceRevisions();
  readonly #routes = new Map<string, ServiceRoute>();

  /** Where a reconnect may resume from (none before the first set, or while a resync is pending). */
  resumePoint(): { epoch: string; revision: number } | undefined {
    return this.#revisions.resumePoint();
  }

  /** Every Service held, in no particular order. */
  list(): ServiceRoute[] {
    return [...this.#routes.values()];
  }

  /** Applies a whole set (possibly keeping Services held from before a reconnect). */
  applySet(set: ServiceSet): ServicesApplied {
    const missing = this.#revisions.applySet(set);
    const next = new Map<string, ServiceRoute>();
    for (const k of set.keep) {
      const key = serviceKeyOf(k.namespace, k.name);
      const held = this.#routes.get(key);
      if (held && this.#revisions.held(key) === k.rev) next.set(key, held);
    }
    for (const e of set.services) next.set(serviceKeyOf(e.route.namespace, e.route.name), e.route);
    this.#routes.clear();
    for (const [k, v] of next) this.#routes.set(k, v);
    if (missing !== undefined) return { kind: 'resync', reason: missing };
    return { kind: 'changed', services: this.list() };
  }

  /** Applies one Service's change. */
  applyDelta(d: ServiceDelta): ServicesApplied {
    const key = serviceKeyOf(d.namespace, d.name);
    const verdict = this.#revisions.applyDelta(d);
    switch (verdict.kind) {
      case 'removed':
        if (!this.#routes.delete(key)) return { kind: 'unchanged' };
        return { kind: 'changed', services: this.list() };
      case 'route':
        this.#routes.set(key, d.route!);
        return { kind: 'changed', services: this.list() };
      case 'ignored':
        return { kind: 'unchanged' };
      case 'resync':
        return verdict;
      case 'patch': {
        const held = this.#routes.get(key)!;
        const byUid = new Map<string, RouteEndpoint>(held.endpoints.map((e) => [e.pod.uid, e]));
        for (const uid of d.endpoints?.remove ?? []) byUid.delete(uid);
        for (const e of d.endpoints?.upsert ?? []) byUid.set(e.pod.uid, e);
        this.#routes.set(key, { ...held, endpoints: [...byUid.values()] });
        return { kind: 'changed', services: this.list() };
      }
    }
  }
}
