import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BadRequestError, NotFoundError, RequestTooLargeError } from '../../api/index.js';
import { BlobStore } from './blob-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'blobs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('stores by digest, dedupes and reads back', async () => {
  const blobs = await BlobStore.create({ dir });
  const data = new TextEncoder().encode('hello wasm');
  const hex = createHash('sha256').update(data).digest('hex');
  const r = await blobs.put(data);
  expect(r).toEqual({ digest: `sha256:${hex}`, size: data.byteLength, created: true });
  const again = await blobs.put(new Blob([data]).stream());
  expect(again.created).toBe(false);
  expect(await blobs.has(r.digest)).toBe(true);
  const o = await blobs.open(r.digest);
  expect(o.size).toBe(10);
  expect(await text(o.stream)).toBe('hello wasm');
  await expect(blobs.open(`sha256:${'0'.repeat(64)}`)).rejects.toBeInstanceOf(NotFoundError);
  await expect(blobs.open('sha256:../../etc/passwd')).rejects.toBeInstanceOf(BadRequestError);
});

it('refuses blobs over the limit and leaves nothing behind', async () => {
  const blobs = await BlobStore.create({ dir, maxBytes: 8 });
  async function* gen() {
    yield new Uint8Array(5);
    yield new Uint8Array(5);
  }
  await expect(blobs.put(gen())).rejects.toBeInstanceOf(RequestTooLargeError);
  expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  expect(readdirSync(join(dir, 'sha256'))).toEqual([]);
});
