/**
 * A container's `securityContext` in Engine API terms: the `User` it is created with (checked against
 * `runAsNonRoot` as the kubelet checks it) and the HostConfig fields of the rest.
 */
import { CreateContainerError, capabilityName, errorMessage } from '../../api/index.js';
import type { OciContainerSpec } from '../adapter.js';
import type { EngineClient } from './engine-client.js';

/**
 * The `User` to create the container with (undefined: the image's), checked against
 * `runAsNonRoot` as the kubelet checks it: the uid must be known and not 0.
 */
export async function containerUser(
  client: EngineClient,
  spec: OciContainerSpec,
  what: string,
): Promise<string | undefined> {
  const { runAsUser, runAsGroup, runAsNonRoot } = spec.security;
  if (runAsUser !== undefined) {
    if (runAsNonRoot === true && runAsUser === 0)
      throw new CreateContainerError(
        `${what}: container's runAsUser breaks non-root policy`,
        undefined,
        'CreateContainerConfigError',
      );
    return runAsGroup !== undefined ? `${runAsUser}:${runAsGroup}` : String(runAsUser);
  }
  if (runAsNonRoot !== true && runAsGroup === undefined) return undefined;
  const info = await client
    .call<{ Config?: { User?: string } }>('GET', `/images/${encodeURIComponent(spec.image.digest)}/json`)
    .catch((err: unknown) => {
      throw new CreateContainerError(`${what}: cannot inspect image ${spec.image.ref}: ${errorMessage(err)}`, err);
    });
  const imageUser = info?.Config?.User ?? '';
  const name = imageUser.split(':')[0] ?? '';
  if (runAsNonRoot === true) {
    if (name === '' || name === 'root' || /^0+$/.test(name))
      throw new CreateContainerError(
        `${what}: container has runAsNonRoot and image will run as root`,
        undefined,
        'CreateContainerConfigError',
      );
    if (!/^[0-9]+$/.test(name))
      throw new CreateContainerError(
        `${what}: container has runAsNonRoot and image has non-numeric user (${name}), cannot verify user is non-root`,
        undefined,
        'CreateContainerConfigError',
      );
  }
  if (runAsGroup === undefined) return undefined;
  return `${name === '' ? '0' : name}:${runAsGroup}`;
}

/**
 * The HostConfig fields of a container's `securityContext`: capabilities, privileged, read-only
 * root, supplementary groups, no-new-privileges (on unless escalation is allowed or the container
 * is privileged, as for runc) and seccomp (the daemon's own default profile unless `Unconfined`).
 */
export function securityHostConfig(sec: OciContainerSpec['security']): Record<string, unknown> {
  const host: Record<string, unknown> = {};
  const cap = (c: string): string => (c === 'ALL' ? 'ALL' : `CAP_${capabilityName(c)}`);
  if (sec.capabilities?.add?.length) host.CapAdd = sec.capabilities.add.map(cap);
  if (sec.capabilities?.drop?.length) host.CapDrop = sec.capabilities.drop.map(cap);
  if (sec.privileged === true) host.Privileged = true;
  if (sec.readOnlyRootFilesystem === true) host.ReadonlyRootfs = true;
  if (sec.supplementalGroups?.length) host.GroupAdd = sec.supplementalGroups.map(String);
  const opts: string[] = [];
  if (sec.privileged !== true && sec.allowPrivilegeEscalation !== true) opts.push('no-new-privileges');
  if (sec.seccompProfile === 'Unconfined') opts.push('seccomp=unconfined');
  if (opts.length > 0) host.SecurityOpt = opts;
  return host;
}
