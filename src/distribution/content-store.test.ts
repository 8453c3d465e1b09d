import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImagePullError } from '../api/index.js';
import { ContentStore, sha256Digest } from './index.js';

const base = mkdtempSync(join(tmpdir(), 'content-core-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const open = (layout?: (algorithm: string, hex: string) => string): Promise<ContentStore> =>
  ContentStore.open({ dir: join(base, `store-${++n}`), ...(layout ? { layout } : {}) });

describe('ContentStore (the shared core)', () => {
  it('streams, hashes and publishes under the layout asked for, in a 0700 store, keeping no temporary', async () => {
    const store = await open((algorithm, hex) => join(algorithm, `${hex}.wasm`));
    const bytes = Buffer.from('a component');
    const staged = await store.write(
      (async function* () {
        yield await Promise.resolve(bytes.subarray(0, 4));
        yield bytes.subarray(4);
      })(),
      { what: 'component' },
    );
    expect(staged).toMatchObject({ digest: sha256Digest(bytes), size: bytes.length });
    const path = await staged.publish();
    expect(path).toBe(join(store.dir, 'sha256', `${sha256Digest(bytes).slice(7)}.wasm`));
    expect(readFileSync(path, 'utf8')).toBe('a component');
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(store.dir, 'tmp'))).toEqual([]);
    expect(await store.verify(staged.digest)).toBeUndefined();
  });

  it('stops a write as soon as admit() refuses a chunk, or past the declared size, keeping nothing', async () => {
    const store = await open();
    const refused = store.write(Buffer.alloc(10), {
      what: 'blob',
      admit: (chunk) => {
        throw new Error(`no room for ${chunk} bytes`);
      },
    });
    await expect(refused).rejects.toThrow('no room for 10 bytes');
    const big = Buffer.alloc(100, 1);
    await expect(store.write(big, { expected: sha256Digest(big), size: 50, what: 'layer' })).rejects.toThrow(
      /layer: the registry sent more than the 50 bytes its descriptor declares/,
    );
    await expect(store.write(big, { expected: sha256Digest('other'), what: 'layer' })).rejects.toThrow(
      /layer: digest mismatch/,
    );
    expect(readdirSync(join(store.dir, 'tmp'))).toEqual([]);
  });

  it('reports a torn blob (re-checked on demand), a missing one, and refuses malformed digests', async () => {
    const store = await open();
    const bytes = Buffer.from('whole');
    const { digest, path } = await store.put(bytes, { expected: sha256Digest(bytes), what: 'blob' });
    writeFileSync(path, 'torn!');
    // Verified when written: trusted until asked to look again.
    expect(await store.verify(digest)).toBeUndefined();
    expect(await store.verify(digest, { recheck: true })).toMatch(/^content sha256:[0-9a-f]{64} instead of /);
    await store.remove(digest);
    expect(await store.verify(digest)).toBe('missing');
    expect(await store.has(digest)).toBe(false);
    expect(() => store.path('sha256:../../etc/passwd')).toThrow(ImagePullError);
    expect(await store.has('sha256:../../etc/passwd')).toBe(false);
  });
});
