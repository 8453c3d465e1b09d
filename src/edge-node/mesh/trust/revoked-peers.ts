/**
 * The node keys the hub revoked (their Nodes deleted), as the latest `revokedKeys` frame listed them:
 * a peer presenting a certificate for one of them is refused on this node's mesh port although its
 * certificate still verifies (it is unexpired and signed by the cluster CA). Entries past their
 * `notAfter` are ignored: by then no certificate for the key verifies anyway. The key of a
 * connection's certificate is hashed once per connection; whether it is revoked is asked on every
 * request, so a revocation also ends a peer's kept-alive connections' use.
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { RevokedKey } from '../../../api/index.js';

/** The sha256 (hex) of the SubjectPublicKeyInfo of a DER certificate, or undefined if it does not parse. */
export function certificateKeyHash(der: Buffer): string | undefined {
  try {
    const spki = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
    return createHash('sha256').update(spki).digest('hex');
  } catch {
    return undefined;
  }
}

/** The revoked keys this node refuses. */
export class RevokedPeers {
  #revoked = new Map<string, number>();
  readonly #keyOf = new WeakMap<TLSSocket, string | null>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Replaces the list with `keys` (the hub sends the whole list every time). */
  update(keys: readonly RevokedKey[]): void {
    this.#revoked = new Map(keys.map((k) => [k.spkiSha256, Date.parse(k.notAfter)]));
  }

  /** How many keys are listed (diagnostics, tests). */
  get size(): number {
    return this.#revoked.size;
  }

  /** Whether `keyHash` is revoked now. */
  isRevoked(keyHash: string): boolean {
    const until = this.#revoked.get(keyHash);
    return until !== undefined && !(until <= this.now());
  }

  /** Whether the peer certificate of `socket` is for a revoked key (no certificate: not revoked). */
  refuses(socket: TLSSocket): boolean {
    if (this.#revoked.size === 0) return false;
    let key = this.#keyOf.get(socket);
    if (key === undefined) {
      const raw = socket.getPeerCertificate().raw as Buffer | undefined;
      key = (raw && certificateKeyHash(raw)) ?? null;
      this.#keyOf.set(socket, key);
    }
    return key !== null && this.isRevoked(key);
  }
}
