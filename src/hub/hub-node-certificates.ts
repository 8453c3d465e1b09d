/**
 * Per-node identity on a TLS hub (hub.ts wires it): node certificates signed from CSRs under the
 * cluster CA, node names bound to their keys in the store, and the keys of deleted nodes published
 * for the other nodes' mesh ports. A plain-HTTP hub has none of it.
 */
import type { Clock, ConfigMap, Logger, Node } from '../api/index.js';
import {
  CertificateAuthenticator,
  DEFAULT_NODE_CERT_LIFETIME_SECONDS,
  NodeCertificateSigner,
  NodeCredentials,
  RevokedNodeKeys,
} from './identity/index.js';
import type { Informer } from './informers/index.js';
import type { ObjectRegistry } from './registry/index.js';
import type { HubTls } from './tls/index.js';

/** What the node certificates are made from. */
export interface HubNodeCertificatesDeps {
  tls: HubTls | undefined;
  api: ObjectRegistry;
  nodes: Informer<Node>;
  configMaps: Informer<ConfigMap>;
  clock: Clock;
  logger: Logger;
  lifetimeSeconds: number | undefined;
}

/** The node certificates' parts; undefined without TLS. */
export function hubNodeCertificates(deps: HubNodeCertificatesDeps):
  | {
      certificates: CertificateAuthenticator;
      signer: NodeCertificateSigner;
      revokedKeys: RevokedNodeKeys;
    }
  | undefined {
  const { tls, api, clock, logger, lifetimeSeconds } = deps;
  if (!tls) return undefined;
  const credentials = new NodeCredentials(api);
  return {
    certificates: new CertificateAuthenticator(credentials, { clock }),
    signer: new NodeCertificateSigner({ ca: () => tls.clusterCa, credentials, clock, logger, lifetimeSeconds }),
    // Deleted nodes' keys, for the other nodes' mesh ports (the hub refuses them through `credentials`).
    revokedKeys: new RevokedNodeKeys({
      api,
      nodes: deps.nodes,
      configMaps: deps.configMaps,
      lifetimeSeconds: lifetimeSeconds ?? DEFAULT_NODE_CERT_LIFETIME_SECONDS,
      clock,
      logger,
    }),
  };
}
