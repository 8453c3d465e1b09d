/**
 * The hub's node gateway, wired (hub.ts): the node sessions get the cluster's informers whose
 * objects they sync to nodes, the node certificates of a TLS hub, the heartbeat interval, and the
 * metrics frames and meters.
 */
import { NodeGateway, type HeartbeatPace, type NodeGatewayDeps } from './gateway/index.js';
import type { ClusterInformers } from './hub-controllers.js';
import type { HubOptions } from './hub-options.js';

/** What the gateway is built from (the informers come from `cluster`). */
export interface HubGatewayDeps extends Pick<
  NodeGatewayDeps,
  | 'api'
  | 'auth'
  | 'lifecycle'
  | 'events'
  | 'clock'
  | 'logger'
  | 'meshToken'
  | 'hubList'
  | 'relayPeerHub'
  | 'metrics'
  | 'frameMeter'
> {
  cluster: ClusterInformers;
  /** A TLS hub's node certificates (hub-node-certificates.ts); undefined on plain HTTP. */
  nodeCertificates: Required<Pick<NodeGatewayDeps, 'certificates' | 'revokedKeys'>> | undefined;
  options: Pick<HubOptions, 'heartbeatIntervalSeconds' | 'gateway'>;
  /** The fleet's heartbeat pace (shared with the node lifecycle, whose grace period it scales). */
  heartbeatPace?: HeartbeatPace;
}

/** The node gateway (`options.gateway` overrides come last). */
export function hubGateway(deps: HubGatewayDeps): NodeGateway {
  const { cluster, nodeCertificates, options, heartbeatPace, ...rest } = deps;
  return new NodeGateway({
    ...rest,
    pods: cluster.pods,
    nodes: cluster.nodes,
    services: cluster.services,
    endpoints: cluster.endpoints,
    scaleTargets: { hpas: cluster.hpas, deployments: cluster.deployments, replicaSets: cluster.replicaSets },
    gateways: cluster.gateways,
    httpRoutes: cluster.httpRoutes,
    gatewayClasses: cluster.gatewayClasses,
    referenceGrants: cluster.referenceGrants,
    configMaps: cluster.configMaps,
    secrets: cluster.secrets,
    ...(nodeCertificates
      ? { certificates: nodeCertificates.certificates, revokedKeys: nodeCertificates.revokedKeys }
      : {}),
    heartbeatIntervalSeconds: options.heartbeatIntervalSeconds ?? 2,
    ...(heartbeatPace ? { heartbeatPace } : {}),
    ...options.gateway,
  });
}
