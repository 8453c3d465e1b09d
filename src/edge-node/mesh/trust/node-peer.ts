/**
 * Who a mesh peer is, read from its verified certificate: a node of this cluster presents
 * `CN=system:node:<name>, O=system:nodes` (the kubelet's convention) with the extended key usage of
 * its side of the hop (clientAuth when it sends, serverAuth when it answers). The chain itself is
 * checked by TLS against the cluster CA before any of this runs.
 */
import type { PeerCertificate } from 'node:tls';

/** The common-name prefix of a node's certificate (Kubernetes' node user names). */
export const NODE_NAME_PREFIX = 'system:node:';
/** The organization (group) every node's certificate carries. */
export const NODES_GROUP = 'system:nodes';

const EKU = { client: '1.3.6.1.5.5.7.3.2', server: '1.3.6.1.5.5.7.3.1' } as const;

/** Which side of a hop a certificate is presented on. */
export type PeerSide = keyof typeof EKU;

/** A peer certificate read: the node it names, or why it names none (safe to show the peer). */
export type PeerNode = { ok: true; nodeName: string } | { ok: false; reason: string };

/** The common name of node `nodeName`'s certificate. */
export function nodeCommonName(nodeName: string): string {
  return `${NODE_NAME_PREFIX}${nodeName}`;
}

function values(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * The node a (chain-verified) certificate names, when it is a node certificate usable on `side`.
 * Anything else — no certificate, a user's (`O` not `system:nodes`), a node certificate without the
 * usage — gets a reason naming what is wrong, quoting at most 64 characters of the peer's names.
 */
export function peerNode(cert: PeerCertificate | undefined, side: PeerSide): PeerNode {
  if (cert?.subject === undefined || Object.keys(cert).length === 0)
    return { ok: false, reason: 'no certificate was presented' };
  const cns = values(cert.subject.CN);
  const groups = values(cert.subject.O);
  const cn = cns.length === 1 ? cns[0]! : undefined;
  const shown = JSON.stringify((cn ?? cns.join(',')).slice(0, 64));
  if (cn === undefined || !cn.startsWith(NODE_NAME_PREFIX) || cn.length === NODE_NAME_PREFIX.length)
    return { ok: false, reason: `certificate CN=${shown} is not a node's (want CN=${NODE_NAME_PREFIX}<name>)` };
  if (!groups.includes(NODES_GROUP))
    return { ok: false, reason: `certificate CN=${shown} is not in group O=${NODES_GROUP}` };
  // No extended key usage at all means any usage (RFC 5280 §4.2.1.12); ours always carry one.
  if (cert.ext_key_usage !== undefined && !cert.ext_key_usage.includes(EKU[side]))
    return { ok: false, reason: `certificate CN=${shown} is not valid for TLS ${side} authentication` };
  return { ok: true, nodeName: cn.slice(NODE_NAME_PREFIX.length) };
}

/**
 * Checks that a peer certificate is node `expected`'s (the sender's check of the node it dials).
 * Returns an Error for `tls.connect`'s `checkServerIdentity`, or undefined when it is.
 */
export function expectNode(cert: PeerCertificate | undefined, expected: string): Error | undefined {
  const peer = peerNode(cert, 'server');
  if (!peer.ok) return new PeerIdentityError(`mesh peer refused: ${peer.reason}`);
  if (peer.nodeName !== expected)
    return new PeerIdentityError(
      `mesh peer refused: its certificate names node ${JSON.stringify(peer.nodeName.slice(0, 64))}, not ${JSON.stringify(expected)}`,
    );
  return undefined;
}

/** The peer's certificate is not the node the sender meant to reach. */
export class PeerIdentityError extends Error {
  /** A socket-error-like code: the deliverer counts the hop as not made (nothing was sent). */
  readonly code = 'ERR_MESH_PEER_IDENTITY';
}
