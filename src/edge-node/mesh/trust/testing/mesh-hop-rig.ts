/**
 * Two ends of a real mesh hop for tests and the benchmark, with the real classes over real sockets:
 * a receiving node (a container port upstream and the node's `MeshServer`) and a sending node (its
 * `NodePortProxy`, `ServiceBalancer` and `Deliverer`, with a NodePort Service whose endpoints are on
 * receiving nodes). In mTLS mode each end gets its own node certificate; in insecure-token mode they
 * share a mesh token.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../../../api/index.js';
import type { Logger, ServiceRoute } from '../../../../api/index.js';
import { silentLogger } from '../../../../platform/index.js';
import { LeastLoadedPicker } from '../../balancing/least-loaded-picker.js';
import { ServiceBalancer } from '../../balancing/service-balancer.js';
import { ServiceTable } from '../../balancing/service-table.js';
import { Deliverer } from '../../delivery/deliverer.js';
import { MeshServer } from '../../ingress/mesh-server.js';
import { NodePortProxy } from '../../ingress/node-port-proxy.js';
import type { MeshTlsMaterial } from '../tls-material.js';
import type { PeerDialer } from '../../relay/peer-dialer.js';

/** The token of insecure-token rigs. */
export const RIG_MESH_TOKEN = 'rig-mesh-token-0123456789';
/** The pod every receiving node serves, and its port. */
export const RIG_POD = { namespace: 'default', name: 'web', port: 8080 } as const;

/** A container port: answers `reached <path>` (after `delayMs`), counting requests. */
export interface RigUpstream {
  port: number;
  hits: number;
  close(): Promise<void>;
}

/** Starts a container port on 127.0.0.1. */
export async function startUpstream(delayMs = 0): Promise<RigUpstream> {
  const up = { port: 0, hits: 0 } as RigUpstream;
  const server: Server = createServer((req, res) => {
    up.hits++;
    req.resume();
    req.on('end', () => {
      const answer = (): void => void res.end(`reached ${req.url ?? ''}`);
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  up.port = (server.address() as AddressInfo).port;
  up.close = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return up;
}

/** How one end of a hop is secured. */
export type RigSecurity = { transport: 'mtls'; tls: MeshTlsMaterial } | { transport: 'insecure-token' };

function deliverer(security: RigSecurity, logger: Logger, peerDialer?: PeerDialer): Deliverer {
  const d = new Deliverer({
    logger,
    transport: security.transport,
    ...(peerDialer ? { peerDialer } : {}),
    ...(security.transport === 'insecure-token' ? { meshToken: () => RIG_MESH_TOKEN } : {}),
  });
  if (security.transport === 'mtls') d.setTlsMaterial(security.tls);
  return d;
}

/** A receiving node: its mesh server delivering `RIG_POD` to `upstreamPort`. */
export interface RigReceiver {
  server: MeshServer;
  port: number;
  close(): Promise<void>;
}

/** Starts a receiving node's mesh server on 127.0.0.1 (the pod is a Service endpoint there). */
export async function startReceiver(
  nodeName: string,
  security: RigSecurity,
  upstreamPort: number,
  logger: Logger = silentLogger(),
): Promise<RigReceiver> {
  const d = deliverer(security, logger);
  const server = await MeshServer.create({
    address: '127.0.0.1',
    port: 0,
    transport: security.transport,
    ...(security.transport === 'mtls'
      ? { tls: security.tls }
      : { meshToken: (): string | undefined => RIG_MESH_TOKEN }),
    local: (ns, name) =>
      ns === RIG_POD.namespace && name === RIG_POD.name
        ? {
            ok: true,
            runtime: { endpoint: () => ({ kind: 'tcp', host: '127.0.0.1', port: upstreamPort }) },
            containerId: `${nodeName}-web`,
            port: upstreamPort,
          }
        : { ok: false, reason: 'not-found', message: `pod ${ns}/${name} is not on ${nodeName}` },
    isServiceEndpoint: (ns, name, port) =>
      ns === RIG_POD.namespace && name === RIG_POD.name && String(port) === String(RIG_POD.port),
    deliverer: d,
    logger,
    limits: { maxConcurrentRequests: 4096 },
  });
  await server.start();
  return {
    server,
    port: server.port,
    async close() {
      await server.stop();
      await d.close();
    },
  };
}

/** Where a sender believes an endpoint of `RIG_POD` is: the node it is on and its mesh address. */
export interface RigEndpoint {
  nodeName: string;
  meshPort: number;
  address?: string;
}

/** A sending node: a NodePort whose Service's endpoints are on receiving nodes. */
export interface RigSender {
  nodePort: number;
  deliverer: Deliverer;
  close(): Promise<void>;
}

/** Starts a sending node named `nodeName` with a NodePort Service onto `endpoints`. */
export async function startSender(
  nodeName: string,
  security: RigSecurity,
  endpoints: readonly RigEndpoint[],
  logger: Logger = silentLogger(),
  peerDialer?: PeerDialer,
): Promise<RigSender> {
  const d = deliverer(security, logger, peerDialer);
  const table = new ServiceTable(logger);
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const nodePort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const route: ServiceRoute = {
    namespace: RIG_POD.namespace,
    name: 'web',
    type: 'NodePort',
    sessionAffinity: 'None',
    ports: [{ port: 80, targetPort: RIG_POD.port, nodePort }],
    endpoints: endpoints.map((e, i) => ({
      pod: { namespace: RIG_POD.namespace, name: RIG_POD.name, uid: `uid-web-${i}` },
      nodeName: e.nodeName,
      address: e.address ?? '127.0.0.1',
      meshPort: e.meshPort,
      ready: true,
    })),
  };
  table.update([route]);
  const balancer = new ServiceBalancer({
    nodeName: () => nodeName,
    picker: new LeastLoadedPicker({ clock: systemClock, logger }),
    local: () => ({ ok: false, reason: 'not-found', message: 'no local pods on the sender' }),
    deliverer: d,
  });
  const proxy = new NodePortProxy({
    address: '127.0.0.1',
    table,
    balancer,
    logger,
    limits: { maxConcurrentRequests: 4096 },
  });
  await proxy.update();
  return {
    nodePort,
    deliverer: d,
    async close() {
      await proxy.stop();
      await d.close();
    },
  };
}
