/**
 * Copying the content store between hubs (issue 19): with several hubs on etcd and TLS, each hub's
 * blobs go to its live peers, fetched with this hub's client certificate. hub.ts wires it once the
 * leadership (and so the presence records that name the peers) exists.
 */
import type { Clock, Logger } from '../api/index.js';
import { BlobPeers, HubPeerIdentity, type BlobStore } from './blobs/index.js';
import type { Runner } from './hub-controllers.js';
import type { HubLeadership } from './hub-leadership.js';
import type { HubTls } from './tls/index.js';

/** What the peer copy needs. */
export interface HubBlobPeersDeps {
  tls: HubTls | undefined;
  /** The other hubs as presence records tell them (absent: a single hub, no election). */
  presence: HubLeadership['presence'];
  blobs: BlobStore;
  /** This hub's identity (election and presence name). */
  identity: string;
  clock: Clock;
  logger: Logger;
}

/** Attaches the peers to the blob store; returns the runner that closes their client, or undefined when there are none. */
export function attachBlobPeers(deps: HubBlobPeersDeps): Runner | undefined {
  const { tls, presence, blobs } = deps;
  if (!tls || !presence) return undefined;
  const peerIdentity = new HubPeerIdentity({
    ca: () => tls.clusterCa,
    trust: tls.servingCaPem,
    identity: deps.identity,
    clock: deps.clock,
  });
  blobs.attachPeers(
    new BlobPeers({
      store: blobs,
      peers: () => presence.peers().flatMap((p) => (p.live && p.url !== undefined ? [p.url] : [])),
      dispatcher: () => peerIdentity.dispatcher(),
      logger: deps.logger,
    }),
  );
  return { start: () => undefined, stop: () => peerIdentity.close() };
}
