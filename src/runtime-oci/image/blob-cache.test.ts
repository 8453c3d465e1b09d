import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImagePullError } from '../../api/index.js';
import { sha256Digest, type Descriptor } from '../../distribution/index.js';
import { silentLogger } from '../../platform/index.js';
import { BlobCache } from './blob-cache.js';

const base = mkdtempSync(join(tmpdir(), 'content-store-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const open = (maxBlobBytes?: number): Promise<BlobCache> =>
  BlobCache.open(join(base, `store-${++n}`), {
    logger: silentLogger(),
    ...(maxBlobBytes !== undefined ? { maxBlobBytes } : {}),
  });
const desc = (bytes: Buffer, size = bytes.length): Descriptor => ({
  mediaType: 'application/octet-stream',
  digest: sha256Digest(bytes),
  size,
});

/** A source that counts what it was asked for. */
function source(chunks: Iterable<Buffer>): { pulled: number; open: () => Promise<AsyncIterable<Uint8Array>> } {
  const s = {
    pulled: 0,
    // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
    open: async () =>
      // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
      (async function* () {
        for (const c of chunks) {
          s.pulled += 1;
          yield c;
        }
      })(),
  };
  return s;
}

describe('BlobCache', () => {
  it('stores verified blobs in 0700 directories', async () => {
    const store = await open();
    const blob = Buffer.from('layer bytes');
    const path = await store.ensure(desc(blob), source([blob]).open, 'layer x');
    expect(readFileSync(path, 'utf8')).toBe('layer bytes');
    for (const dir of [join(path, '../../..'), join(path, '../..'), join(path, '..')])
      expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('aborts a download as soon as more bytes arrive than the descriptor declares', async () => {
    const store = await open();
    const chunk = Buffer.alloc(64 * 1024, 1);
    // An endless body: the download can only end by being cut off while streaming.
    const endless = source(
      (function* () {
        for (;;) yield chunk;
      })(),
    );
    const d = desc(Buffer.from('whatever'), 100 * 1024);
    const err = await store.ensure(d, endless.open, 'layer big').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImagePullError);
    expect((err as Error).message).toBe(
      'layer big: the registry sent more than the 102400 bytes its descriptor declares; download aborted',
    );
    expect(endless.pulled).toBe(2);
    expect(await store.has(d.digest)).toBe(false);
    expect(readdirSync(join(store.path(d.digest), '../../../tmp'))).toEqual([]);
  });

  it('refuses a blob declared larger than the node accepts, before downloading anything', async () => {
    const store = await open(1000);
    const src = source([Buffer.alloc(10)]);
    await expect(store.ensure(desc(Buffer.alloc(10), 5000), src.open, 'layer huge')).rejects.toThrow(
      /declares 5000 bytes, more than the 1000/,
    );
    expect(src.pulled).toBe(0);
  });

  it('refuses content that does not hash to its digest, keeping nothing', async () => {
    const store = await open();
    const good = Buffer.from('good');
    await expect(store.ensure(desc(good), source([Buffer.from('evil')]).open, 'layer y')).rejects.toThrow(
      /layer y: digest mismatch/,
    );
    expect(await store.has(desc(good).digest)).toBe(false);
  });

  it('fetches a torn blob again, and refuses to read a torn one', async () => {
    const store = await open();
    const blob = Buffer.from('the real layer');
    const path = await store.ensure(desc(blob), source([blob]).open, 'layer z');
    writeFileSync(path, 'torn');
    const again = source([blob]);
    await store.ensure(desc(blob), again.open, 'layer z');
    expect(again.pulled).toBe(1);
    expect(readFileSync(path, 'utf8')).toBe('the real layer');
    // Present and whole: not fetched.
    const none = source([blob]);
    await store.ensure(desc(blob), none.open, 'layer z');
    expect(none.pulled).toBe(0);
    const config = Buffer.from('{"config":1}');
    await store.put(sha256Digest(config), config, 'config');
    writeFileSync(store.path(sha256Digest(config)), '{"torn');
    await expect(store.read(sha256Digest(config))).rejects.toThrow(/stored blob sha256:[0-9a-f]{64}: digest mismatch/);
    expect(existsSync(store.path(sha256Digest(config)))).toBe(false);
  });

  it('refuses malformed digests before they become paths', async () => {
    const store = await open();
    for (const bad of [
      'sha256:../../x',
      'sha256:',
      `sha256:${'a'.repeat(64)}:x`,
      `SHA256:${'a'.repeat(64)}`,
      '../sha256',
    ])
      expect(() => store.path(bad)).toThrow(ImagePullError);
    await expect(store.put('sha256:../../evil', Buffer.from('x'), 'blob')).rejects.toThrow(/malformed digest/);
  });
});
