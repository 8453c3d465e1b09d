/**
 * Authentication by client certificate, as Kubernetes' x509 authenticator: a certificate the TLS
 * handshake verified against the cluster CA (or `--client-ca-file`) names its holder. A node's
 * (`CN=system:node:X, O=system:nodes`) counts only while its key is bound to node X in the store, so
 * deleting the Node revokes it at once everywhere (API, blobs, gateway) on every hub; any other
 * certificate is a user, CN its name and O its groups.
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { systemClock, type Clock } from '../../api/index.js';
import { userPrincipal, type Principal } from '../auth/index.js';
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

/** What a certificate says of its holder. */
export interface Subject {
  commonName: string;
  organizations: string[];
  keyHash: string;
  /** The certificate's validity (ms since the epoch): outside it the cached identity is not served. */
  notBefore: number;
  notAfter: number;
}

/**
 * Certificates whose parsed subject is kept: every node presents the same certificate on each
 * reconnect. Reading one from what TLS already parsed (`parseSubject`) costs a few µs; through
 * `@peculiar/x509`'s ASN.1 parser, as the hub did before, 1.2–3 ms (bench/fleet-certificate-parse.ts,
 * at load 14–17), which after a restart (an empty cache) every returning node paid once. Enough for a
 * fleet's nodes; the least recently used entry goes first.
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
    const peer = tls.getPeerCertificate();
    const raw = peer.raw as Buffer | undefined;
    if (raw === undefined) {
      this.#subjects.set(tls, null);
      return undefined;
    }
    const digest = createHash('sha256').update(raw).digest('hex');
    let subject = this.#byDigest.get(digest);
    if (subject === undefined) {
      subject = parseSubject(peer, raw);
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

/** A subject attribute's values from Node's certificate object (one value is a string, several an array). */
function values(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The DER prefix of a P-256 public key's SubjectPublicKeyInfo (RFC 5480), before its 65-byte point. */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

/**
 * sha256 hex of the certified key's SPKI DER. The cluster's keys are P-256 (`pki/keys.ts`), whose SPKI
 * is a fixed prefix and the uncompressed point TLS's certificate object already holds; any other key
 * (a user's certificate of another CA, say) is read with `X509Certificate`.
 */
function keyHashOf(peer: PeerCertificate, raw: Buffer): string {
  const point = peer.pubkey;
  const spki =
    peer.asn1Curve === 'prime256v1' && point?.length === 65 && point[0] === 0x04
      ? Buffer.concat([P256_SPKI_PREFIX, point])
      : new X509Certificate(raw).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

/**
 * What a certificate the TLS handshake verified says, or null when it names no holder this hub
 * understands (the rules of `pki`'s `certificateInfo`: exactly one CN of 1–256 characters, at most 32
 * O of 1–256). Read from the certificate object TLS already built (OpenSSL's parse, native): names,
 * validity and key, with no second parse. The signature and chain need no second look either: the
 * handshake checked them against the cluster CA.
 */
export function parseSubject(peer: PeerCertificate, raw: Buffer): Subject | null {
  // Node's typings say string; a subject with several values of one attribute gives an array.
  const subject = peer.subject as Partial<Record<'CN' | 'O', string | string[]>> | undefined;
  const cns = values(subject?.CN);
  const organizations = values(subject?.O);
  const commonName = cns[0];
  if (cns.length !== 1 || commonName === undefined || commonName.length === 0 || commonName.length > 256) return null;
  if (organizations.length > 32 || organizations.some((o) => o.length === 0 || o.length > 256)) return null;
  // OpenSSL's own form (`Dec  3 11:00:00 2026 GMT`), which Date reads.
  const notBefore = Date.parse(peer.valid_from);
  const notAfter = Date.parse(peer.valid_to);
  if (Number.isNaN(notBefore) || Number.isNaN(notAfter)) return null;
  try {
    return { commonName, organizations, keyHash: keyHashOf(peer, raw), notBefore, notAfter };
  } catch {
    return null;
  }
}
