/**
 * Checks of runtime-wasm's on-disk caches: a cache entry may be torn (a power cut before its data
 * reached the disk, written by a version that did not flush, a disk fault). An entry is trusted
 * only after its content matched its digest once in this process; one that does not match is
 * removed and fetched or transpiled again.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** `sha256:<hex>` of a file, streamed (a large component does not block the event loop). */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** What a file should be: its size and `sha256:<hex>`. */
export interface FileDigest {
  size: number;
  sha256: string;
}

/** The digest of `bytes`, as kept in a cache entry's index. */
export function digestOf(bytes: Uint8Array): FileDigest {
  return { size: bytes.byteLength, sha256: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
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
  const actual = await fileSha256(path);
  return actual === expected.sha256 ? undefined : `content ${actual} instead of ${expected.sha256}`;
}
