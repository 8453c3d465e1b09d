/**
 * The Wasm image store's cache by digest: a malformed digest never names a file in it, hub
 * references share it with registry ones, and it names the file of a component it holds whole (for
 * zone peers), checked first, and nothing for one torn or absent.
 * Shared setup: testing/image-store-suite.ts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImagePullError, hubImageRef } from '../../api/index.js';
import { componentB, imageStoreSuite } from './testing/image-store-suite.js';
import { sha256 } from './testing/mini-registry.js';

describe('ImageStore with OCI registry references', () => {
  const suite = imageStoreSuite();
  const { dir, hubBlobs, open } = suite;

  it('never lets a malformed digest name a file in the cache', () => {
    for (const bad of [
      'sha256:../../etc/passwd',
      'sha256:' + 'A'.repeat(64),
      'sha512:' + 'a'.repeat(128),
      'sha256:' + 'a'.repeat(63) + '/',
    ]) {
      expect(() => suite.store.pathOf(bad)).toThrow(ImagePullError);
    }
    expect(suite.store.pathOf('sha256:' + 'a'.repeat(64))).toBe(
      join(dir, 'images', 'sha256', 'a'.repeat(64) + '.wasm'),
    );
  });

  it('still pulls hub references from the hub, sharing the cache by digest', async () => {
    hubBlobs.set(sha256(componentB), componentB);
    const hubRef = hubImageRef('b.wasm', sha256(componentB));
    await expect(suite.store.pull(hubRef)).resolves.toEqual({
      ref: hubRef,
      digest: sha256(componentB),
      sizeBytes: componentB.length,
    });
    expect(suite.store.list()).toContain(hubRef);
  });

  it('names the file of a component it holds whole, for zone peers, and nothing for one torn or absent', async () => {
    const componentC = Buffer.from('\0asm peer-served component C');
    hubBlobs.set(sha256(componentC), componentC);
    await suite.store.pull(hubImageRef('c.wasm', sha256(componentC)));
    const path = await suite.store.heldPath(sha256(componentC));
    expect(path && readFileSync(path)).toEqual(componentC);
    await expect(suite.store.heldPath(sha256('never pulled'))).resolves.toBeUndefined();
    await expect(suite.store.heldPath('sha256:../../etc/passwd')).resolves.toBeUndefined();
    // A fresh process with the file torn on disk: checked before it is served, removed, not named.
    writeFileSync(path!, 'torn');
    const reopened = await open();
    await expect(reopened.heldPath(sha256(componentC))).resolves.toBeUndefined();
    expect(existsSync(path!)).toBe(false);
  });
});
