/** Content digests (`sha256:<hex>`, `sha512:<hex>`): computing and verifying them. */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ImagePullError } from '../api/index.js';

const ALGORITHMS: Record<string, { hex: number }> = { sha256: { hex: 64 }, sha512: { hex: 128 } };

/** Splits and validates a digest; throws ImagePullError for an unsupported or malformed one. */
export function parseDigest(digest: string): { algorithm: string; hex: string } {
  if (typeof digest !== 'string') throw new ImagePullError('a digest is not a string');
  const colon = digest.indexOf(':');
  const algorithm = colon < 0 ? digest : digest.slice(0, colon);
  const hex = colon < 0 ? '' : digest.slice(colon + 1);
  const alg = ALGORITHMS[algorithm];
  const shown = JSON.stringify(digest.slice(0, 150));
  if (!alg) throw new ImagePullError(`unsupported digest algorithm in ${shown} (sha256 or sha512)`);
  if (hex.length !== alg.hex || !/^[0-9a-f]+$/.test(hex)) throw new ImagePullError(`malformed digest ${shown}`);
  return { algorithm, hex };
}

const SHA256 = /^sha256:[0-9a-f]{64}$/;

/**
 * Checks that `value` is `sha256:` and 64 lowercase hex digits, as a diff ID, a chain ID or anything
 * else that becomes a directory name must be before it touches the disk; `what` names it in the error.
 */
export function assertSha256Digest(value: unknown, what: string): string {
  if (typeof value === 'string' && SHA256.test(value)) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 100)) : typeof value;
  throw new ImagePullError(`${what} is not a sha256 digest ("sha256:" and 64 lowercase hex digits): ${shown}`);
}

/** `sha256:<hex>` of `bytes`. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Hashes content as it streams by and checks it against the digest it must have; without an expected
 * digest it only computes the content's sha256.
 */
export class Digester {
  readonly #hash: Hash;
  readonly #algorithm: string;
  #size = 0;
  #digest: string | undefined;

  constructor(readonly expected?: string) {
    this.#algorithm = expected === undefined ? 'sha256' : parseDigest(expected).algorithm;
    this.#hash = createHash(this.#algorithm);
  }

  update(chunk: Uint8Array): void {
    this.#size += chunk.byteLength;
    this.#hash.update(chunk);
  }

  get size(): number {
    return this.#size;
  }

  /** `<algorithm>:<hex>` of the content seen; ends the hashing (later updates are refused by node:crypto). */
  digest(): string {
    this.#digest ??= `${this.#algorithm}:${this.#hash.digest('hex')}`;
    return this.#digest;
  }

  /** Throws ImagePullError when the content does not match (`what` names it in the message). */
  verify(what: string, expectedSize?: number): void {
    if (expectedSize !== undefined && expectedSize >= 0 && this.#size !== expectedSize) {
      throw new ImagePullError(`${what}: size ${this.#size} does not match the descriptor's ${expectedSize}`);
    }
    const actual = this.digest();
    if (this.expected !== undefined && actual !== this.expected)
      throw new ImagePullError(`${what}: digest mismatch (expected ${this.expected}, got ${actual})`);
  }
}

/**
 * `<algorithm>:<hex>` of a file, streamed in 1 MiB reads (a large blob does not block the event loop);
 * `expected` picks the algorithm (sha256 when absent).
 */
export async function fileDigest(path: string, expected?: string): Promise<string> {
  const d = new Digester(expected);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) d.update(chunk as Buffer);
  return d.digest();
}

/** Verifies a whole buffer against `digest`. */
export function verifyBytes(bytes: Uint8Array, digest: string, what: string, expectedSize?: number): void {
  const d = new Digester(digest);
  d.update(bytes);
  d.verify(what, expectedSize);
}
