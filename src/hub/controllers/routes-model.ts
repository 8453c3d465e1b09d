/**
 * The shapes the Gateway API compile produces (`routes-compile.ts`), and the small helpers its parts
 * share: what a route's status parents and a Gateway's listener figures say, keyed by namespace/name.
 */
import type {
  Gateway,
  GatewayClass,
  HTTPRoute,
  HttpRouting,
  ParentReference,
  ReferenceGrant,
  Service,
  ServiceRoute,
} from '../../api/index.js';

/** What compiling reads. */
export interface RouteInputs {
  gateways: readonly Gateway[];
  routes: readonly HTTPRoute[];
  service(namespace: string, name: string): Service | undefined;
  /** GatewayClass objects (none: only the built-in `edgeplane` class is served). */
  classes?: readonly GatewayClass[];
  /** ReferenceGrants (none: no cross-namespace backend resolves). */
  grants?: readonly ReferenceGrant[];
  /** Node ports NodePort Services hold: port → `namespace/name` (a Gateway listener there is refused). */
  nodePorts?: ReadonlyMap<number, string>;
}

/** A condition as compiled (times and generations are the writer's business). */
export interface CompiledCondition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** One parentRef's status of an HTTPRoute. */
export interface CompiledParentStatus {
  parentRef: ParentReference;
  conditions: CompiledCondition[];
}

/** What the compiled set says of one of our Gateways. */
export interface CompiledGateway {
  listeners: Array<{
    name: string;
    attachedRoutes: number;
    /** Why the listener is not served (undefined: served). */
    problem?: 'HostnameConflict' | 'PortUnavailable';
    /** What holds the port of a PortUnavailable listener: `Gateway ns/name` or `Service ns/name`. */
    heldBy?: string;
  }>;
}

/** Everything compiled. */
export interface CompiledRoutes {
  /** `namespace/gateway:<name>:<port>` → the route nodes serve that listener port by. */
  gatewayRoutes: Map<string, ServiceRoute>;
  /** `namespace/service` → the rules of the routes attached to that Service (GAMMA). */
  gamma: Map<string, HttpRouting>;
  /** `namespace/service` of every backend of a Gateway's rules: every node needs those Services. */
  everywhere: Set<string>;
  /** `namespace/route` → the status of each of its parentRefs this controller serves. */
  routeParents: Map<string, CompiledParentStatus[]>;
  /** `namespace/gateway` → our Gateways' listener figures. */
  gateways: Map<string, CompiledGateway>;
}

/** The name of the route a Gateway's listener port is served by. */
export function gatewayRouteName(gateway: string, port: number): string {
  return `gateway:${gateway}:${port}`;
}

/** The namespace of an object (`default` when unset). */
export const nsOf = (o: { metadata: { namespace?: string } }): string => o.metadata.namespace ?? 'default';
/** The `namespace/name` key the compiled maps use. */
export const keyOf = (ns: string, name: string): string => `${ns}/${name}`;
/** A compiled condition: `True` when `ok`. */
export const cond = (type: string, ok: boolean, reason: string, message: string): CompiledCondition => ({
  type,
  status: ok ? 'True' : 'False',
  reason,
  message,
});
