/**
 * Pod Security admission through the registry (`testing/pod-security-fixtures.ts`: a registry on a real
 * store with a privileged and a restricted namespace): the baseline and restricted levels with every
 * violation named as Kubernetes words it, hostPath volumes, updates judged by what they add, malformed
 * namespace labels, and workloads left to their controllers. securityContext validation:
 * `security-context.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { InvalidError, type Pod, type PodSpec } from '../../api/index.js';
import type { ObjectRegistry } from './object-registry.js';
import { podSecurityViolations } from './pod-security.js';
import {
  IMAGE,
  namespace,
  pod,
  podSecurityRegistryPerTest,
  refusal,
  restrictedContainer,
} from './testing/pod-security-fixtures.js';
import { NS, POD, RS } from './testing/resource-types.js';

let reg: ObjectRegistry;
podSecurityRegistryPerTest((r) => (reg = r));

describe('Pod Security admission', () => {
  it('enforces baseline where the namespace has no label, naming every violation as Kubernetes words it', async () => {
    const err = await refusal(
      reg.create(
        POD,
        pod('x', 'default', {
          hostNetwork: true,
          securityContext: { seccompProfile: { type: 'Unconfined' } },
          containers: [
            {
              name: 'c',
              image: IMAGE,
              securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN', 'NET_ADMIN', 'CHOWN'] } },
            },
            { name: 'd', image: IMAGE, securityContext: { privileged: true, seccompProfile: { type: 'Unconfined' } } },
          ],
        }),
      ),
    );
    expect(err.message).toBe(
      'pods "x" is forbidden: violates PodSecurity "baseline:latest": ' +
        'non-default capabilities (container "c" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add), ' +
        'host namespaces (hostNetwork=true), ' +
        'privileged (containers "c", "d" must not set securityContext.privileged=true), ' +
        'seccompProfile (pod and container "d" must not set securityContext.seccompProfile.type to "Unconfined")',
    );
    await expect(reg.get(POD, 'default', 'x')).rejects.toThrow(/not found/);
    // What baseline allows: the default capabilities, RuntimeDefault, running as root.
    await reg.create(
      POD,
      pod('ok', 'default', {
        containers: [
          {
            name: 'c',
            image: IMAGE,
            securityContext: {
              capabilities: { add: ['NET_BIND_SERVICE', 'CHOWN'] },
              seccompProfile: { type: 'RuntimeDefault' },
              runAsUser: 0,
            },
          },
        ],
      }),
    );
  });

  it('allows hostPath volumes only where the namespace is privileged; configMap/secret/emptyDir everywhere', async () => {
    const volumes = [
      { name: 'host', hostPath: { path: '/var/log' } },
      { name: 'etc', hostPath: { path: '/etc', type: 'Directory' } },
      { name: 'cfg', configMap: { name: 'cfg' } },
    ];
    const base = await refusal(reg.create(POD, pod('h', 'default', { volumes })));
    expect(base.message).toBe(
      'pods "h" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volumes "host", "etc")',
    );
    const strict = await refusal(
      reg.create(POD, pod('h', 'strict', { volumes: volumes.slice(1), containers: [restrictedContainer('c')] })),
    );
    expect(strict.message).toContain('restricted volume types (volume "etc" uses restricted volume type "hostPath")');
    expect(strict.message).toContain('hostPath volumes (volume "etc")');
    const p = await reg.create<Pod>(POD, pod('h', 'open', { volumes }));
    expect(p.spec.volumes?.map((v) => v.name)).toEqual(['host', 'etc', 'cfg']);
    const fine = [
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'sec', secret: { secretName: 's' } },
      { name: 'tmp', emptyDir: { medium: 'Memory' } },
    ];
    await reg.create(POD, pod('v', 'default', { volumes: fine }));
    expect(podSecurityViolations('restricted', { containers: [], volumes: fine } as unknown as PodSpec)).toEqual([]);
  });

  it('lets a privileged namespace run anything', async () => {
    const p = await reg.create<Pod>(
      POD,
      pod('p', 'open', {
        hostNetwork: true,
        containers: [
          { name: 'c', image: IMAGE, securityContext: { privileged: true, capabilities: { add: ['ALL'] } } },
        ],
      }),
    );
    expect(p.spec.containers[0]?.securityContext?.privileged).toBe(true);
  });

  it('requires the restricted controls in a restricted namespace, with the version of its label', async () => {
    const err = await refusal(
      reg.create(
        POD,
        pod('r', 'strict', {
          containers: [
            { name: 'c', image: IMAGE },
            { name: 'd', image: IMAGE, securityContext: { runAsUser: 0, capabilities: { add: ['NET_RAW'] } } },
          ],
        }),
      ),
    );
    expect(err.message).toBe(
      'pods "r" is forbidden: violates PodSecurity "restricted:v1.30": ' +
        'allowPrivilegeEscalation != false (containers "c", "d" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (containers "c", "d" must set securityContext.capabilities.drop=["ALL"]; container "d" must not include "NET_RAW" in securityContext.capabilities.add), ' +
        'runAsNonRoot != true (pod or containers "c", "d" must set securityContext.runAsNonRoot=true), ' +
        'runAsUser=0 (container "d" must not set runAsUser=0), ' +
        'seccompProfile (pod or containers "c", "d" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    const explicit = await refusal(
      reg.create(
        POD,
        pod('r2', 'strict', {
          securityContext: { runAsNonRoot: false, seccompProfile: { type: 'Unconfined' } },
          containers: [
            {
              ...restrictedContainer('c'),
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                runAsNonRoot: false,
              },
            },
          ],
        }),
      ),
    );
    expect(explicit.message).toContain(
      'runAsNonRoot != true (pod and container "c" must not set securityContext.runAsNonRoot=false)',
    );
    expect(explicit.message).toContain(
      'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")',
    );
    // The pod level covers every container; a container may tighten it.
    await reg.create(
      POD,
      pod('good', 'strict', {
        securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [restrictedContainer('c'), restrictedContainer('d')],
      }),
    );
  });

  it('judges updates by the violations they add, so a pod admitted earlier can still be bound', async () => {
    await reg.create(
      POD,
      pod('old', 'open', { containers: [{ name: 'c', image: IMAGE, securityContext: { privileged: true } }] }),
    );
    await reg.update(NS, namespace('open', { 'pod-security.kubernetes.io/enforce': 'baseline' }));
    const cur = await reg.get<Pod>(POD, 'open', 'old');
    const bound = await reg.update<Pod>(POD, { ...cur, spec: { ...cur.spec, nodeName: 'n1' } });
    expect(bound.spec.nodeName).toBe('n1');
    const err = await refusal(reg.update(POD, { ...bound, spec: { ...bound.spec, hostNetwork: true } }));
    expect(err.message).toMatch(
      /^pods "old" is forbidden: violates PodSecurity "baseline:latest": host namespaces \(hostNetwork=true\), privileged/,
    );
  });

  it('refuses malformed pod-security labels on a namespace with 422 naming the label', async () => {
    const err = await reg
      .create(
        NS,
        namespace('bad', {
          'pod-security.kubernetes.io/enforce': 'strict',
          'pod-security.kubernetes.io/warn-version': '1.30',
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).httpStatus).toBe(422);
    expect((err as InvalidError).causes).toEqual([
      {
        field: 'metadata.labels[pod-security.kubernetes.io/enforce]',
        message: 'Invalid value: "strict": must be one of privileged, baseline, restricted',
        reason: 'FieldValueInvalid',
      },
      {
        field: 'metadata.labels[pod-security.kubernetes.io/warn-version]',
        message: 'Invalid value: "1.30": must be "latest" or "v1.x"',
        reason: 'FieldValueInvalid',
      },
    ]);
    await expect(
      reg.update(NS, namespace('open', { 'pod-security.kubernetes.io/audit': 'none' })),
    ).rejects.toBeInstanceOf(InvalidError);
  });

  it('leaves workloads to the controllers: a ReplicaSet is stored, its pods are refused when created', async () => {
    const tpl = {
      metadata: { labels: { app: 'w' } },
      spec: { containers: [{ name: 'c', image: IMAGE, securityContext: { privileged: true } }] },
    };
    const rs = await reg.create(RS, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'w', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'w' } }, template: tpl },
    });
    expect(rs.metadata.uid).toBeDefined();
    expect(podSecurityViolations('baseline', tpl.spec as PodSpec).map((v) => v.reason)).toEqual(['privileged']);
    expect(podSecurityViolations('privileged', tpl.spec as PodSpec)).toEqual([]);
  });

  it('judges by the namespace as it is now, read through the watch cache once that holds namespaces', async () => {
    await reg.list(NS); // loads the namespaces' watch cache: admission reads it from here on
    const hosty = (name: string): Record<string, unknown> =>
      pod(name, 'shifting', { hostNetwork: true, containers: [{ name: 'c', image: IMAGE }] });
    await reg.create(NS, namespace('shifting', { 'pod-security.kubernetes.io/enforce': 'restricted' }));
    await refusal(reg.create(POD, hosty('a')));
    await reg.update(NS, namespace('shifting', { 'pod-security.kubernetes.io/enforce': 'privileged' }));
    expect((await reg.create<Pod>(POD, hosty('b'))).metadata.name).toBe('b');
    await expect(reg.create(POD, pod('c', 'nowhere'))).rejects.toThrow('namespaces "nowhere" not found');
  });
});
