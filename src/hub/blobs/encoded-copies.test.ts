/**
 * Encoded copies go with their blob (`encoded-copies.ts`): real files, the real store and the real
 * `BlobEncodings` that makes the brotli copies the hub serves.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobEncodings } from '../server/index.js';
import { BlobStore } from './index.js';

let root: string;
let dir: string;
let encodedDir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'blob-copies-'));
  dir = join(root, 'blobs');
  encodedDir = join(root, 'blobs-encoded');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Stores `data` and has its encoded copy made as a GET accepting `br` would. */
async function storeEncoded(blobs: BlobStore, data: Uint8Array): Promise<string> {
  const { digest, size } = await blobs.put(data);
  await new BlobEncodings({ dir: blobs.encodedDir }).encoded(digest, size, () => blobs.open(digest));
  return digest.slice('sha256:'.length);
}
const old = async (hex: string): Promise<void> => {
  const t = new Date(Date.now() - 3_600_000);
  await utimes(join(dir, 'sha256', hex), t, t);
};

describe('encoded copies of blobs', () => {
  it('are removed with their blob when it is collected: a brotli copy and an identity marker', async () => {
    const blobs = await BlobStore.create({ dir });
    expect(blobs.encodedDir).toBe(encodedDir);
    const text = await storeEncoded(blobs, new TextEncoder().encode('a compressible component '.repeat(200)));
    const noise = await storeEncoded(blobs, randomBytes(4096));
    const kept = await storeEncoded(blobs, new TextEncoder().encode('another component, still used '.repeat(100)));
    expect(readdirSync(encodedDir).sort()).toEqual([`${kept}.br`, `${noise}.identity`, `${text}.br`].sort());
    for (const hex of [text, noise, kept]) await old(hex);
    const removed = await blobs.collect(new Set([`sha256:${kept}`]), Date.now());
    expect(removed.map((b) => b.digest).sort()).toEqual([`sha256:${text}`, `sha256:${noise}`].sort());
    expect(readdirSync(encodedDir)).toEqual([`${kept}.br`]);
  });

  it('left by an older version or a crash are swept at start; other files and stored blobs’ copies stay', async () => {
    const first = await BlobStore.create({ dir });
    const kept = await storeEncoded(first, new TextEncoder().encode('a kept component '.repeat(200)));
    const gone = 'a'.repeat(64);
    const names = [`${gone}.br`, `${'b'.repeat(64)}.identity`, `${kept}.br.4242.tmp`, 'notes.txt', `${gone}.zst`];
    for (const n of names) writeFileSync(join(encodedDir, n), 'x');
    await BlobStore.create({ dir });
    expect(readdirSync(encodedDir).sort()).toEqual([`${kept}.br`, 'notes.txt', `${gone}.zst`].sort());
  });

  it('finished while its blob was being removed is swept by the next collection, and go with a damaged blob', async () => {
    const blobs = await BlobStore.create({ dir });
    const hex = await storeEncoded(blobs, new TextEncoder().encode('a component '.repeat(200)));
    // A copy whose blob is gone (its making outlived the blob's removal).
    writeFileSync(join(encodedDir, `${'c'.repeat(64)}.br`), 'late');
    expect(await blobs.collect(new Set([`sha256:${hex}`]), 0)).toEqual([]);
    expect(readdirSync(encodedDir)).toEqual([`${hex}.br`]);
    // Damaged on disk: removed at its first read by a new process, and its copy with it.
    writeFileSync(join(dir, 'sha256', hex), 'torn');
    const next = await BlobStore.create({ dir });
    await expect(next.open(`sha256:${hex}`)).rejects.toThrow(/damaged/);
    expect(existsSync(join(encodedDir, `${hex}.br`))).toBe(false);
  });

  it('starts with no copies directory, and with a store directory given with a trailing slash', async () => {
    mkdirSync(dir);
    const blobs = await BlobStore.create({ dir: `${dir}/` });
    expect(blobs.encodedDir).toBe(encodedDir);
    expect(existsSync(encodedDir)).toBe(false);
  });
});
