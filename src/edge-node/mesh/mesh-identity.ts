/**
 * Who this node is on the mesh: its name (endpoints on it are delivered locally) and the cluster's
 * mesh token (in insecure-token mode peers' requests carry it, ours to them too; with mTLS it is not
 * used — the node's certificate is its credential on the mesh). Created with the mesh, before anything
 * that reads it; the agent sets both from local state and from the hub's welcome.
 */
import { RevokedPeers } from './trust/revoked-peers.js';

export class MeshIdentity {
  /** Node keys the hub revoked (`revokedKeys` frames): refused on the mesh port (mTLS). */
  readonly revoked = new RevokedPeers();
  /** This node's name as the hub knows it. */
  nodeName: string;
  /** The cluster's mesh token (insecure-token mode); undefined until the hub (or local state) provides one. */
  token: string | undefined;

  constructor(nodeName: string, token?: string) {
    this.nodeName = nodeName;
    this.token = token;
  }
}
