/**
 * `securityContext` of a pod (`PodSecurityContext`) and of a container (`SecurityContext`): the
 * Kubernetes fields Edgeplane supports, with the API server's validation rules, and the effective
 * settings of one container (the container's fields override the pod's, as in Kubernetes).
 *
 * For Wasm pods (`runtimeClassName: wasm`) every field is accepted and ignored: a Wasm guest has no
 * uid or gid, no Linux capabilities, makes no system calls of its own (so no seccomp filter applies)
 * and sees no root filesystem, only the directories its pod grants. Ignoring them cannot widen what
 * a guest may do. Pod Security admission still judges them, as Kubernetes does for every pod.
 */
import { z } from 'zod';

/** Every Linux capability (without the `CAP_` prefix), as of Linux 6.x. */
export const LINUX_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
] as const;
const KNOWN_CAPABILITIES = new Set<string>(LINUX_CAPABILITIES);

/** `NET_ADMIN` for `NET_ADMIN` and `CAP_NET_ADMIN` (both spellings are seen in manifests); `ALL` stays `ALL`. */
export function capabilityName(cap: string): string {
  return cap.startsWith('CAP_') ? cap.slice(4) : cap;
}

const Capability = z.string().refine((c) => c === 'ALL' || KNOWN_CAPABILITIES.has(capabilityName(c)), {
  message: 'must be ALL or a Linux capability such as NET_ADMIN or SYS_TIME',
});

/** `capabilities.add` / `capabilities.drop`. */
export const Capabilities = z.strictObject({
  add: z.array(Capability).max(64).optional(),
  drop: z.array(Capability).max(64).optional(),
});
export type Capabilities = z.infer<typeof Capabilities>;

/**
 * `seccompProfile`. `RuntimeDefault` is the Docker/containerd default profile; `Unconfined` is no
 * filter. `Localhost` (a profile file on the node) is refused: nodes keep no profile directory.
 */
export const SeccompProfile = z
  .strictObject({
    type: z.enum(['RuntimeDefault', 'Unconfined', 'Localhost']),
    localhostProfile: z.string().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.type === 'Localhost') {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message:
          'Unsupported value: "Localhost": Edgeplane nodes keep no seccomp profile files; supported values: "RuntimeDefault", "Unconfined"',
      });
    } else if (p.localhostProfile !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['localhostProfile'],
        message: 'can only be set when seccomp type is Localhost',
      });
    }
  });
export type SeccompProfile = z.infer<typeof SeccompProfile>;

/** A uid or gid as Kubernetes bounds it. */
const Id = z.number().int().min(0).max(2147483647);

/** Pod-level `securityContext`: defaults for every container of the pod. */
export const PodSecurityContext = z.strictObject({
  runAsUser: Id.optional(),
  runAsGroup: Id.optional(),
  runAsNonRoot: z.boolean().optional(),
  /**
   * Group that owns the pod's configMap, secret and emptyDir volumes (group-readable, emptyDir dirs
   * setgid so new files inherit it), added to every container's supplementary groups.
   */
  fsGroup: Id.optional(),
  /** When the volumes' ownership is changed: `Always` (default) or `OnRootMismatch` (only when the volume root's differs). */
  fsGroupChangePolicy: z.enum(['OnRootMismatch', 'Always']).optional(),
  supplementalGroups: z.array(Id).max(64).optional(),
  seccompProfile: SeccompProfile.optional(),
});
export type PodSecurityContext = z.infer<typeof PodSecurityContext>;

/** Container-level `securityContext`; a field set here overrides the pod's. */
export const SecurityContext = z
  .strictObject({
    runAsUser: Id.optional(),
    runAsGroup: Id.optional(),
    runAsNonRoot: z.boolean().optional(),
    readOnlyRootFilesystem: z.boolean().optional(),
    allowPrivilegeEscalation: z.boolean().optional(),
    privileged: z.boolean().optional(),
    capabilities: Capabilities.optional(),
    seccompProfile: SeccompProfile.optional(),
  })
  .superRefine((s, ctx) => {
    // The API server's rules: escalation cannot be forbidden to a process that holds every privilege anyway.
    if (s.allowPrivilegeEscalation === false && s.privileged === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['allowPrivilegeEscalation'],
        message: 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
      });
    }
    if (
      s.allowPrivilegeEscalation === false &&
      (s.capabilities?.add ?? []).some((c) => capabilityName(c) === 'SYS_ADMIN')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['allowPrivilegeEscalation'],
        message: 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN',
      });
    }
  });
export type SecurityContext = z.infer<typeof SecurityContext>;

/** What a container runtime applies to one container: its own fields over the pod's. */
export interface EffectiveSecurity {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  /** `fsGroup` then `supplementalGroups`, without repeats. */
  supplementalGroups?: number[];
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: 'RuntimeDefault' | 'Unconfined';
}

/** Merges a pod's and a container's `securityContext` (the container wins field by field). */
export function effectiveSecurity(
  pod: PodSecurityContext | undefined,
  container: SecurityContext | undefined,
): EffectiveSecurity {
  const out: EffectiveSecurity = {};
  const p = pod ?? {};
  const c = container ?? {};
  const runAsUser = c.runAsUser ?? p.runAsUser;
  const runAsGroup = c.runAsGroup ?? p.runAsGroup;
  const runAsNonRoot = c.runAsNonRoot ?? p.runAsNonRoot;
  if (runAsUser !== undefined) out.runAsUser = runAsUser;
  if (runAsGroup !== undefined) out.runAsGroup = runAsGroup;
  if (runAsNonRoot !== undefined) out.runAsNonRoot = runAsNonRoot;
  const groups = [...new Set([...(p.fsGroup !== undefined ? [p.fsGroup] : []), ...(p.supplementalGroups ?? [])])];
  if (groups.length > 0) out.supplementalGroups = groups;
  if (c.readOnlyRootFilesystem !== undefined) out.readOnlyRootFilesystem = c.readOnlyRootFilesystem;
  if (c.allowPrivilegeEscalation !== undefined) out.allowPrivilegeEscalation = c.allowPrivilegeEscalation;
  if (c.privileged !== undefined) out.privileged = c.privileged;
  if (c.capabilities) out.capabilities = { ...c.capabilities };
  const seccomp = (c.seccompProfile ?? p.seccompProfile)?.type;
  // Localhost never passes validation; only the two supported types reach a runtime.
  if (seccomp === 'RuntimeDefault' || seccomp === 'Unconfined') out.seccompProfile = seccomp;
  return out;
}
