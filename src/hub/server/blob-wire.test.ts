/**
 * Blobs on the wire: brotli when the client accepts it (made once, kept beside the store), identity
 * otherwise, and single byte ranges with `If-Range` on either form — the real API app over a real store.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB_PATH } from '../../api/index.js';
import { request } from 'undici';
import { startTestHub, type TestHub } from '../testing/index.js';

/** About 600 KiB of text that compresses as a component does (several-fold, not absurdly). */
function compressible(): Buffer {
  const lines: string[] = [];
  let x = 7;
  for (let i = 0, size = 0; size < 600 * 1024; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const line = `export function f${i}(a) { return a * ${x % 1000} + ${i}; }\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(''));
}

const BLOB = compressible();
const DIGEST = `sha256:${createHash('sha256').update(BLOB).digest('hex')}`;
let t: TestHub;

/** An answer as a client that does not decode sees it (fetch would undo the brotli). */
interface Answer {
  status: number;
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

async function get(headers: Record<string, string> = {}): Promise<Answer> {
  const res = await request(`${t.url}${BLOB_PATH}/${DIGEST}`, {
    headers: { authorization: `Bearer ${t.adminToken}`, ...headers },
  });
  const h = res.headers;
  return {
    status: res.statusCode,
    headers: { get: (name) => (h[name] === undefined ? null : String(h[name])) },
    arrayBuffer: () => res.body.arrayBuffer(),
  };
}

beforeAll(async () => {
  t = await startTestHub();
  await t.blobs.put(BLOB);
});
afterAll(() => t.close());

describe('blob answers', () => {
  it('are brotli when accepted, encoded once and kept, identity otherwise', async () => {
    const plain = await get();
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('etag')).toBe(`"${DIGEST}"`);
    // Buffer.equals: toEqual walks a 600 KiB buffer element by element (seconds).
    expect(Buffer.from(await plain.arrayBuffer()).equals(BLOB)).toBe(true);

    const [a, b] = await Promise.all([get({ 'accept-encoding': 'gzip, br' }), get({ 'accept-encoding': 'br' })]);
    expect(a.headers.get('content-encoding')).toBe('br');
    expect(a.headers.get('vary')).toBe('Accept-Encoding');
    expect(a.headers.get('etag')).toBe(b.headers.get('etag'));
    const wire = Buffer.from(await a.arrayBuffer());
    await b.arrayBuffer();
    expect(Number(a.headers.get('content-length'))).toBe(wire.byteLength);
    expect(wire.byteLength).toBeLessThan(BLOB.byteLength / 3);
    expect(brotliDecompressSync(wire).equals(BLOB)).toBe(true);
    // One encoded file, made once: a later answer streams the same file (same mtime in its ETag).
    const dir = join(t.dir, 'blobs-encoded');
    expect(await readdir(dir)).toEqual([`${DIGEST.slice(7)}.br`]);
    const before = (await stat(join(dir, `${DIGEST.slice(7)}.br`))).mtimeMs;
    const again = await get({ 'accept-encoding': 'br' });
    await again.arrayBuffer();
    expect(again.headers.get('etag')).toBe(a.headers.get('etag'));
    expect((await stat(join(dir, `${DIGEST.slice(7)}.br`))).mtimeMs).toBe(before);
    // q=0 refuses it.
    const refused = await get({ 'accept-encoding': 'br;q=0' });
    await refused.arrayBuffer();
    expect(refused.headers.get('content-encoding')).toBeNull();
  });

  it('serve a range of either form under If-Range, the whole on a stale validator, 416 past the end', async () => {
    const whole = await get({ 'accept-encoding': 'br' });
    const wire = Buffer.from(await whole.arrayBuffer());
    const etag = whole.headers.get('etag')!;
    const part = await get({ 'accept-encoding': 'br', range: 'bytes=1000-', 'if-range': etag });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-${wire.byteLength - 1}/${wire.byteLength}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(wire.subarray(1000))).toBe(true);

    const stale = await get({ 'accept-encoding': 'br', range: 'bytes=1000-', 'if-range': `"${DIGEST}"` });
    expect(stale.status).toBe(200);
    expect(Buffer.from(await stale.arrayBuffer()).equals(wire)).toBe(true);

    const plain = await get({ range: 'bytes=70000-70099' });
    expect(plain.status).toBe(206);
    expect(plain.headers.get('content-range')).toBe(`bytes 70000-70099/${BLOB.byteLength}`);
    expect(Buffer.from(await plain.arrayBuffer())).toEqual(BLOB.subarray(70000, 70100));

    const past = await get({ range: `bytes=${BLOB.byteLength}-` });
    await past.arrayBuffer();
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${BLOB.byteLength}`);
  });
});
