/**
 * Pod Security admission, as Kubernetes' built-in PodSecurity admission plugin: the namespace label
 * `pod-security.kubernetes.io/enforce: privileged|baseline|restricted` decides which Pod Security
 * Standard a pod must meet; a pod that does not is refused with 403 naming every violated control,
 * worded as Kubernetes words it. A namespace without the label enforces `baseline` (Kubernetes'
 * default is `privileged`; an edge fleet runs images from registries it does not control).
 *
 * Only the controls that fields Edgeplane supports can violate are evaluated (the schema refuses
 * the others: hostPID, hostIPC, hostPort, procMount, sysctls, SELinux, AppArmor):
 * baseline — host namespaces, hostPath volumes, privileged, non-default capabilities, seccomp `Unconfined`;
 * restricted — those, plus volume types other than configMap/secret/emptyDir, allowPrivilegeEscalation, capabilities drop ALL (add only
 * NET_BIND_SERVICE), runAsNonRoot, runAsUser≠0 and seccomp RuntimeDefault|Localhost. The checks read
 * the pod's spec whatever its runtime, as Kubernetes does; `audit` and `warn` labels are validated
 * but not acted on (no audit log, no Warning headers yet). The controls themselves are
 * pod-security-checks.ts's.
 */
import { ForbiddenError, type FieldCause, type PodSpec } from '../../api/index.js';
import {
  POD_SECURITY_LEVELS,
  podSecurityViolations,
  type PodSecurityLevel,
  type Violation,
} from './pod-security-checks.js';

export {
  POD_SECURITY_LEVELS,
  podSecurityViolations,
  type PodSecurityLevel,
  type Violation,
} from './pod-security-checks.js';

const LABEL_PREFIX = 'pod-security.kubernetes.io/';
/** The label whose level is enforced. */
export const ENFORCE_LABEL = `${LABEL_PREFIX}enforce`;
/** The level a namespace without {@link ENFORCE_LABEL} enforces. */
export const DEFAULT_LEVEL: PodSecurityLevel = 'baseline';

const MODES = ['enforce', 'audit', 'warn'] as const;
const VERSION = /^(latest|v1\.(0|[1-9][0-9]{0,3}))$/;

/** The policy a namespace's labels select. */
export interface NamespacePolicy {
  level: PodSecurityLevel;
  /** `latest` or `v1.N`, echoed in messages (every version is judged by the latest checks). */
  version: string;
}

/** Causes for malformed `pod-security.kubernetes.io/*` labels of a Namespace (422 on create and update). */
export function namespaceLabelCauses(labels: Record<string, string> | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const mode of MODES) {
    const level = labels?.[`${LABEL_PREFIX}${mode}`];
    if (level !== undefined && !(POD_SECURITY_LEVELS as readonly string[]).includes(level)) {
      causes.push({
        field: `metadata.labels[${LABEL_PREFIX}${mode}]`,
        message: `Invalid value: "${level}": must be one of ${POD_SECURITY_LEVELS.join(', ')}`,
        reason: 'FieldValueInvalid',
      });
    }
    const version = labels?.[`${LABEL_PREFIX}${mode}-version`];
    if (version !== undefined && !VERSION.test(version)) {
      causes.push({
        field: `metadata.labels[${LABEL_PREFIX}${mode}-version]`,
        message: `Invalid value: "${version}": must be "latest" or "v1.x"`,
        reason: 'FieldValueInvalid',
      });
    }
  }
  return causes;
}

/** The enforced policy of a namespace with `labels` (labels already validated; bad ones fall back to the default). */
export function enforcedPolicy(labels: Record<string, string> | undefined): NamespacePolicy {
  const level = labels?.[ENFORCE_LABEL];
  const version = labels?.[`${ENFORCE_LABEL}-version`];
  return {
    level: (POD_SECURITY_LEVELS as readonly string[]).includes(level ?? '')
      ? (level as PodSecurityLevel)
      : DEFAULT_LEVEL,
    version: version !== undefined && VERSION.test(version) ? version : 'latest',
  };
}

/** `violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), privileged (…)`. */
export function violationMessage(policy: NamespacePolicy, violations: readonly Violation[]): string {
  return `violates PodSecurity "${policy.level}:${policy.version}": ${violations.map((v) => `${v.reason} (${v.detail})`).join(', ')}`;
}

/**
 * Admits `pod` into a namespace labelled `namespaceLabels`, or throws ForbiddenError (403) naming
 * every violation. On update (`previous` given) only violations the update adds count, so a pod
 * admitted before its namespace was tightened can still be bound, labelled and deleted.
 */
export function admitPodSecurity(
  namespaceLabels: Record<string, string> | undefined,
  pod: { metadata: { name?: string; generateName?: string }; spec: PodSpec },
  previous?: { spec: PodSpec },
): void {
  const policy = enforcedPolicy(namespaceLabels);
  const violations = podSecurityViolations(policy.level, pod.spec);
  if (violations.length === 0) return;
  if (previous) {
    const had = new Set(podSecurityViolations(policy.level, previous.spec).map((v) => `${v.reason} (${v.detail})`));
    if (violations.every((v) => had.has(`${v.reason} (${v.detail})`))) return;
  }
  throw new ForbiddenError(
    `pods "${pod.metadata.name ?? pod.metadata.generateName ?? ''}" is forbidden: ${violationMessage(policy, violations)}`,
  );
}
