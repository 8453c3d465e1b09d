/**
 * The hub's HTTP surface (hub.ts wires it last): the Kubernetes-shaped API app with RBAC, per-user
 * stream limits and blob encodings, and kubectl's exec/attach WebSocket upgrades beside it.
 */
import type { Logger } from '../api/index.js';
import { blobRead } from './auth/index.js';
import type { NodeGateway } from './gateway/index.js';
import type { HubOptions } from './hub-options.js';
import { BlobEncodings, StreamLimiter, createApiApp, type ApiDeps } from './server/index.js';
import { PodStreamUpgrades } from './server/streams/index.js';
import { HUB_VERSION } from './version.js';

/** What the hub's API is built from (the rest of `ApiDeps` is made here). */
export interface HubApiDeps extends Pick<
  ApiDeps,
  | 'api'
  | 'auth'
  | 'metrics'
  | 'blobs'
  | 'blobSourceNodes'
  | 'metricsApi'
  | 'nodeMetrics'
  | 'caBundlePem'
  | 'readyzVerbose'
  | 'componentStatuses'
  | 'nodeCertificates'
> {
  rbac: NonNullable<ApiDeps['rbac']>;
  options: Pick<
    HubOptions,
    'dataDir' | 'insecureHttp' | 'maxWatchesPerUser' | 'maxLogFollowsPerUser' | 'maxPodStreamsPerUser'
  >;
  gateway: NodeGateway;
  log: (component: string) => Logger;
}

/** The API app and the pod stream upgrades. */
export function hubApi(deps: HubApiDeps): {
  app: ReturnType<typeof createApiApp>;
  streams: PodStreamUpgrades;
} {
  const { options, gateway, log, rbac, ...rest } = deps;
  const app = createApiApp({
    ...rest,
    // A plain-HTTP hub's nodes have no certificates: they fetch blobs with their bootstrap token.
    rbac: options.insecureHttp
      ? {
          ...rbac,
          authorize: (who, what) =>
            who.kind === 'bootstrap' && blobRead(what) !== undefined ? { allowed: true } : rbac.authorize(who, what),
        }
      : rbac,
    // Blobs travel brotli-compressed to nodes that ask, encoded once and kept beside the store.
    blobEncodings: new BlobEncodings({ dir: rest.blobs.encodedDir }),
    logs: gateway,
    exec: gateway,
    logger: log('api'),
    version: { gitVersion: HUB_VERSION },
    streamLimits: new StreamLimiter({
      watchesPerUser: options.maxWatchesPerUser,
      logFollowsPerUser: options.maxLogFollowsPerUser,
      podStreamsPerUser: options.maxPodStreamsPerUser,
    }),
  });
  const streams = new PodStreamUpgrades({
    fetch: app.fetch,
    exec: gateway,
    streams: gateway,
    logs: gateway,
    logger: log('streams'),
  });
  return { app, streams };
}
