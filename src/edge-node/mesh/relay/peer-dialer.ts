/**
 * The seam between the mesh's peer pools and how a connection to a peer's mesh server is made: the
 * direct TCP+TLS dial (undici's own connector) or a connection relayed through the hub. A pool asks
 * its `PeerDialer` once per connection it opens; requests and keep-alive are the pool's as before.
 */
import type { ConnectionOptions } from 'node:tls';
import type { buildConnector } from 'undici';

/** One connection's dial, as undici's `Pool` `connect` option takes it. */
export type Connector = buildConnector.connector;

/** What a pool to one peer needs dialed. */
export interface PeerDial {
  /** The peer node (its certificate must name it). */
  nodeName: string;
  /** The TLS options of the hop (this node's certificate, the cluster CA, the peer's name check). */
  tls: ConnectionOptions;
  /** The direct dial to the peer's `--address` and mesh port. */
  direct: Connector;
}

/** Chooses, per connection, between the direct dial and the relay. */
export interface PeerDialer {
  connector(dial: PeerDial): Connector;
}
