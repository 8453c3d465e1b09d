/**
 * What the Pod Security tests (`pod-security.test.ts`, `security-context.test.ts`) write and expect: a
 * registry with a privileged namespace `open` and a restricted one `strict` beside `default` (no label:
 * baseline), pods and namespaces as manifests, and the 403 a refused pod gets. Tests only.
 */
import { expect } from 'vitest';
import { ForbiddenError } from '../../../api/index.js';
import type { ObjectRegistry } from '../object-registry.js';
import { NS } from './resource-types.js';
import { tempRegistryPerTest } from './temp-registry.js';

export const IMAGE = 'registry.local/busybox:1';

/** A pod manifest `namespace/name` of one container running `IMAGE`; `spec` adds to or replaces its spec. */
export const pod = (name: string, namespace: string, spec: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: { containers: [{ name: 'c', image: IMAGE }], ...spec },
});

/** A namespace manifest with `labels`. */
export const namespace = (name: string, labels: Record<string, string> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});

/** A container that meets the restricted level (and adds the one capability it allows). */
export const restrictedContainer = (name: string): Record<string, unknown> => ({
  name,
  image: IMAGE,
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } },
});

/**
 * Registers a fresh registry for every test (handed to `onOpen`), with `default`, the privileged
 * namespace `open` and the restricted (v1.30) namespace `strict`.
 */
export function podSecurityRegistryPerTest(onOpen: (reg: ObjectRegistry) => void): void {
  tempRegistryPerTest({ prefix: 'pod-security-' }, async ({ registry: reg }) => {
    await reg.create(NS, namespace('open', { 'pod-security.kubernetes.io/enforce': 'privileged' }));
    await reg.create(
      NS,
      namespace('strict', {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'v1.30',
      }),
    );
    onOpen(reg);
  });
}

/** The ForbiddenError (403) `p` fails with; the test fails if it does not. */
export async function refusal(p: Promise<unknown>): Promise<ForbiddenError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ForbiddenError);
  expect((err as ForbiddenError).httpStatus).toBe(403);
  return err as ForbiddenError;
}
