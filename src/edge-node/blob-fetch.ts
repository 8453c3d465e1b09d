/**
 * How the agent fetches a blob (a Wasm component) by digest, as `edge-node` wires it: from the hub
 * (`hub-blob.ts`: bounded, compressed, resumed, the other hubs of the cluster next) — and, on a node
 * with a zone label, from its zone's peers first (issue 20, `peer-blobs/`). A node without a zone has
 * no peers to ask and skips the sources query.
 */
import path from 'node:path';
import type { Dispatcher } from 'undici';
import type { Logger } from '../api/index.js';
import { DEFAULT_HUB_BLOB_MAX_BYTES, hubBlobFetcher } from './hub-blob.js';
import { clientConnectOptions, labelZone, type MeshTlsMaterial } from './mesh/index.js';
import { hubBlobSources, zonePeerFetcher, type ZoneFetchStats } from './peer-blobs/index.js';

/** What {@link nodeBlobFetcher} needs of the agent's set-up. */
export interface NodeBlobFetchDeps {
  nodeName: string;
  labels: Record<string, string>;
  dataDir: string;
  /** The hub the session is on now, and every hub the node knows (base URLs). */
  hubBase: () => string;
  otherHubs: () => readonly string[];
  /**
   * The node's credentials: its certificate (a dispatcher for the hub, its mesh material for peers),
   * or, with a plain-HTTP hub, the join token and the cluster's mesh token for peers.
   */
  auth:
    | {
        kind: 'certificate';
        dispatcher: () => Dispatcher;
        meshMaterial: () => MeshTlsMaterial;
        /**
         * How this node reaches its peers (`--mesh-relay`): `all` through the hub (no zone peer is asked),
         * or the peers it reaches only through the hub now (those are skipped); absent: all directly.
         */
        relay?: { all: true } | { all: false; relays(nodeName: string): boolean };
      }
    | { kind: 'token'; token: string | undefined; meshToken: () => string | undefined };
  logger: Logger;
  /** Where this node's blobs came from (the peer fetcher counts them); optional. */
  stats?: ZoneFetchStats;
}

/** The node's blob fetch (see the file comment). */
export function nodeBlobFetcher(deps: NodeBlobFetchDeps): (digest: string) => Promise<Uint8Array> {
  const { auth } = deps;
  const hubCredentials = auth.kind === 'certificate' ? { dispatcher: auth.dispatcher } : { token: auth.token };
  // Bounded by the hub's upload maximum, with idle timeouts and a deadline (see hub-blob.ts).
  const hub = hubBlobFetcher({
    hubBase: deps.hubBase,
    otherHubs: deps.otherHubs,
    partialDir: path.join(deps.dataDir, 'blob-partial'),
    ...hubCredentials,
  });
  const relay = auth.kind === 'certificate' ? auth.relay : undefined;
  // A node with no zone has no peers to ask; one that reaches every peer through the hub gains nothing from them.
  if (labelZone(deps.labels) === undefined || relay?.all === true) return hub;
  return zonePeerFetcher({
    sources: hubBlobSources({ hubBase: deps.hubBase, nodeName: deps.nodeName, ...hubCredentials }),
    connect: (peer) => {
      if (auth.kind === 'certificate') return { tls: clientConnectOptions(auth.meshMaterial(), peer) };
      const token = auth.meshToken();
      return token !== undefined ? { token } : undefined;
    },
    ...(relay?.all === false ? { relayed: (n: string) => relay.relays(n) } : {}),
    hub,
    maxBytes: DEFAULT_HUB_BLOB_MAX_BYTES,
    logger: deps.logger.child({ component: 'blobs' }),
    ...(deps.stats ? { stats: deps.stats } : {}),
  });
}
