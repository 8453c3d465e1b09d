/**
 * The route controller (leader-only, like every controller): writes Kubernetes' status of the
 * Gateway API objects from the same compile the hubs stream to their nodes (`routes-compile.ts`).
 *
 * - HTTPRoute: one `status.parents[]` entry per parentRef this controller serves, with `Accepted`
 *   (Accepted, NoMatchingParent, NotAllowedByListeners, NoMatchingListenerHostname) and
 *   `ResolvedRefs` (ResolvedRefs, BackendNotFound, RefNotPermitted). Entries of other controllers
 *   are kept as they are.
 * - Gateway of one of our classes (`routes-classes.ts`): `Accepted` and `Programmed` (it is served
 *   on every node's `--address`), the nodes' addresses, and per listener its attached routes and
 *   `Accepted`/`Programmed`/`ResolvedRefs`/`Conflicted` (HostnameConflict, PortUnavailable).
 * - GatewayClass naming our controller: `Accepted` (or False, InvalidParameters, with a parametersRef).
 *
 * Level-triggered: every key is a whole object, its status recomputed from the caches and written
 * only when it differs (`observedGeneration` on every condition, transition times kept).
 */
import type {
  Clock,
  Condition,
  Gateway,
  GatewayClass,
  HTTPRoute,
  ReferenceGrant,
  Logger,
  Node,
  RouteParentStatus,
  Service,
} from '../../api/index.js';
import { GATEWAY_CONTROLLER_NAME, nodeAddress, nodeReadyStatus, rfc3339, typeByKind } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { Controller, jsonEqual, setCondition, writeStatus } from '../reconcile/index.js';
import { classAccepted, classFinalizers } from './routes-classes.js';
import { compileFromInformers } from './routes-compile.js';
import { cond, type CompiledCondition, type CompiledRoutes } from './routes-model.js';

const GATEWAY = typeByKind('gateway.networking.k8s.io/v1', 'Gateway')!;
const HTTPROUTE = typeByKind('gateway.networking.k8s.io/v1', 'HTTPRoute')!;
const GATEWAYCLASS = typeByKind('gateway.networking.k8s.io/v1', 'GatewayClass')!;
/** Addresses a Gateway's status lists at most (every node serves it; the first few say where). */
const MAX_ADDRESSES = 16;

export interface RouteControllerDeps {
  api: ObjectAPI;
  gateways: Informer<Gateway>;
  httpRoutes: Informer<HTTPRoute>;
  /** GatewayClasses (none: only the built-in `edgeplane` class is served). */
  gatewayClasses?: Informer<GatewayClass>;
  /** ReferenceGrants (none: no cross-namespace backend resolves). */
  referenceGrants?: Informer<ReferenceGrant>;
  services: Informer<Service>;
  nodes: Informer<Node>;
  clock: Clock;
  logger: Logger;
}

type Kind = 'Gateway' | 'HTTPRoute' | 'GatewayClass';
const keyOf = (kind: Kind, o: { metadata: { namespace?: string; name?: string } }): string =>
  `${kind}|${o.metadata.namespace ?? 'default'}/${o.metadata.name ?? ''}`;

/** Writes the status of Gateways and HTTPRoutes. */
export class RouteController extends Controller {
  /** The compile of the current caches; dropped on any change they see. */
  #compiled: CompiledRoutes | undefined;

