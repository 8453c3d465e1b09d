/**
 * The controls of the Pod Security Standards that Edgeplane's pod fields can violate (see
 * pod-security.ts for the admission around them), each worded as Kubernetes words its violation.
 */
import type { PodSpec } from '../../api/index.js';

/** The Pod Security Standards, least to most restrictive. */
export const POD_SECURITY_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

/** Kubernetes' `capabilities_baseline` allow-list: the capabilities a baseline pod may add. */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

/** One violated control: its short reason and what exactly violates it. */
export interface Violation {
  reason: string;
  detail: string;
}

const quote = (xs: readonly string[]): string => xs.map((x) => JSON.stringify(x)).join(', ');
const containers = (names: readonly string[]): string =>
  `${names.length === 1 ? 'container' : 'containers'} ${quote(names)}`;
const validSeccomp = (t: string | undefined): boolean => t === 'RuntimeDefault' || t === 'Localhost';

type Check = (spec: PodSpec) => Violation | undefined;

const hostNamespaces: Check = (spec) =>
  spec.hostNetwork === true ? { reason: 'host namespaces', detail: 'hostNetwork=true' } : undefined;

const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);

const hostPathVolumes: Check = (spec) => {
  const bad = (spec.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => v.name);
  return bad.length > 0
    ? { reason: 'hostPath volumes', detail: `${plural(bad.length, 'volume', 'volumes')} ${quote(bad)}` }
    : undefined;
};

// Of the volume types Edgeplane supports, restricted allows all but hostPath.
const restrictedVolumes: Check = (spec) => {
  const bad = (spec.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => v.name);
  if (bad.length === 0) return undefined;
  const n = bad.length;
  return {
    reason: 'restricted volume types',
    detail: `${plural(n, 'volume', 'volumes')} ${quote(bad)} ${plural(n, 'uses', 'use')} restricted volume type "hostPath"`,
  };
};

const privileged: Check = (spec) => {
  const bad = spec.containers.filter((c) => c.securityContext?.privileged === true).map((c) => c.name);
  return bad.length > 0
    ? { reason: 'privileged', detail: `${containers(bad)} must not set securityContext.privileged=true` }
    : undefined;
};

const capabilitiesBaseline: Check = (spec) => {
  const bad: string[] = [];
  const caps = new Set<string>();
  for (const c of spec.containers) {
    const extra = (c.securityContext?.capabilities?.add ?? []).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
    if (extra.length === 0) continue;
    bad.push(c.name);
    for (const cap of extra) caps.add(cap);
  }
  return bad.length > 0
    ? {
        reason: 'non-default capabilities',
        detail: `${containers(bad)} must not include ${quote([...caps].sort())} in securityContext.capabilities.add`,
      }
    : undefined;
};

/** A pod- or container-level setting the pod or some containers set to a forbidden value. */
function setters(podBad: boolean, bad: readonly string[]): string {
  return [...(podBad ? ['pod'] : []), ...(bad.length > 0 ? [containers(bad)] : [])].join(' and ');
}

const seccompBaseline: Check = (spec) => {
  const podType = spec.securityContext?.seccompProfile?.type;
  const bad = spec.containers
    .filter((c) => c.securityContext?.seccompProfile?.type === 'Unconfined')
    .map((c) => c.name);
  if (podType !== 'Unconfined' && bad.length === 0) return undefined;
  return {
    reason: 'seccompProfile',
    detail: `${setters(podType === 'Unconfined', bad)} must not set securityContext.seccompProfile.type to "Unconfined"`,
  };
};

const allowPrivilegeEscalation: Check = (spec) => {
  const bad = spec.containers.filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name);
  return bad.length > 0
    ? {
        reason: 'allowPrivilegeEscalation != false',
        detail: `${containers(bad)} must set securityContext.allowPrivilegeEscalation=false`,
      }
    : undefined;
};

const capabilitiesRestricted: Check = (spec) => {
  const missingDrop = spec.containers
    .filter((c) => !(c.securityContext?.capabilities?.drop ?? []).includes('ALL'))
    .map((c) => c.name);
  const adding: string[] = [];
  const caps = new Set<string>();
  for (const c of spec.containers) {
    const extra = (c.securityContext?.capabilities?.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (extra.length === 0) continue;
    adding.push(c.name);
    for (const cap of extra) caps.add(cap);
  }
  const details: string[] = [];
  if (missingDrop.length > 0)
    details.push(`${containers(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length > 0)
    details.push(
      `${containers(adding)} must not include ${quote([...caps].sort())} in securityContext.capabilities.add`,
    );
  return details.length > 0 ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
};

const runAsNonRoot: Check = (spec) => {
  const pod = spec.securityContext?.runAsNonRoot;
  const explicit = spec.containers.filter((c) => c.securityContext?.runAsNonRoot === false).map((c) => c.name);
  if (pod === false || explicit.length > 0) {
    return {
      reason: 'runAsNonRoot != true',
      detail: `${setters(pod === false, explicit)} must not set securityContext.runAsNonRoot=false`,
    };
  }
  const implicit =
    pod === true ? [] : spec.containers.filter((c) => c.securityContext?.runAsNonRoot === undefined).map((c) => c.name);
  return implicit.length > 0
    ? {
        reason: 'runAsNonRoot != true',
        detail: `pod or ${containers(implicit)} must set securityContext.runAsNonRoot=true`,
      }
    : undefined;
};

const runAsUser: Check = (spec) => {
  const podBad = spec.securityContext?.runAsUser === 0;
  const bad = spec.containers.filter((c) => c.securityContext?.runAsUser === 0).map((c) => c.name);
  return podBad || bad.length > 0
    ? { reason: 'runAsUser=0', detail: `${setters(podBad, bad)} must not set runAsUser=0` }
    : undefined;
};

const seccompRestricted: Check = (spec) => {
  const podType = spec.securityContext?.seccompProfile?.type;
  const podBad = podType !== undefined && !validSeccomp(podType);
  const badValues = new Set<string>(podBad && podType ? [podType] : []);
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of spec.containers) {
    const t = c.securityContext?.seccompProfile?.type;
    if (t !== undefined) {
      if (!validSeccomp(t)) {
        explicit.push(c.name);
        badValues.add(t);
      }
    } else if (!validSeccomp(podType)) implicit.push(c.name);
  }
  if (podBad || explicit.length > 0) {
    return {
      reason: 'seccompProfile',
      detail: `${setters(podBad, explicit)} must not set securityContext.seccompProfile.type to ${quote([...badValues].sort())}`,
    };
  }
  return implicit.length > 0
    ? {
        reason: 'seccompProfile',
        detail: `pod or ${containers(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
      }
    : undefined;
};

// In Kubernetes' order (baseline checks by id, then restricted ones by id); restricted replaces the
// baseline capability and seccomp checks with its stricter versions.
const BASELINE: Check[] = [capabilitiesBaseline, hostNamespaces, hostPathVolumes, privileged, seccompBaseline];
const RESTRICTED: Check[] = [
  hostNamespaces,
  hostPathVolumes,
  privileged,
  restrictedVolumes,
  allowPrivilegeEscalation,
  capabilitiesRestricted,
  runAsNonRoot,
  runAsUser,
  seccompRestricted,
];

/** Every control of `level` that `spec` violates, in Kubernetes' order. */
export function podSecurityViolations(level: PodSecurityLevel, spec: PodSpec): Violation[] {
  const checks = level === 'restricted' ? RESTRICTED : level === 'baseline' ? BASELINE : [];
  return checks.map((check) => check(spec)).filter((v): v is Violation => v !== undefined);
}
