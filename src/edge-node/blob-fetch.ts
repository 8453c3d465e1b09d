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
    | { kind: 'certificate'; dispatcher: () => Dispatcher; meshMaterial: () => MeshTlsMaterial }
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
  if (labelZone(deps.labels) === undefined) return hub;
  return zonePeerFetcher({
    sources: hubBlobSources({ hubBase: deps.hubBase, nodeName: deps.nodeName, ...hubCredentials }),
    connect: (peer) => {
      if (auth.kind === 'certificate') return { tls: clientConnectOptions(auth.meshMaterial(), peer) };
      const token = auth.meshToken();
      return token !== undefined ? { token } : undefined;
    },
    hub,
    maxBytes: DEFAULT_HUB_BLOB_MAX_BYTES,
    logger: deps.logger.child({ component: 'blobs' }),
    ...(deps.stats ? { stats: deps.stats } : {}),
  });
}
