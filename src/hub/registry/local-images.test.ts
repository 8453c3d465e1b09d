/**
 * An image written as a local file path (what kubectl sends for the examples' `./dist/x.wasm`) is
 * refused when it is new or changed, naming the field and edgectl; an object stored with one before
 * the rule can still be scaled and relabelled, and have its image fixed.
 */
import { afterEach, expect, it } from 'vitest';
import { InvalidError, type Deployment } from '../../api/index.js';
import { DEPLOY, POD } from './testing/resource-types.js';
import { openTempRegistry, type TempRegistry } from './testing/temp-registry.js';
import { deployment as webDeployment, pod } from './testing/web-objects.js';

let temp: TempRegistry | undefined;
afterEach(async () => {
  await temp?.close();
  temp = undefined;
});

/** The registry tests' Deployment `web` with `image`. */
const deployment = (image: string): Deployment => {
  const d = webDeployment(1);
  d.spec.template.spec.containers[0]!.image = image;
  return d as unknown as Deployment;
};

it('refuses a local path as a new image, in a Deployment and in a Pod, naming the field', async () => {
  temp = await openTempRegistry({ prefix: 'local-images-' });
  const reg = temp.registry;
  for (const image of ['./dist/web.wasm', '../web.wasm', '/opt/web.wasm', '~/web.wasm']) {
    const err = await reg.create(DEPLOY, deployment(image)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).message).toContain('spec.template.spec.containers[0].image');
    expect((err as InvalidError).message).toContain('`edgectl apply` uploads local .wasm files');
  }
  await expect(reg.create(POD, pod('p', { containers: [{ name: 'c', image: './c.wasm' }] }))).rejects.toThrow(
    /spec\.containers\[0\]\.image: Invalid value: "\.\/c\.wasm": a local file path/,
  );
  // References are what they always were.
  for (const image of ['web.wasm', 'ghcr.io/acme/web.wasm:1', 'edgeplane.hub/web.wasm@sha256:' + 'a'.repeat(64)])
    await expect(
      reg.create(DEPLOY, { ...deployment(image), metadata: { name: `ok-${image.length}` } }),
    ).resolves.toBeDefined();
});

it('lets an object stored with a local path before the rule be scaled and relabelled, and its image fixed, not changed to another path', async () => {
  temp = await openTempRegistry({ prefix: 'local-images-' });
  const reg = temp.registry;
  // As stored by an older hub: straight into the store.
  await temp.store.create('/registry/deployments/default/web', deployment('./dist/web.wasm'));
  const stored = await reg.get<Deployment>(DEPLOY, 'default', 'web');
  const scaled = await reg.update<Deployment>(DEPLOY, {
    ...stored,
    metadata: { ...stored.metadata, labels: { tier: 'front' } },
    spec: { ...stored.spec, replicas: 3 },
  });
  expect(scaled.spec.replicas).toBe(3);
  const template = (image: string): Deployment['spec']['template'] => ({
    ...scaled.spec.template,
    spec: { containers: [{ name: 'web', image }] },
  });
  await expect(
    reg.update(DEPLOY, { ...scaled, spec: { ...scaled.spec, template: template('./dist/other.wasm') } }),
  ).rejects.toBeInstanceOf(InvalidError);
  const fixed = await reg.update<Deployment>(DEPLOY, {
    ...scaled,
    spec: { ...scaled.spec, template: template('ghcr.io/acme/web.wasm:1') },
  });
  expect(fixed.spec.template.spec.containers[0]?.image).toBe('ghcr.io/acme/web.wasm:1');
});
