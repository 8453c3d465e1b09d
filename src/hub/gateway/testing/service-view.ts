/**
 * A node's view of the hub's Service stream, kept by the agent's rules (`edge-node`'s NodeServices):
 * a `serviceSet` replaces the set (a `keep` it does not hold at that revision is a miss), a delta
 * with `route` replaces one Service, `removed` drops it, and an endpoints patch applies only to the
 * revision it names. Every miss is recorded (an agent would ask for a `resync`), so a test can check
 * the hub never sends a node something it cannot apply.
 */
import type { HubToNode, RouteEndpoint, ServiceRoute } from '../../../api/index.js';

type ServiceFrame = Extract<HubToNode, { type: 'serviceSet' | 'serviceDelta' }>;

export class ServiceView {
  readonly routes = new Map<string, { rev: number; route: ServiceRoute }>();
  epoch: string | undefined;
  /** The highest revision applied (what a reconnect resumes from). */
  revision = 0;
  /** Why a frame could not be applied (an agent asks for a resync on each). */
  readonly misses: string[] = [];

  /** Applies a Service frame; other frames are ignored. */
  apply(msg: HubToNode): void {
    if (msg.type === 'serviceSet' || msg.type === 'serviceDelta') this.#apply(msg);
  }

  /** The route held of `namespace/name`. */
  route(namespace: string, name: string): ServiceRoute | undefined {
    return this.routes.get(`${namespace}/${name}`)?.route;
  }

  /** Where a reconnect resumes from. */
  resumePoint(): { epoch: string; revision: number } | undefined {
    return this.epoch === undefined ? undefined : { epoch: this.epoch, revision: this.revision };
  }

  #apply(msg: ServiceFrame): void {
    if (msg.type === 'serviceSet') {
      const next = new Map<string, { rev: number; route: ServiceRoute }>();
      for (const k of msg.keep) {
        const key = `${k.namespace}/${k.name}`;
        const held = this.routes.get(key);
        if (held?.rev === k.rev) next.set(key, held);
        else this.misses.push(`keep ${key}@${k.rev}, held ${held?.rev ?? 'nothing'}`);
      }
      for (const e of msg.services) next.set(`${e.route.namespace}/${e.route.name}`, e);
      this.routes.clear();
      for (const [k, v] of next) this.routes.set(k, v);
      this.epoch = msg.epoch;
      this.revision = msg.revision;
      return;
    }
    const key = `${msg.namespace}/${msg.name}`;
    this.revision = Math.max(this.revision, msg.rev);
    if (msg.removed) {
      this.routes.delete(key);
      return;
    }
    if (msg.route) {
      this.routes.set(key, { rev: msg.rev, route: msg.route });
      return;
    }
    const held = this.routes.get(key);
    if (!held || held.rev !== msg.prev) {
      this.misses.push(`patch ${key} ${msg.prev}→${msg.rev}, held ${held?.rev ?? 'nothing'}`);
      return;
    }
    const byUid = new Map<string, RouteEndpoint>(held.route.endpoints.map((e) => [e.pod.uid, e]));
    for (const uid of msg.endpoints?.remove ?? []) byUid.delete(uid);
    for (const e of msg.endpoints?.upsert ?? []) byUid.set(e.pod.uid, e);
    this.routes.set(key, { rev: msg.rev, route: { ...held.route, endpoints: [...byUid.values()] } });
  }
}

/** The view a node holds after these frames, in order. */
export function viewOf(frames: Iterable<{ msg: HubToNode }>): ServiceView {
  const view = new ServiceView();
  for (const f of frames) view.apply(f.msg);
  return view;
}
