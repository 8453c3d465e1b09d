/** Content digests (`sha256:<hex>`, `sha512:<hex>`): computing and verifying them. */
import { createHash, type Hash } from 'node:crypto';
import { ImagePullError } from '../../api/index.js';

const ALGORITHMS: Record<string, { hex: number }> = { sha256: { hex: 64 }, sha512: { hex: 128 } };

/** Splits and validates a digest; throws ImagePullError for an unsupported or malformed one. */
export function parseDigest(digest: string): { algorithm: string; hex: string } {
  const [algorithm = '', hex = ''] = digest.split(':', 2);
  const alg = ALGORITHMS[algorithm];
  if (!alg) throw new ImagePullError(`unsupported digest algorithm in "${digest}" (sha256 or sha512)`);
  if (hex.length !== alg.hex || !/^[0-9a-f]+$/.test(hex)) throw new ImagePullError(`malformed digest "${digest}"`);
  return { algorithm, hex };
}

/** `sha256:<hex>` of `bytes`. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Hashes content as it streams by and checks it against the digest it must have. */
export class Digester {
  readonly #hash: Hash;
  readonly #algorithm: string;
  #size = 0;

  constructor(readonly expected: string) {
    this.#algorithm = parseDigest(expected).algorithm;
    this.#hash = createHash(this.#algorithm);
  }

  update(chunk: Uint8Array): void {
    this.#size += chunk.byteLength;
    this.#hash.update(chunk);
  }

  get size(): number {
    return this.#size;
  }

  /** Throws ImagePullError when the content does not match (`what` names it in the message). */
  verify(what: string, expectedSize?: number): void {
    if (expectedSize !== undefined && expectedSize >= 0 && this.#size !== expectedSize) {
      throw new ImagePullError(`${what}: size ${this.#size} does not match the descriptor's ${expectedSize}`);
    }
    const actual = `${this.#algorithm}:${this.#hash.digest('hex')}`;
    if (actual !== this.expected) throw new ImagePullError(`${what}: digest mismatch (expected ${this.expected}, got ${actual})`);
  }
}

/** Verifies a whole buffer against `digest`. */
export function verifyBytes(bytes: Uint8Array, digest: string, what: string, expectedSize?: number): void {
  const d = new Digester(digest);
  d.update(bytes);
  d.verify(what, expectedSize);
}
