/**
 * The parts of a node's Service mesh and how they are wired to each other: the Service table and
 * the picker, the balancer over them, the deliverer, the request accounting and hold, and the mesh
 * server (peers' forwarded traffic). `ServiceMesh` builds the listeners that use them around these.
 */
import { systemClock, type Logger } from '../../api/index.js';
import type { EndpointPicker } from './balancing/endpoint-picker.js';
import { LeastLoadedPicker } from './balancing/least-loaded-picker.js';
import { ServiceBalancer } from './balancing/service-balancer.js';
import { ServiceHold } from './balancing/service-hold.js';
import { ServiceTable } from './balancing/service-table.js';
import { Deliverer } from './delivery/deliverer.js';
import type { BodyBuffers } from './http/body-limits.js';
import { defaultBodyBuffers, listenerLimits } from './http/listener-limits.js';
import { MeshServer } from './ingress/mesh-server.js';
import { LocalPods } from './local-pods.js';
import { RequestAccounting } from './accounting/request-accounting.js';
import { HttpRouter } from './routing/index.js';
import { MeshIdentity } from './mesh-identity.js';
import type { ServiceMeshDeps } from './service-mesh-options.js';

/** The parts of the mesh `ServiceMesh.create` builds before the mesh object itself. */
export interface MeshParts {
  identity: MeshIdentity;
  localPods: LocalPods;
  logger: Logger;
  table: ServiceTable;
  picker: EndpointPicker;
  balancer: ServiceBalancer;
  deliverer: Deliverer;
  bodyBuffers: BodyBuffers;
  requests: RequestAccounting;
  hold: ServiceHold;
  /** Peers' forwarded traffic (listens from `ServiceMesh.start`). */
  server: MeshServer;
}

/** Builds the mesh's parts from `deps`; nothing listens yet. */
export async function buildMeshParts(deps: ServiceMeshDeps): Promise<MeshParts> {
  const logger = deps.logger.child({ component: 'mesh' });
  const identity = new MeshIdentity(deps.nodeName);
  const table = new ServiceTable(logger);
  const picker = deps.picker ?? new LeastLoadedPicker({ clock: deps.clock ?? systemClock, logger });
  // One budget for the bodies every listener holds whole (requests to Wasm workloads).
  const bodyBuffers = defaultBodyBuffers(listenerLimits(deps.listenerLimits));
  const requests = new RequestAccounting();
  const hold = new ServiceHold({ ...deps.hold, route: (key) => table.route(key), logger });
  const deliverer = new Deliverer({
    accounting: requests,
    logger: deps.logger.child({ component: 'delivery' }),
    requestTimeoutMs: deps.requestTimeoutMs,
    bodyBuffers,
    transport: deps.transport,
    meshToken: () => identity.token,
    ...(deps.peerDialer ? { peerDialer: deps.peerDialer } : {}),
  });
  if (deps.tls) deliverer.setTlsMaterial(deps.tls);
  const localPods = new LocalPods(() => table.endpointUids());
  const balancer = new ServiceBalancer({
    nodeName: () => identity.nodeName,
    picker,
    local: (ns, name, port) => localPods.target(ns, name, port),
    deliverer,
    accounting: requests,
    hold,
    router: new HttpRouter({
      backend: (ns, name, port, requestPort) => {
        const ports = table.ports(ns, name);
        if (!ports) return undefined;
        if (port !== undefined) return ports.find((p) => p.port.port === port);
        return ports.find((p) => p.port.port === requestPort) ?? (ports.length === 1 ? ports[0] : undefined);
      },
    }),
  });
  const server = await MeshServer.create({
    address: deps.address,
    port: deps.meshPort,
    transport: deps.transport,
    ...(deps.tls ? { tls: deps.tls } : {}),
    meshToken: () => identity.token,
    revokedPeers: identity.revoked,
    local: (ns, name, port) => localPods.target(ns, name, port),
    isServiceEndpoint: (ns, name, port) => table.isEndpointPort(identity.nodeName, ns, name, port),
    deliverer,
    logger,
    limits: deps.listenerLimits ?? {},
    bodyBuffers,
  });
  return { identity, localPods, logger, table, picker, balancer, deliverer, bodyBuffers, requests, hold, server };
}
