/**
 * The TLS material of a node's mesh hops: its key and certificate (client and server usage, issued
 * by the cluster CA) and the cluster CA it trusts — nothing else. Both ends speak TLS 1.3 only: every
 * node runs this code, so there is no older peer to talk to.
 */
import type { ConnectionOptions, SecureContextOptions, TlsOptions } from 'node:tls';
import { expectNode } from './node-peer.js';

/** A node's TLS material (PEM). `keyPem` is a secret: never log it. */
export interface MeshTlsMaterial {
  keyPem: string;
  certPem: string;
  /** The cluster CA bundle: the only issuer trusted for peers. */
  caPem: string;
}

/** How node-to-node hops are secured. */
export type MeshTransport =
  /** TLS both ways with the nodes' certificates; no token on the wire (a hub serving TLS). */
  | 'mtls'
  /** Plain HTTP with the cluster's mesh token in clear on every hop: only with a `--insecure-http` hub. */
  | 'insecure-token';

const MIN_VERSION = 'TLSv1.3';

/** The secure context of the mesh server (also what `setSecureContext` takes on rotation). */
export function serverContext(m: MeshTlsMaterial): SecureContextOptions {
  return { key: m.keyPem, cert: m.certPem, ca: m.caPem, minVersion: MIN_VERSION };
}

/**
 * The mesh server's TLS options: a client certificate is required and verified against the cluster
 * CA at the handshake (no certificate, another issuer, expired → the handshake fails). Without
 * material yet, every handshake fails (the server has no certificate to offer).
 */
export function serverTlsOptions(m: MeshTlsMaterial | undefined): TlsOptions {
  return {
    ...(m ? serverContext(m) : { minVersion: MIN_VERSION }),
    requestCert: true,
    rejectUnauthorized: true,
  };
}

/**
 * The options of connections to node `nodeName`'s mesh server: this node's certificate, the cluster
 * CA as the only trust anchor, and the peer's certificate checked to be that node's — its CN, not a
 * host name (nodes are reached at addresses their certificates need not list).
 */
export function clientConnectOptions(m: MeshTlsMaterial, nodeName: string): ConnectionOptions {
  return {
    key: m.keyPem,
    cert: m.certPem,
    ca: m.caPem,
    minVersion: MIN_VERSION,
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) => expectNode(cert, nodeName),
  };
}
