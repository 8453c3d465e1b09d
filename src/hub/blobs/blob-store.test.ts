import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BadRequestError, NotFoundError, RequestTooLargeError } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { BlobGarbageCollector, BlobQuotaExceededError, BlobStore, imagesOf } from './index.js';

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
  // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
  async function* gen() {
    yield new Uint8Array(5);
    yield new Uint8Array(5);
  }
  await expect(blobs.put(gen())).rejects.toBeInstanceOf(RequestTooLargeError);
  expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  expect(readdirSync(join(dir, 'sha256'))).toEqual([]);
});

describe('quota, garbage collection and failed uploads', () => {
  const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);
  const digestOf = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const age = async (digest: string, ms: number): Promise<void> => {
    const t = new Date(Date.now() - ms);
    await utimes(join(dir, 'sha256', digest.slice(7)), t, t);
  };

  it('refuses (507) an upload that would pass the quota while it streams, keeping nothing; room comes back when blobs are collected', async () => {
    const blobs = await BlobStore.create({ dir, quotaBytes: 20 });
    const a = await blobs.put(bytes(15));
    expect(blobs.usedBytes).toBe(15);
    // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
    async function* twoChunks() {
      yield bytes(4, 2);
      yield bytes(4, 2); // passes 20 here
      throw new Error('the store should have stopped reading before this');
    }
    const err = await blobs.put(twoChunks()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobQuotaExceededError);
    expect((err as BlobQuotaExceededError).httpStatus).toBe(507);
    expect((err as Error).message).toContain(
      'this upload (8 bytes so far) would pass its quota of 20 bytes (--blob-store-max-bytes; 15 bytes stored)',
    );
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(blobs.usedBytes).toBe(15);
    await age(a.digest, 10_000);
    expect((await blobs.collect(new Set(), Date.now() - 5000)).map((b) => b.digest)).toEqual([a.digest]);
    expect(blobs.usedBytes).toBe(0);
    expect((await blobs.put(bytes(8, 2))).created).toBe(true);
  });

  it('removes the temporary of an aborted or unverifiable upload, and stale ones at start', async () => {
    const blobs = await BlobStore.create({ dir });
    // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
    async function* aborted() {
      yield bytes(1000);
      throw new Error('client went away');
    }
    await expect(blobs.put(aborted())).rejects.toThrow('client went away');
    await expect(blobs.put(bytes(10), { expectedDigest: `sha256:${'0'.repeat(64)}` })).rejects.toThrow(
      /does not match its digest/,
    );
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(readdirSync(join(dir, 'sha256'))).toEqual([]);
    expect(blobs.usedBytes).toBe(0);
    // A crash mid-upload leaves a temporary; the next start removes it and counts what is stored.
    await blobs.put(bytes(7));
    writeFileSync(join(dir, 'tmp', 'left-by-a-crash'), 'partial');
    const again = await BlobStore.create({ dir });
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(again.usedBytes).toBe(7);
  });

  it('collects an old unreferenced blob, not a referenced one nor one just (re-)uploaded', async () => {
    const blobs = await BlobStore.create({ dir });
    const used = await blobs.put(bytes(3, 1));
    const unused = await blobs.put(bytes(3, 2));
    const reuploaded = await blobs.put(bytes(3, 3));
    const fresh = await blobs.put(bytes(3, 4));
    for (const d of [used.digest, unused.digest, reuploaded.digest]) await age(d, 2 * 3600_000);
    expect((await blobs.put(bytes(3, 3))).created).toBe(false); // renews its grace period
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: `edgeplane.hub/app.wasm@${used.digest}` }] },
    };
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'docker.io/library/nginx:1' }] } } },
    };
    const gc = new BlobGarbageCollector({
      blobs,
      objects: () => [pod, deploy],
      clock: { now: () => Date.now() },
      logger: silentLogger(),
      graceSeconds: 3600,
    });
    expect((await gc.sweep()).map((b) => b.digest)).toEqual([unused.digest]);
    for (const d of [used.digest, reuploaded.digest, fresh.digest]) expect(await blobs.has(d)).toBe(true);
    expect(await blobs.has(unused.digest)).toBe(false);
    expect(blobs.usedBytes).toBe(9);
    expect(digestOf(bytes(3, 2))).toBe(unused.digest);
  });

  it('an upload racing the collection of the same blob leaves it stored', async () => {
    const blobs = await BlobStore.create({ dir });
    const b = await blobs.put(bytes(5, 9));
    await age(b.digest, 2 * 3600_000);
    const [removed, put] = await Promise.all([blobs.collect(new Set(), Date.now() - 3600_000), blobs.put(bytes(5, 9))]);
    // Either the collection came first (and the upload stored it again) or the upload renewed it.
    expect(put.created).toBe(removed.length === 1);
    expect(await blobs.has(b.digest)).toBe(true);
    expect(blobs.usedBytes).toBe(5);
  });

  it('finds images in pods and in pod templates', () => {
    expect(
      imagesOf({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {},
        spec: { template: { spec: { containers: [{ image: 'a' }], initContainers: [{ image: 'b' }] } } },
      }),
    ).toEqual(['a', 'b']);
    expect(imagesOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} })).toEqual([]);
  });
});

it('removes a blob found damaged on disk at its first read instead of serving it', async () => {
  const first = await BlobStore.create({ dir });
  const r = await first.put(new TextEncoder().encode('a component'));
  // A disk that acknowledged a flush it did not do: after the restart the file holds other bytes.
  writeFileSync(join(dir, 'sha256', r.digest.slice(7)), 'a compo\0\0\0\0');
  const blobs = await BlobStore.create({ dir });
  expect(blobs.usedBytes).toBe(11);
  await expect(blobs.open(r.digest)).rejects.toThrow(/damaged on the hub's disk and has been removed/);
  expect(await blobs.has(r.digest)).toBe(false);
  expect(blobs.usedBytes).toBe(0);
  // Uploaded again, it is served.
  await blobs.put(new TextEncoder().encode('a component'));
  expect(await text((await blobs.open(r.digest)).stream)).toBe('a component');
});