  constructor(private readonly deps: RouteControllerDeps) {
    super({ name: 'routes', logger: deps.logger, clock: deps.clock });
    const all = (): void => {
      this.#compiled = undefined;
      for (const k of this.initialKeys()) this.queue.add(k);
    };
    // Any route or Gateway may change another's status (attachment counts, parents): look at all again.
    deps.gateways.addHandler({
      onAdd: all,
      onUpdate: (o, n) => (jsonEqual(o.spec, n.spec) ? this.#self('Gateway', n) : all()),
      onDelete: all,
    });
    deps.httpRoutes.addHandler({
      onAdd: all,
      onUpdate: (o, n) => (jsonEqual(o.spec, n.spec) ? this.#self('HTTPRoute', n) : all()),
      onDelete: all,
    });
    deps.gatewayClasses?.addHandler({
      onAdd: all,
      onUpdate: (o, n) => (jsonEqual(o.spec, n.spec) ? this.#self('GatewayClass', n) : all()),
      onDelete: all,
    });
    deps.referenceGrants?.addHandler({ onAdd: all, onUpdate: all, onDelete: all });
    deps.services.addHandler({
      onAdd: all,
      onUpdate: (o, n) => (jsonEqual(o.spec.ports, n.spec.ports) ? undefined : all()),
      onDelete: all,
    });
    // The Gateways' addresses are the Ready nodes'.
    const gateways = (): void => {
      for (const g of deps.gateways.list()) this.queue.add(keyOf('Gateway', g));
    };
    deps.nodes.addHandler({
      onAdd: gateways,
      onUpdate: (o, n) => {
        if (nodeAddress(o) !== nodeAddress(n) || nodeReadyStatus(o) !== nodeReadyStatus(n)) gateways();
      },
      onDelete: gateways,
    });
  }

  protected initialKeys(): string[] {
    return [
      ...(this.deps.gatewayClasses?.list() ?? []).map((c) => keyOf('GatewayClass', c)),
      ...this.deps.gateways.list().map((g) => keyOf('Gateway', g)),
      ...this.deps.httpRoutes.list().map((r) => keyOf('HTTPRoute', r)),
    ];
  }

  /** A status-only change (possibly someone else's write): look at that object alone. */
  #self(kind: Kind, o: Gateway | HTTPRoute | GatewayClass): void {
    this.queue.add(keyOf(kind, o));
  }

  #compile(): CompiledRoutes {
    return (this.#compiled ??= compileFromInformers(this.deps));
  }

  protected async reconcile(key: string): Promise<void> {
    const [kind, ref] = key.split('|', 2) as [string, string];
    const slash = ref.indexOf('/');
    const ns = ref.slice(0, slash);
    const name = ref.slice(slash + 1);
    if (kind === 'GatewayClass') {
      const c = this.deps.gatewayClasses?.get(undefined, name);
      if (c) await this.#gatewayClass(c);
    } else if (kind === 'Gateway') {
      const gw = this.deps.gateways.get(ns, name);
      if (gw) await this.#gateway(gw);
    } else {
      const route = this.deps.httpRoutes.get(ns, name);
      if (route) await this.#route(route);
    }
  }

  async #route(route: HTTPRoute): Promise<void> {
    const now = rfc3339(this.deps.clock.now());
    const gen = route.metadata.generation;
    const compiled =
      this.#compile().routeParents.get(`${route.metadata.namespace ?? 'default'}/${route.metadata.name ?? ''}`) ?? [];
    const before = route.status?.parents ?? [];
    const others = before.filter((p) => p.controllerName !== GATEWAY_CONTROLLER_NAME);
    const ours: RouteParentStatus[] = compiled.map((c) => {
      const prev = before.find(
        (p) => p.controllerName === GATEWAY_CONTROLLER_NAME && jsonEqual(p.parentRef, c.parentRef),
      );
      return {
        parentRef: c.parentRef,
        controllerName: GATEWAY_CONTROLLER_NAME,
        conditions: withConditions(prev?.conditions, c.conditions, gen, now),
      };
    });
    const parents = [...others, ...ours];
    if (jsonEqual(before, parents)) return;
    await writeStatus(this.deps.api, HTTPROUTE, this.deps.httpRoutes, { ...route, status: { parents } });
  }

  async #gatewayClass(current: GatewayClass): Promise<void> {
    if (current.spec.controllerName !== GATEWAY_CONTROLLER_NAME) return; // another controller's class
    const c = await this.#classFinalizer(current);
    if (!c) return; // its finalizer went and the deletion it held completed
    const accepted = classAccepted(c)
      ? cond('Accepted', true, 'Accepted', 'GatewayClass is accepted')
      : cond('Accepted', false, 'InvalidParameters', 'Edgeplane takes no parametersRef');
    const conditions = withConditions(
      c.status?.conditions,
      [accepted],
      c.metadata.generation,
      rfc3339(this.deps.clock.now()),
    );
    const status = { ...c.status, conditions };
    if (jsonEqual(c.status ?? {}, status)) return;
    await writeStatus(this.deps.api, GATEWAYCLASS, this.deps.gatewayClasses!, { ...c, status });
  }

