/**
 * Checks of runtime-wasm's on-disk caches: a cache entry may be torn (a power cut before its data
 * reached the disk, written by a version that did not flush, a disk fault). An entry is trusted
 * only after its content matched its digest once in this process; one that does not match is
 * removed and fetched or transpiled again.
 */
import { stat } from 'node:fs/promises';
import { fileDigest, sha256Digest } from '../../distribution/index.js';

/** What a file should be: its size and `sha256:<hex>`. */
export interface FileDigest {
  size: number;
  sha256: string;
}

/** The digest of `bytes`, as kept in a cache entry's index. */
export function digestOf(bytes: Uint8Array): FileDigest {
  return { size: bytes.byteLength, sha256: sha256Digest(bytes) };
}

/** Why `path` is not what `expected` says (missing, truncated, other content), or undefined when it is. */
export async function fileMismatch(path: string, expected: FileDigest): Promise<string | undefined> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return 'missing';
  }
  if (size !== expected.size) return `${size} bytes instead of ${expected.size}`;
  const actual = await fileDigest(path);
  return actual === expected.sha256 ? undefined : `content ${actual} instead of ${expected.sha256}`;
}
