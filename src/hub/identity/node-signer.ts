/**
 * Signs node certificates, as the kubelet's TLS bootstrap and K3s's node-password check do together:
 * a node sends a CSR for `CN=system:node:<name>, O=system:nodes` from a key it generated; the hub checks
 * the request, binds the key to the name in the store (a name held by another key is refused, never
 * taken over) and signs a client+server certificate for it (the mesh uses it both ways).
 */
import { isIP } from 'node:net';
import type { Clock, Logger } from '../../api/index.js';
import { BadRequestError, DnsSubdomain, ForbiddenError } from '../../api/index.js';
import { issueCertificate, parseCsr, type CaPem } from '../../pki/index.js';
import type { NodeCredentials } from './node-credentials.js';

/** A node certificate's subject: `CN=system:node:<name>`, `O=system:nodes` (Kubernetes' names). */
export const NODE_CN_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';

/** One year, the kubelet's default. */
export const DEFAULT_NODE_CERT_LIFETIME_SECONDS = 365 * 24 * 3600;

/** Who asks: a bootstrap token holder (first join), or a node renewing with the key it is bound to. */
export type NodeCertificateRequester = { kind: 'bootstrap' } | { kind: 'node'; name: string; keyHash: string };

/** A node's request for a certificate. */
export interface NodeCertificateRequest {
  /** PKCS#10 PEM. */
  csrPem: string;
  /** The node's `--address`, put in the certificate's SANs. */
  address?: string;
  requester: NodeCertificateRequester;
}

/** What the node gets: its certificate and the CA bundle that signed it. */
export interface SignedNodeCertificate {
  certificatePem: string;
  caPem: string;
}

/** What {@link NodeCertificateSigner} is built from. */
export interface NodeCertificateSignerDeps {
  /** The cluster CA (returned so the caller can read it at signing time, after a CA rotation too). */
  ca: () => CaPem;
  credentials: NodeCredentials;
  clock: Clock;
  logger: Logger;
  /** Lifetime of the certificates signed (default one year; tests use seconds). */
  lifetimeSeconds?: number;
}

/** The node name a certificate subject names, or undefined when it is not a node's. */
export function nodeNameOf(commonName: string, organizations: readonly string[]): string | undefined {
  if (!commonName.startsWith(NODE_CN_PREFIX) || !organizations.includes(NODES_GROUP)) return undefined;
  const name = commonName.slice(NODE_CN_PREFIX.length);
  return DnsSubdomain.safeParse(name).success ? name : undefined;
}

/** Checks node CSRs, binds their keys, signs them. */
export class NodeCertificateSigner {
  constructor(private readonly deps: NodeCertificateSignerDeps) {}

  /** Verifies the request, binds its key to the node name, and signs it. */
  async sign(req: NodeCertificateRequest): Promise<SignedNodeCertificate> {
    const csr = await parseCsr(req.csrPem);
    const name = csr.commonName.startsWith(NODE_CN_PREFIX) ? csr.commonName.slice(NODE_CN_PREFIX.length) : undefined;
    if (name === undefined || csr.organizations.length !== 1 || csr.organizations[0] !== NODES_GROUP) {
      throw new BadRequestError(
        `a node certificate request must be for CN=${NODE_CN_PREFIX}<node-name>, O=${NODES_GROUP} and nothing else`,
      );
    }
    if (!DnsSubdomain.safeParse(name).success) {
      throw new BadRequestError(
        `the requested node name is not valid (lower-case letters, digits, '-' and '.', at most 253 characters)`,
      );
    }
    if (req.address !== undefined && isIP(req.address) === 0) {
      throw new BadRequestError('address: not an IP address');
    }
    const r = req.requester;
    if (r.kind === 'node' && r.name !== name) {
      throw new ForbiddenError(`node "${r.name}" may renew only its own certificate, not node "${name}"'s`);
    }
    await this.deps.credentials.bind(name, csr.spkiSha256, r.kind === 'node' ? r.keyHash : undefined);
    const ca = this.deps.ca();
    const certificatePem = await issueCertificate({
      ca,
      publicKeyPem: csr.publicKeyPem,
      commonName: csr.commonName,
      organizations: [NODES_GROUP],
      dnsNames: [name],
      ...(req.address !== undefined ? { ipAddresses: [req.address] } : {}),
      usages: ['client', 'server'],
      lifetimeSeconds: this.deps.lifetimeSeconds ?? DEFAULT_NODE_CERT_LIFETIME_SECONDS,
      now: new Date(this.deps.clock.now()),
    });
    this.deps.logger.info(
      { node: name, key: csr.spkiSha256.slice(0, 16), renewal: r.kind === 'node' },
      r.kind === 'node' ? 'renewed a node certificate' : 'signed a node certificate (bootstrap)',
    );
    return { certificatePem, caPem: ca.certPem };
  }
}
