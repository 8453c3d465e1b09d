/**
 * Authentication by client certificate, as Kubernetes' x509 authenticator: a certificate the TLS
 * handshake verified against the cluster CA (or `--client-ca-file`) names its holder. A node's
 * (`CN=system:node:X, O=system:nodes`) counts only while its key is bound to node X in the store, so
 * deleting the Node revokes it at once everywhere (API, blobs, gateway) on every hub; any other
 * certificate is a user, CN its name and O its groups.
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Principal } from '../auth/index.js';
import { certificateInfo } from '../../pki/index.js';
import type { NodeCredentials } from './node-credentials.js';
import { nodeNameOf } from './node-signer.js';

/** Kubernetes' group whose members may do anything (today: role admin). */
export const MASTERS_GROUP = 'system:masters';

/** What a connection's client certificate says about its holder. */
export type CertificateAuthentication =
  /** No certificate, or one the handshake did not verify: authenticate some other way. */
  | { kind: 'none' }
  | { kind: 'authenticated'; principal: Principal; /** sha256 hex of the certified key's SPKI. */ keyHash: string }
  /** A verified node certificate whose key is not bound to the node (deleted, or replaced): 401. */
  | { kind: 'revoked'; node: string };

interface Subject {
  commonName: string;
  organizations: string[];
  keyHash: string;
}

/** Turns verified client certificates into principals. */
export class CertificateAuthenticator {
  /** A socket's certificate is parsed once; whether its key is still bound is asked every time. */
  readonly #subjects = new WeakMap<object, Subject | null>();

  constructor(private readonly credentials: Pick<NodeCredentials, 'isBound'>) {}

  /** Authenticates the peer of `socket` (a TLS socket; anything else has no certificate). */
  async authenticate(socket: unknown): Promise<CertificateAuthentication> {
    const subject = this.#subject(socket);
    if (!subject) return { kind: 'none' };
    const node = nodeNameOf(subject.commonName, subject.organizations);
    if (node !== undefined) {
      if (!(await this.credentials.isBound(node, subject.keyHash))) return { kind: 'revoked', node };
      return { kind: 'authenticated', principal: { kind: 'node', name: node }, keyHash: subject.keyHash };
    }
    const groups = subject.organizations;
    return {
      kind: 'authenticated',
      principal: {
        kind: 'user',
        name: subject.commonName,
        role: groups.includes(MASTERS_GROUP) ? 'admin' : 'read-only',
        groups,
      },
      keyHash: subject.keyHash,
    };
  }

  #subject(socket: unknown): Subject | undefined {
    if (typeof socket !== 'object' || socket === null || !('encrypted' in socket)) return undefined;
    const tls = socket as TLSSocket;
    // Not verified (no certificate, another CA, expired): as if none was sent. Checked every time: a
    // renegotiation cannot change it under TLS 1.3, but this costs nothing.
    if (!tls.authorized) return undefined;
    const cached = this.#subjects.get(tls);
    if (cached !== undefined) return cached ?? undefined;
    let subject: Subject | null;
    try {
      const raw = tls.getPeerCertificate().raw;
      const info = certificateInfo(new X509Certificate(raw).toString());
      subject = { commonName: info.commonName, organizations: info.organizations, keyHash: info.spkiSha256 };
    } catch {
      subject = null;
    }
    this.#subjects.set(tls, subject);
    return subject ?? undefined;
  }
}