  /**
   * Adds or removes the class's finalizer as Gateways name it or stop doing so; returns the class
   * as written, or undefined when removing the finalizer completed its deletion.
   */
  async #classFinalizer(c: GatewayClass): Promise<GatewayClass | undefined> {
    const name = c.metadata.name ?? '';
    const inUse = this.deps.gateways.list((g) => g.spec.gatewayClassName === name).length > 0;
    const finalizers = classFinalizers(c, inUse);
    if (!finalizers) return c;
    const written = await this.deps.api.update<GatewayClass>(GATEWAYCLASS, {
      ...c,
      metadata: { ...c.metadata, finalizers },
    });
    const gone = written.metadata.deletionTimestamp !== undefined && finalizers.length === 0;
    this.deps.gatewayClasses!.observe(written, gone);
    return gone ? undefined : written;
  }

  async #gateway(gw: Gateway): Promise<void> {
    const figures = this.#compile().gateways.get(`${gw.metadata.namespace ?? 'default'}/${gw.metadata.name ?? ''}`);
    if (!figures) return; // another class: not ours to speak for
    const now = rfc3339(this.deps.clock.now());
    const gen = gw.metadata.generation;
    const bad = figures.listeners.filter((l) => l.problem).length;
    const none = bad === figures.listeners.length;
    const served: CompiledCondition[] = [
      bad === 0
        ? cond('Accepted', true, 'Accepted', 'Gateway is accepted')
        : cond('Accepted', !none, 'ListenersNotValid', `${bad} of ${figures.listeners.length} listeners are not valid`),
      none
        ? cond('Programmed', false, 'Invalid', 'No listener is served')
        : cond('Programmed', true, 'Programmed', "Served on every node's address"),
    ];
    const addresses = this.deps.nodes
      .list((n) => nodeReadyStatus(n) === 'True' && nodeAddress(n) !== undefined)
      .map((n) => nodeAddress(n)!)
      .sort()
      .slice(0, MAX_ADDRESSES)
      .map((value) => ({ type: 'IPAddress', value }));
    const status = {
      addresses,
      conditions: withConditions(gw.status?.conditions, served, gen, now),
      listeners: figures.listeners.map((l) => ({
        name: l.name,
        supportedKinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' as const }],
        attachedRoutes: l.attachedRoutes,
        conditions: withConditions(
          gw.status?.listeners?.find((x) => x.name === l.name)?.conditions,
          listenerConditions(l.problem, l.heldBy),
          gen,
          now,
        ),
      })),
    };
    if (jsonEqual(gw.status ?? {}, status)) return;
    await writeStatus(this.deps.api, GATEWAY, this.deps.gateways, { ...gw, status });
  }
}

/** A listener's conditions: served, or why not (Gateway API's reasons). */
function listenerConditions(
  problem: 'HostnameConflict' | 'PortUnavailable' | undefined,
  heldBy: string | undefined,
): CompiledCondition[] {
  const resolved = cond('ResolvedRefs', true, 'ResolvedRefs', 'Listener references are resolved');
  if (problem === 'HostnameConflict')
    return [
      cond('Accepted', true, 'Accepted', 'Listener is accepted'),
      cond('Programmed', false, 'Invalid', 'Listener is not served: see Conflicted'),
      resolved,
      cond('Conflicted', true, 'HostnameConflict', 'Another listener of the Gateway has the same port and hostname'),
    ];
  if (problem === 'PortUnavailable')
    return [
      cond(
        'Accepted',
        false,
        'PortUnavailable',
        heldBy?.startsWith('Service ')
          ? `NodePort ${heldBy} holds this port on the nodes`
          : `An older Gateway${heldBy ? ` (${heldBy.slice('Gateway '.length)})` : ''} serves this port on the nodes`,
      ),
      cond('Programmed', false, 'Invalid', 'Listener is not served: see Accepted'),
      resolved,
      cond('Conflicted', false, 'NoConflicts', 'No conflict with other listeners of the Gateway'),
    ];
  return [
    cond('Accepted', true, 'Accepted', 'Listener is accepted'),
    cond('Programmed', true, 'Programmed', 'Listener is served'),
    resolved,
    cond('Conflicted', false, 'NoConflicts', 'No conflict with other listeners of the Gateway'),
  ];
}

/** `next` as conditions of generation `gen`, keeping the transition times of unchanged statuses. */
function withConditions(
  prev: readonly Condition[] | undefined,
  next: readonly CompiledCondition[],
  gen: number | undefined,
  now: string,
): Condition[] {
  let out: Condition[] = [];
  for (const c of next) {
    const before = prev?.find((p) => p.type === c.type);
    out = setCondition(out, { ...c, ...(gen !== undefined ? { observedGeneration: gen } : {}) }, now);
    const last = out[out.length - 1]!;
    if (before && before.status === c.status && before.lastTransitionTime)
      last.lastTransitionTime = before.lastTransitionTime;
  }
  return out;
}
