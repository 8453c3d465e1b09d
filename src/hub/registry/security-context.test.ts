/**
 * securityContext validation through the registry (`testing/pod-security-fixtures.ts`), in a privileged
 * namespace so that Pod Security admits what the validation must refuse: unknown fields, Localhost
 * seccomp profiles and contradictions, each refused with the field named. Admission itself:
 * `pod-security.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { InvalidError } from '../../api/index.js';
import type { ObjectRegistry } from './object-registry.js';
import { IMAGE, pod, podSecurityRegistryPerTest } from './testing/pod-security-fixtures.js';
import { POD } from './testing/resource-types.js';

let reg: ObjectRegistry;
podSecurityRegistryPerTest((r) => (reg = r));

describe('securityContext validation', () => {
  it('refuses unknown fields, Localhost profiles and contradictions with the field named', async () => {
    const causes = async (spec: Record<string, unknown>): Promise<Array<{ field: string; message: string }>> => {
      const err = await reg.create(POD, pod('v', 'open', spec)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidError);
      return (err as InvalidError).causes;
    };
    expect(await causes({ securityContext: { seLinuxOptions: {} } })).toContainEqual(
      expect.objectContaining({ field: 'spec.securityContext.seLinuxOptions' }),
    );
    expect(
      await causes({ containers: [{ name: 'c', image: IMAGE, securityContext: { procMount: 'Unmasked' } }] }),
    ).toContainEqual(expect.objectContaining({ field: 'spec.containers[0].securityContext.procMount' }));
    expect(
      await causes({ securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } } }),
    ).toContainEqual(
      expect.objectContaining({
        field: 'spec.securityContext.seccompProfile.type',
        message: expect.stringMatching(/Unsupported value: "Localhost"/) as string,
      }),
    );
    expect(
      await causes({
        containers: [
          { name: 'c', image: IMAGE, securityContext: { privileged: true, allowPrivilegeEscalation: false } },
        ],
      }),
    ).toContainEqual(
      expect.objectContaining({
        field: 'spec.containers[0].securityContext.allowPrivilegeEscalation',
        message: 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
      }),
    );
    expect(
      await causes({
        containers: [{ name: 'c', image: IMAGE, securityContext: { capabilities: { add: ['NET_ADMINN'] } } }],
      }),
    ).toContainEqual(expect.objectContaining({ field: 'spec.containers[0].securityContext.capabilities.add[0]' }));
    expect(await causes({ securityContext: { runAsUser: -1 } })).toContainEqual(
      expect.objectContaining({ field: 'spec.securityContext.runAsUser' }),
    );
  });
});
