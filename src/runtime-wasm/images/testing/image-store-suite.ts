/**
 * The shared setup of the image-store-*.test.ts files (call it inside the file's `describe`): a
 * {@link MiniRegistry} serving `apps/hello` (1.0, 1.0-again, latest: component A), `private/hello`
 * and the container image `apps/busybox`, and an image store over it in a temporary folder, with a
 * hub of `hubBlobs`; the registry's record of requests is cleared before each test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { silentLogger } from '../../../platform/index.js';
import type { RegistryClient } from '../../../distribution/index.js';
import { ImageStore } from '../image-store.js';
import { MiniRegistry } from './mini-registry.js';

export const componentA = Buffer.from('\0asm\x0d\0\x01\0 component A');
export const componentB = Buffer.from('\0asm\x0d\0\x01\0 component B');

/** What {@link imageStoreSuite} gives a test file (`store` and `manifestA` set before its tests). */
export interface ImageStoreSuite {
  /** The temporary folder; the store's cache is `<dir>/images`. */
  readonly dir: string;
  readonly registry: MiniRegistry;
  /** What the hub serves, by digest. */
  readonly hubBlobs: Map<string, Uint8Array>;
  /** The store the tests pull through (no registry credentials). */
  readonly store: ImageStore;
  /** The digest of the manifest of `apps/hello:1.0`. */
  readonly manifestA: string;
  /** Opens another store on the same cache, with `client` for registries if given. */
  readonly open: (client?: RegistryClient) => Promise<ImageStore>;
  /** `path` at the registry (`<host>/<path>`). */
  readonly ref: (path: string) => string;
  /** How many times the registry was asked for blob `digest` since the test began. */
  readonly blobFetches: (digest: string) => number;
}

/** Registers the file's set-up and tear-down and returns what its tests use. */
export function imageStoreSuite(): ImageStoreSuite {
  const dir = mkdtempSync(join(tmpdir(), 'edge-wasm-images-'));
  const registry = new MiniRegistry();
  const hubBlobs = new Map<string, Uint8Array>();
  let store: ImageStore;
  let manifestA = '';
  const open = (client?: RegistryClient): Promise<ImageStore> =>
    ImageStore.open(
      join(dir, 'images'),
      async (d) => hubBlobs.get(d) ?? Promise.reject(new Error(`hub has no ${d}`)),
      silentLogger(),
      client ? { registry: client } : {},
    );

  beforeAll(async () => {
    await registry.start();
    manifestA = registry.pushWasm('apps/hello', '1.0', componentA);
    registry.pushWasm('apps/hello', '1.0-again', componentA, 'same component, other manifest');
    registry.pushWasm('apps/hello', 'latest', componentA);
    registry.pushWasm('private/hello', '1.0', componentA);
    registry.pushContainer('apps/busybox', '1.0');
    store = await open();
  });

  afterAll(async () => {
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    registry.requests.length = 0;
  });

  return {
    dir,
    registry,
    hubBlobs,
    get store() {
      return store;
    },
    get manifestA() {
      return manifestA;
    },
    open,
    ref: (path) => `${registry.host}/${path}`,
    blobFetches: (digest) => registry.requests.filter((r) => r.startsWith('blobs ') && r.endsWith(digest)).length,
  };
}
