/**
 * Real certificates for mesh tests, issued with the cluster PKI (`src/pki`) as the hub issues them:
 * a cluster CA, node certificates (`CN=system:node:<name>, O=system:nodes`, client and server
 * usage) and whatever a test needs refused — a user's certificate, another CA's, an expired one.
 */
import {
  createCa,
  generateKeyPair,
  issueCertificate,
  type CaPem,
  type CertificateUsage,
} from '../../../../pki/index.js';
import { NODES_GROUP, nodeCommonName } from '../node-peer.js';
import type { MeshTlsMaterial } from '../tls-material.js';

/** What a test certificate is issued with (defaults: a node's, valid for an hour from now). */
export interface TestCertificateOptions {
  commonName: string;
  organizations?: readonly string[];
  usages?: readonly CertificateUsage[];
  lifetimeSeconds?: number;
  /** When it is issued (the past for an expired one). */
  now?: Date;
}

/** A cluster CA for a test and the certificates it issues. */
export class TestPki {
  private constructor(readonly ca: CaPem) {}

  /** A fresh cluster CA (valid a day). */
  static async create(commonName = 'edgeplane-test-ca'): Promise<TestPki> {
    return new TestPki(
      await createCa({ commonName, lifetimeSeconds: 24 * 3600, now: new Date(Date.now() - 3600_000) }),
    );
  }

  /** A key and a certificate for it, with this CA as the trusted bundle. */
  async issue(opts: TestCertificateOptions): Promise<MeshTlsMaterial> {
    const keys = await generateKeyPair();
    const certPem = await issueCertificate({
      ca: this.ca,
      publicKeyPem: keys.publicKeyPem,
      commonName: opts.commonName,
      organizations: opts.organizations ?? [],
      usages: opts.usages ?? ['client', 'server'],
      lifetimeSeconds: opts.lifetimeSeconds ?? 3600,
      now: opts.now ?? new Date(),
    });
    return { keyPem: keys.privateKeyPem, certPem, caPem: this.ca.certPem };
  }

  /** Node `nodeName`'s material, as the hub issues it. */
  node(nodeName: string, opts: Partial<TestCertificateOptions> = {}): Promise<MeshTlsMaterial> {
    return this.issue({ commonName: nodeCommonName(nodeName), organizations: [NODES_GROUP], ...opts });
  }
}
