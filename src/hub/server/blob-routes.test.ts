import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BLOB_PATH, type BlobRef } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { TokenAuth } from '../auth/index.js';
import { BlobStore } from '../blobs/index.js';
import { ObjectRegistry } from '../registry/index.js';
import { SqliteStore } from '../store/index.js';
import { createApiApp } from './app.js';
import { createHarness, fakeLogs, readJson, readStatus, type Harness } from './testdata/harness.js';

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
  expect(await readJson<BlobRef>(up)).toEqual({ digest, size: bytes.byteLength });
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
  expect(
    (await h.req('POST', BLOB_PATH, bytes, { token: h.auth.joinToken, contentType: 'application/octet-stream' }))
      .status,
  ).toBe(403);
});

it('refuses blobs over the size limit', async () => {
  const res = await h.req('POST', BLOB_PATH, new Uint8Array(2 * 1024 * 1024), {
    contentType: 'application/octet-stream',
  });
  expect(res.status).toBe(413);
  expect((await readStatus(res)).reason).toBe('RequestEntityTooLarge');
});

describe('content store limits over HTTP', () => {
  let dir: string;
  let store: SqliteStore;
  let blobs: BlobStore;
  let app: ReturnType<typeof createApiApp>;
  let token: string;
  let server: ServerType;
  let base: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'blob-routes-'));
    const logger = silentLogger();
    store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger });
    const api = new ObjectRegistry({ store, clock: { now: () => Date.now() }, logger });
    const auth = await TokenAuth.create({ dataDir: dir, logger });
    token = auth.adminToken;
    blobs = await BlobStore.create({ dir: join(dir, 'blobs'), maxBytes: 64 * 1024, quotaBytes: 100 * 1024 });
    app = createApiApp({ api, auth, blobs, logs: fakeLogs, logger, version: { gitVersion: 'test' } });
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A chunked upload (no content-length): the limits can only be applied while it streams. */
  const streamed = (chunks: number, chunkBytes: number, query = ''): Promise<Response> =>
    fetch(`${base}${BLOB_PATH}${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < chunks; i++) c.enqueue(new Uint8Array(chunkBytes).fill(i));
          c.close();
        },
      }),
      duplex: 'half',
    });
  const tmpFiles = (): string[] => readdirSync(join(dir, 'blobs', 'tmp'));

  it('answers 413 past the per-upload size and 507 past the quota while the body streams, keeping nothing', async () => {
    const tooBig = await streamed(10, 8 * 1024);
    expect(tooBig.status).toBe(413);
    expect(await readStatus(tooBig)).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
    for (let i = 0; i < 3; i++) expect((await streamed(4, 7 * 1024 + i)).status).toBe(201); // ~84 KiB stored
    const full = await streamed(4, 8 * 1024);
    expect(full.status).toBe(507);
    expect((await readStatus(full)).message).toContain('--blob-store-max-bytes');
    // The declared size is checked before the body is read.
    const declared = await app.request(BLOB_PATH, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-length': String(30 * 1024) },
      body: new Uint8Array(30 * 1024),
    });
    expect(declared.status).toBe(507);
    expect(tmpFiles()).toEqual([]);
  });

  it('refuses content that does not match ?digest=, and removes the temporary of an upload cut off mid-body', async () => {
    const bad = await streamed(1, 100, `?digest=sha256:${'a'.repeat(64)}`);
    expect(bad.status).toBe(400);
    expect((await readStatus(bad)).message).toContain('does not match its digest');
    const { hostname, port } = new URL(base);
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: hostname,
        port,
        method: 'POST',
        path: BLOB_PATH,
        headers: { authorization: `Bearer ${token}`, 'transfer-encoding': 'chunked' },
      });
      req.on('error', () => resolve());
      req.write(new Uint8Array(16 * 1024), () => {
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 100);
      });
    });
    // The server sees the reset on a later turn: poll, with room for a loaded machine.
    await vi.waitFor(
      () => {
        expect(tmpFiles()).toEqual([]);
        expect(blobs.usedBytes).toBe(0);
      },
      { timeout: 15_000, interval: 20 },
    );
  });
});
