/** Builds the `ServiceRoute`s nodes' proxies need from cached Services, Endpoints and Nodes. */
import type { Endpoints, Node, Service, ServiceRoute } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import { terminatingEndpoints, type TerminatingPods } from './terminating-endpoints.js';

/** Node label whose value is the node's zone (for locality-aware balancing). */
export const ZONE_LABELS = ['topology.kubernetes.io/zone', 'zone'] as const;

/** A node's zone from its labels. */
export function zoneOf(node: Node | undefined): string | undefined {
  for (const l of ZONE_LABELS) {
    const z = node?.metadata.labels?.[l];
    if (z) return z;
  }
  return undefined;
}

/** The informers a route is built from. */
export interface RouteSources {
  services: Informer<Service>;
  endpoints: Informer<Endpoints>;
  nodes: Informer<Node>;
  /** Pods being deleted: without it, routes list no terminating endpoint (as v1 Endpoints). */
  terminating?: TerminatingPods;
}

/**
 * The route of one Service: its ports and every endpoint (ready or not) with the hosting node's mesh
 * address, then its terminating endpoints; `wakeable` tells whether nodes hold its requests while it
 * has no ready endpoint.
 */
export function serviceRoute(
  svc: Service,
  src: Pick<RouteSources, 'endpoints' | 'nodes' | 'terminating'> & { wakeable?: (svc: Service) => boolean },
): ServiceRoute {
  const ns = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name ?? '';
  const ep = src.endpoints.get(ns, name);
  const eps: ServiceRoute['endpoints'] = [];
  for (const subset of ep?.subsets ?? []) {
    for (const [ready, list] of [
      [true, subset.addresses ?? []],
      [false, subset.notReadyAddresses ?? []],
    ] as const) {
      for (const a of list) {
        const node = a.nodeName ? src.nodes.get(undefined, a.nodeName) : undefined;
        const meshPort = node?.status?.daemonEndpoints?.kubeletEndpoint?.Port;
        if (!a.targetRef?.name || !a.targetRef.uid || !a.nodeName || meshPort === undefined) continue;
        const zone = zoneOf(node);
        eps.push({
          pod: { namespace: a.targetRef.namespace ?? ns, name: a.targetRef.name, uid: a.targetRef.uid },
          nodeName: a.nodeName,
          address: a.ip,
          meshPort,
          ...(zone ? { zone } : {}),
          ready,
        });
      }
    }
  }
  if (src.terminating) {
    const known = new Set(eps.map((e) => e.pod.uid));
    eps.push(...terminatingEndpoints(svc, src.terminating, src.nodes, known, zoneOf));
  }
  return {
    namespace: ns,
    name,
    type: svc.spec.type ?? 'ClusterIP',
    sessionAffinity: svc.spec.sessionAffinity ?? 'None',
    ports: svc.spec.ports.map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: p.port,
      targetPort: p.targetPort ?? p.port,
      ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
    })),
    endpoints: eps,
    ...(src.wakeable?.(svc) ? { scaleFromZero: true as const } : {}),
  };
}

/** One route per Service (the whole set, as protocol-1 nodes are sent it). */
export function buildServiceRoutes(
  services: Informer<Service>,
  endpoints: Informer<Endpoints>,
  nodes: Informer<Node>,
): ServiceRoute[] {
  return services.list().map((svc) => serviceRoute(svc, { endpoints, nodes }));
}
