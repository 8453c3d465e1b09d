/**
 * The compiled HTTPRoutes a hub streams to its nodes (every hub, leader or not: each serves its own
 * nodes). It follows Gateways, HTTPRoutes and Services, recompiles (coalesced) with the same pure
 * `compileRoutes` the leader's route controller writes status from, and tells the Service stream
 * which keys changed — a Gateway port's route, a Service whose rules changed, a Service that every
 * node now needs (or no longer needs) as a backend of a Gateway. Unchanged keys are not touched, so
 * nodes are sent only what changed, through the stream's per-node state.
 */
import type { Gateway, GatewayClass, HTTPRoute, ReferenceGrant, Service, ServiceRoute } from '../../api/index.js';
import { compileFromInformers, type CompiledRoutes } from '../controllers/index.js';
import type { Informer } from '../informers/index.js';
import { jsonEqual } from '../reconcile/index.js';

/** What the Service stream asks of compiled routing. */
export interface StreamRouting {
  /** A route that is no Service: a Gateway listener port (`gateway:<name>:<port>`). */
  extra(namespace: string, name: string): ServiceRoute | undefined;
  /** A Service's route with the rules of the HTTPRoutes attached to it (GAMMA). */
  decorate(route: ServiceRoute): ServiceRoute;
  /** Whether every node needs Service `namespace/name` (a backend of a Gateway's rules). */
  everywhere(key: string): boolean;
}

/** Dependencies of the route table. */
export interface RouteTableDeps {
  gateways: Informer<Gateway>;
  httpRoutes: Informer<HTTPRoute>;
  /** GatewayClasses and ReferenceGrants (absent: the built-in class only, no grants). */
  gatewayClasses?: Informer<GatewayClass>;
  referenceGrants?: Informer<ReferenceGrant>;
  services: Informer<Service>;
  /** Keys (`namespace/name`) whose route changed: the stream recomputes them. */
  changed(keys: readonly string[]): void;
  /** How long changes are gathered before recompiling (default 20 ms). */
  coalesceMs?: number;
}

const EMPTY: CompiledRoutes = {
  gatewayRoutes: new Map(),
  gamma: new Map(),
  everywhere: new Set(),
  routeParents: new Map(),
  gateways: new Map(),
};

/** The current compiled routing, kept from the informers. */
export class RouteTable implements StreamRouting {
  #compiled: CompiledRoutes = EMPTY;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RouteTableDeps) {
    const changed = (): void => this.#schedule();
    for (const inf of [deps.gateways, deps.httpRoutes] as const)
      (inf as Informer<Gateway | HTTPRoute>).addHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
    deps.gatewayClasses?.addHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
    deps.referenceGrants?.addHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
    // A Service appearing or going resolves (or breaks) backendRefs and Service parents.
    deps.services.addHandler({
      onAdd: changed,
      onUpdate: (o, n) => {
        if (!jsonEqual(o.spec.ports, n.spec.ports)) changed();
      },
      onDelete: changed,
    });
  }

  extra(namespace: string, name: string): ServiceRoute | undefined {
    return this.#compiled.gatewayRoutes.get(`${namespace}/${name}`);
  }

  decorate(route: ServiceRoute): ServiceRoute {
    const http = this.#compiled.gamma.get(`${route.namespace}/${route.name}`);
    return http ? { ...route, http } : route;
  }

  everywhere(key: string): boolean {
    return this.#compiled.everywhere.has(key);
  }

  /** Recompiles now and reports the keys that changed. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.deps.gateways.list().length === 0 && this.deps.httpRoutes.list().length === 0 && this.#compiled === EMPTY)
      return;
    const next = compileFromInformers(this.deps);
    const keys = new Set<string>();
    diffMaps(this.#compiled.gatewayRoutes, next.gatewayRoutes, keys);
    diffMaps(this.#compiled.gamma, next.gamma, keys);
    for (const k of next.everywhere) if (!this.#compiled.everywhere.has(k)) keys.add(k);
    for (const k of this.#compiled.everywhere) if (!next.everywhere.has(k)) keys.add(k);
    this.#compiled = next;
    if (keys.size > 0) this.deps.changed([...keys]);
  }

  /** Stops the coalescing timer. */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.flush(), this.deps.coalesceMs ?? 20);
  }
}

function diffMaps<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>, keys: Set<string>): void {
  for (const [k, v] of b) if (!jsonEqual(a.get(k), v)) keys.add(k);
  for (const k of a.keys()) if (!b.has(k)) keys.add(k);
}
