/**
 * Authentication by client certificate, as Kubernetes' x509 authenticator: a certificate the TLS
 * handshake verified against the cluster CA (or `--client-ca-file`) names its holder. A node's
 * (`CN=system:node:X, O=system:nodes`) counts only while its key is bound to node X in the store, so
 * deleting the Node revokes it at once everywhere (API, blobs, gateway) on every hub; any other
 * certificate is a user, CN its name and O its groups.
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { systemClock, type Clock } from '../../api/index.js';
import { userPrincipal, type Principal } from '../auth/index.js';
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
  /** The certificate's validity (ms since the epoch): outside it the cached identity is not served. */
  notBefore: number;
  notAfter: number;
}

/**
 * Certificates whose parsed subject is kept. Parsing one costs ~2–6 ms of CPU (bench/hub-handshake.ts:
 * a first authenticated request cost 7.3 ms against 2.6 ms unauthenticated), and every node presents
 * the same certificate on each reconnect: a storm of 10,000 nodes would spend a minute parsing.
 * Enough for a fleet's nodes; the least recently used entry goes first.
 */
const DEFAULT_MAX_CACHED_CERTIFICATES = 20_000;

/** What the authenticator needs besides the credentials. */
export interface CertificateAuthenticatorOptions {
  /** Time for the validity check of cached certificates (the system clock by default). */
  clock?: Clock;
  /** Certificates whose identity is kept across connections (default 20,000). */
  maxCached?: number;
}

/**
 * Turns verified client certificates into principals. What a certificate says is parsed once per
 * certificate (by the sha256 of its DER, across connections and reconnects) and served from the cache
 * only within the certificate's validity; what it may do is asked every time: a node's key must still
 * be bound to its Node (deleting the Node revokes it), so a revoked certificate is never let in from
 * the cache.
 */
export class CertificateAuthenticator {
  /** A socket's certificate is looked up once; whether its key is still bound is asked every time. */
  readonly #subjects = new WeakMap<object, Subject | null>();
  /** Parsed subjects by sha256 of the certificate's DER, across connections (bounded, least recently used first). */
  readonly #byDigest = new Map<string, Subject | null>();
  readonly #clock: Clock;
  readonly #max: number;
  #parsed = 0;

  constructor(
    private readonly credentials: Pick<NodeCredentials, 'isBound'>,
    opts: CertificateAuthenticatorOptions = {},
  ) {
    this.#clock = opts.clock ?? systemClock;
    this.#max = Math.max(1, opts.maxCached ?? DEFAULT_MAX_CACHED_CERTIFICATES);
  }

  /** Certificates whose identity is cached (for tests and metrics). */
  get cachedCertificates(): number {
    return this.#byDigest.size;
  }

  /** Certificates parsed so far: cache misses (for tests and metrics). */
  get parsedCertificates(): number {
    return this.#parsed;
  }

  /** Authenticates the peer of `socket` (a TLS socket; anything else has no certificate). */
  async authenticate(socket: unknown): Promise<CertificateAuthentication> {
    const subject = this.#subject(socket);
    if (!subject) return { kind: 'none' };
    // The handshake checked the validity when the connection opened; a cached identity (and a
    // long-lived connection) must not outlive it.
    const now = this.#clock.now();
    if (now < subject.notBefore || now > subject.notAfter) return { kind: 'none' };
    const node = nodeNameOf(subject.commonName, subject.organizations);
    if (node !== undefined) {
      if (!(await this.credentials.isBound(node, subject.keyHash))) return { kind: 'revoked', node };
      return { kind: 'authenticated', principal: { kind: 'node', name: node }, keyHash: subject.keyHash };
    }
    // A user: CN its name, O its groups, as Kubernetes reads client certificates; RBAC decides the rest.
    return {
      kind: 'authenticated',
      principal: userPrincipal(subject.commonName, subject.organizations),
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
    // A resumed session carries no peer certificate (`raw` undefined): as if none was sent.
    const raw = tls.getPeerCertificate().raw as Buffer | undefined;
    if (raw === undefined) {
      this.#subjects.set(tls, null);
      return undefined;
    }
    const digest = createHash('sha256').update(raw).digest('hex');
    let subject = this.#byDigest.get(digest);
    if (subject === undefined) {
      subject = parseSubject(raw);
      this.#parsed++;
    } else this.#byDigest.delete(digest); // re-inserted below: the most recently used goes last
    // An expired certificate leaves the cache (a renewed one has another digest and is parsed anew).
    if (subject === null || this.#clock.now() <= subject.notAfter) {
      if (this.#byDigest.size >= this.#max) this.#byDigest.delete(this.#byDigest.keys().next().value!);
      this.#byDigest.set(digest, subject);
    }
    this.#subjects.set(tls, subject);
    return subject ?? undefined;
  }
}

/** The subject of a DER certificate, or null when it does not parse as one this hub understands. */
function parseSubject(raw: Buffer): Subject | null {
  try {
    const info = certificateInfo(new X509Certificate(raw).toString());
    return {
      commonName: info.commonName,
      organizations: info.organizations,
      keyHash: info.spkiSha256,
      notBefore: info.notBefore.getTime(),
      notAfter: info.notAfter.getTime(),
    };
  } catch {
    return null;
  }
}
