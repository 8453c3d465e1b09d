/**
 * The Wasm image store's pull policy against a small in-process distribution API, through
 * src/distribution's real registry client: a component pulled by tag is stored by its digest and a
 * known tag or digest is served without asking again, one download serves concurrent pulls, `latest`
 * is resolved on every pull, and after a restart with the registry gone known references stay local.
 * The whole path against Debian's docker-registry and a cluster is in test/oci-images.test.ts.
 * Shared setup: testing/image-store-suite.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { componentA, componentB, imageStoreSuite } from './testing/image-store-suite.js';
import { sha256 } from './testing/mini-registry.js';

describe('ImageStore with OCI registry references', () => {
  const suite = imageStoreSuite();
  const { registry, open, ref, blobFetches } = suite;

  it('pulls a component by tag, stores it by its digest, and serves a known tag or digest without asking again', async () => {
    const img = await suite.store.pull(ref('apps/hello:1.0'));
    expect(img).toEqual({ ref: ref('apps/hello:1.0'), digest: sha256(componentA), sizeBytes: componentA.length });
    expect(readFileSync(suite.store.pathOf(img.digest))).toEqual(componentA);
    expect(registry.requests).toEqual([`manifests apps/hello 1.0`, `blobs apps/hello ${sha256(componentA)}`]);

    registry.requests.length = 0;
    await expect(suite.store.pull(ref('apps/hello:1.0'))).resolves.toMatchObject({ digest: img.digest });
    await expect(suite.store.pull(ref(`apps/hello@${suite.manifestA}`))).resolves.toMatchObject({ digest: img.digest });
    expect(registry.requests).toEqual([]);
    expect(suite.store.list()).toEqual(
      expect.arrayContaining([ref('apps/hello:1.0'), ref(`apps/hello@${suite.manifestA}`), img.digest]),
    );
  });

  it('fetches a component it already holds only once, whatever manifest points at it', async () => {
    await suite.store.pull(ref('apps/hello:1.0-again'));
    expect(registry.requests).toEqual(['manifests apps/hello 1.0-again']);
  });

  it('shares one download between concurrent pulls of one reference', async () => {
    const c = Buffer.from('\0asm\x0d\0\x01\0 component C');
    registry.pushWasm('apps/concurrent', '1.0', c);
    const all = await Promise.all([1, 2, 3].map(() => suite.store.pull(ref('apps/concurrent:1.0'))));
    expect(new Set(all.map((i) => i.digest))).toEqual(new Set([sha256(c)]));
    expect(blobFetches(sha256(c))).toBe(1);
  });

  it('resolves `latest` on every pull and follows it when it moves', async () => {
    expect((await suite.store.pull(ref('apps/hello'))).digest).toBe(sha256(componentA));
    expect(registry.requests).toEqual(['manifests apps/hello latest']);
    registry.pushWasm('apps/hello', 'latest', componentB);
    const moved = await suite.store.pull(ref('apps/hello:latest'));
    expect(moved.digest).toBe(sha256(componentB));
    expect(blobFetches(sha256(componentB))).toBe(1);
    expect(suite.store.list()).toEqual(
      expect.arrayContaining([ref('apps/hello'), ref('apps/hello:latest'), sha256(componentB)]),
    );
  });

  it('after a restart with the registry gone: known tags and digests are local, `latest` needs the registry', async () => {
    await registry.stop();
    const again = await open();
    expect(again.list()).toEqual(
      expect.arrayContaining([
        ref('apps/hello:1.0'),
        ref(`apps/hello@${suite.manifestA}`),
        ref('apps/hello:latest'),
        sha256(componentA),
      ]),
    );
    await expect(again.pull(ref('apps/hello:1.0'))).resolves.toMatchObject({ digest: sha256(componentA) });
    await expect(again.pull(ref(`apps/hello@${suite.manifestA}`))).resolves.toMatchObject({
      digest: sha256(componentA),
    });
    await expect(again.pull(ref('apps/hello:latest'))).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1/);
  });
});
