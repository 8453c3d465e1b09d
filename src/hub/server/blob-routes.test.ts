import { createHash } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BLOB_PATH } from '../../api/index.js';
import { createHarness, type Harness } from './testdata/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

it('uploads, dedupes, downloads and heads blobs by digest', async () => {
  const bytes = new TextEncoder().encode('\0asm fake component');
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const up = await h.req('POST', BLOB_PATH, bytes, { contentType: 'application/octet-stream' });
  expect(up.status).toBe(201);
  expect(await up.json()).toEqual({ digest, size: bytes.byteLength });
  expect((await h.req('POST', BLOB_PATH, bytes, { contentType: 'application/octet-stream' })).status).toBe(200);

  const down = await h.req('GET', `${BLOB_PATH}/${digest}`, undefined, { token: h.auth.joinToken });
  expect(down.status).toBe(200);
  expect(down.headers.get('content-length')).toBe(String(bytes.byteLength));
  expect(new Uint8Array(await down.arrayBuffer())).toEqual(bytes);
  const head = await h.req('HEAD', `${BLOB_PATH}/${digest}`);
  expect(head.status).toBe(200);
  expect((await h.req('HEAD', `${BLOB_PATH}/sha256:${'1'.repeat(64)}`)).status).toBe(404);
  expect((await h.req('GET', `${BLOB_PATH}/md5:abc`)).status).toBe(400);
  // Nodes may read but not write.
  expect((await h.req('POST', BLOB_PATH, bytes, { token: h.auth.joinToken, contentType: 'application/octet-stream' })).status).toBe(403);
});

it('refuses blobs over the size limit', async () => {
  const res = await h.req('POST', BLOB_PATH, new Uint8Array(2 * 1024 * 1024), { contentType: 'application/octet-stream' });
  expect(res.status).toBe(413);
  expect((await res.json()).reason).toBe('RequestEntityTooLarge');
});
