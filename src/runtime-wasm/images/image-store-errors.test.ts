/**
 * The errors a pod shows when the Wasm image store cannot pull, against a small in-process
 * distribution API through src/distribution's real registry client: no repository, no tag, a
 * container image, a corrupted component, missing or wrong credentials (the node's and a pod's image
 * pull secrets, which are never reused by other pulls), and references refused before the network.
 * Shared setup: testing/image-store-suite.ts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImagePullError } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { RegistryClient, RegistryCredentials } from '../../distribution/index.js';
import { ImageStore } from './image-store.js';
import { componentA, imageStoreSuite } from './testing/image-store-suite.js';
import { sha256 } from './testing/mini-registry.js';

describe('ImageStore with OCI registry references', () => {
  const suite = imageStoreSuite();
  const { dir, registry, open, ref } = suite;

  it('says what is wrong: no repository, no tag, a container image, a corrupted component, credentials', async () => {
    await expect(suite.store.pull(ref('apps/nope:1.0'))).rejects.toThrow(
      /not found: no such repository \(NAME_UNKNOWN/,
    );
    await expect(suite.store.pull(ref('apps/hello:2.0'))).rejects.toThrow(
      /not found: no such tag or digest in the repository/,
    );
    const container = await suite.store.pull(ref('apps/busybox:1.0')).catch((e: unknown) => e);
    expect(container).toBeInstanceOf(ImagePullError);
    expect(String(container)).toMatch(
      /apps\/busybox:1.0 is a container image \(config media type application\/vnd\.oci\.image\.config\.v1\+json\), not a Wasm component artifact: a container image runs with runtimeClassName: oci/,
    );

    const bad = Buffer.from('\0asm\x0d\0\x01\0 tampered in transit');
    registry.pushWasm('apps/tampered', '1.0', bad);
    registry.corrupt.add(sha256(bad));
    await expect(suite.store.pull(ref('apps/tampered:1.0'))).rejects.toThrow(/digest mismatch/);
    expect(existsSync(suite.store.pathOf(sha256(bad)))).toBe(false);
    expect(readdirSync(join(dir, 'images', 'sha256')).filter((f) => f.includes('.tmp-'))).toEqual([]);

    await expect(suite.store.pull(ref('private/hello:1.0'))).rejects.toThrow(
      /requires credentials \(basic auth\) and the node has none/,
    );
    const withCreds = await open(
      new RegistryClient({
        credentials: new RegistryCredentials([[registry.host, { username: 'ci', password: 'secret' }]]),
      }),
    );
    await expect(withCreds.pull(ref('private/hello:1.0'))).resolves.toMatchObject({ digest: sha256(componentA) });
  });

  it("tries a pod's image pull secrets before the node's credentials, never leaking them to other pulls", async () => {
    const componentC = Buffer.from('\0asm\x0d\0\x01\0 component C');
    registry.pushWasm('private/app', '1.0', componentC);
    registry.pushWasm('private/app', '2.0', componentC, 'another manifest');
    const own = await ImageStore.open(
      join(dir, 'images-secrets'),
      () => Promise.reject(new Error('no hub')),
      silentLogger(),
    );
    const doc = (user: string, password: string): string =>
      JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } });
    const wrong = doc('ci', 'not-the-password');
    const elsewhere = JSON.stringify({ auths: { 'other.example': { username: 'ci', password: 'secret' } } });
    const failed = await own.pull(ref('private/app:1.0'), { pullSecrets: [wrong] }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ImagePullError);
    expect(String(failed)).toMatch(/tried the credentials of 1 image pull secret\(s\) and the node's/);
    expect(String(failed)).not.toContain('not-the-password');
    // A document for another registry, a wrong one, then the right one: the right one pulls.
    await expect(
      own.pull(ref('private/app:1.0'), { pullSecrets: [elsewhere, 'not json', wrong, doc('ci', 'secret')] }),
    ).resolves.toMatchObject({ digest: sha256(componentC) });
    // The authorisation it earned is not reused by a pull without the secret.
    await expect(own.pull(ref('private/app:2.0'))).rejects.toThrow(/requires credentials/);
  });

  it('refuses references that cannot be pulled, without going to the network', async () => {
    await expect(suite.store.pull('Not/A Ref')).rejects.toThrow(/invalid image reference/);
    await expect(suite.store.pull('edgeplane.hub/hello.wasm:1.0')).rejects.toThrow(/pinned by digest/);
    expect(registry.requests).toEqual([]);
  });
});
