/**
 * The mesh relay through the hub (issue 20, "Relay for NAT'd nodes"): WebSockets beside the node
 * gateway, not frames in it, so the gateway protocol (and its version) is unchanged and an agent that
 * does not relay never sees any of this.
 *
 * - A node that accepts relayed connections keeps one WebSocket open at RELAY_LISTEN_PATH. The hub
 *   sends on it, as JSON text, one `RelayOffer` per connection another node asks for; a node with the
 *   listener open is one that can take relayed connections (that is the capability).
 * - A node that cannot reach a peer's mesh port opens one WebSocket per connection at
 *   RELAY_DIAL_PATH `?node=<peer>`; the hub offers it to the peer, which answers with a WebSocket at
 *   RELAY_ACCEPT_PATH `?id=<offer id>`; the hub then moves binary messages between the two sockets.
 * - Several hubs (HA): when the peer's session is on another live hub, the hub answers the dial with
 *   `307 Temporary Redirect` and a `Location` at that hub's RELAY_DIAL_PATH; the node dials it there,
 *   once, with the same certificate (a node's listener follows its session to its hub).
 * - The bytes moved are the two nodes' own mTLS session (the dialer runs TLS inside the socket and
 *   checks the peer's node certificate; the peer's mesh server requires the dialer's): the hub reads
 *   nothing and can forge nothing. Every socket is authenticated with the node's certificate.
 */
import { z } from 'zod';
import { Name } from './wire-shapes.js';

/** Where a node keeps its relay listener open. */
export const RELAY_LISTEN_PATH = '/apis/edgeplane.io/v1/relay/listen';
/** Where a node opens a relayed connection to `?node=<peer>`. */
export const RELAY_DIAL_PATH = '/apis/edgeplane.io/v1/relay/dial';
/** Where the peer answers an offer, `?id=<offer id>`. */
export const RELAY_ACCEPT_PATH = '/apis/edgeplane.io/v1/relay/accept';
/** Largest binary message either end sends on a relayed connection (the hub's `maxPayload`). */
export const MAX_RELAY_MESSAGE_BYTES = 256 * 1024;

/** The hub asks the listening node to accept a connection from node `from`. */
export const RelayOffer = z.strictObject({
  type: z.literal('offer'),
  id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  from: Name,
});
export type RelayOffer = z.infer<typeof RelayOffer>;

/** The relay paths (the hub routes these upgrades to the relay). */
export function isRelayPath(path: string): boolean {
  return path === RELAY_LISTEN_PATH || path === RELAY_DIAL_PATH || path === RELAY_ACCEPT_PATH;
}
