/**
 * Pure rollout arithmetic of the Deployment controller (Kubernetes' deployment/util semantics):
 * resolving maxSurge/maxUnavailable, and how far the new ReplicaSet may grow and the old ones shrink.
 */
import { createHash } from 'node:crypto';
import type { Deployment, PodTemplateSpec, ReplicaSet } from '../../api/index.js';
import { canonical, jsonEqual } from '../reconcile/index.js';

/** Label carrying the template hash on ReplicaSets and their pods. */
export const TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** Annotation carrying a ReplicaSet's revision number. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/**
 * Annotations the Deployment controller never copies from a Deployment onto its ReplicaSets: Kubernetes'
 * `annotationsToSkip` (deployment/util): the last applied configuration and the controller's own
 * bookkeeping (revision, revision-history, desired-/max-replicas, the deprecated rollback request).
 */
export const SKIP_COPY_ANNOTATIONS: ReadonlySet<string> = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

/**
 * The Deployment's annotations that `rsAnnotations` lacks or holds with another value, to copy onto
 * the new ReplicaSet (so `kubernetes.io/change-cause` reaches `rollout history`); empty when none.
 * As in Kubernetes, an annotation removed from the Deployment stays on the ReplicaSet.
 */
export function annotationsToCopy(
  d: Pick<Deployment, 'metadata'>,
  rsAnnotations: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {}))
    if (!SKIP_COPY_ANNOTATIONS.has(k) && rsAnnotations[k] !== v) out[k] = v;
  return out;
}

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A stable, short hash of a pod template (the `pod-template-hash` label value). */
export function templateHash(tpl: PodTemplateSpec, collisionCount = 0): string {
  const h = createHash('sha256')
    .update(JSON.stringify(canonical(tpl)))
    .update(String(collisionCount))
    .digest();
  let s = '';
  for (let i = 0; i < 10; i++) s += ALPHABET[(h[i] ?? 0) % ALPHABET.length];
  return s;
}

/**
 * Whether a ReplicaSet's template is the Deployment's: equal without the hash label, and with an
 * empty object, an empty list or a null taken as absent (Kubernetes compares them semantically, so
 * `kubectl rollout undo`, whose Go structs write `resources: {}` and `creationTimestamp: null` into the
 * template it copies back, finds the ReplicaSet it copied it from instead of making a new one).
 */
export function templatesEqual(rsTemplate: PodTemplateSpec, depTemplate: PodTemplateSpec): boolean {
  const strip = (t: PodTemplateSpec): unknown => {
    const labels = { ...(t.metadata?.labels ?? {}) };
    delete labels[TEMPLATE_HASH_LABEL];
    return withoutEmpty({ ...t, metadata: { ...(t.metadata ?? {}), labels } });
  };
  return jsonEqual(strip(rsTemplate), strip(depTemplate));
}

/** `v` with every null, empty object and empty list member left out (undefined when nothing is left). */
function withoutEmpty(v: unknown): unknown {
  if (v === null) return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => withoutEmpty(x) ?? {});
  if (typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  let any = false;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const y = withoutEmpty(x);
    if (y === undefined) continue;
    out[k] = y;
    any = true;
  }
  return any ? out : undefined;
}

function resolve(v: number | string | undefined, total: number, roundUp: boolean, dflt: string): number {
  const val = v ?? dflt;
  if (typeof val === 'number') return val;
  const pct = Number(val.slice(0, -1)) / 100;
  return roundUp ? Math.ceil(pct * total) : Math.floor(pct * total);
}

/** maxSurge (rounded up) and maxUnavailable (rounded down); both 0 is corrected to maxUnavailable 1. */
export function surgeAndUnavailable(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  if (d.spec.strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: replicas };
  const ru = d.spec.strategy?.rollingUpdate;
  const maxSurge = resolve(ru?.maxSurge, replicas, true, '25%');
  let maxUnavailable = resolve(ru?.maxUnavailable, replicas, false, '25%');
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

const specReplicas = (rs: ReplicaSet): number => rs.spec.replicas ?? 0;
const available = (rs: ReplicaSet): number => rs.status?.availableReplicas ?? 0;

/** Desired size of the new ReplicaSet this round (rolling update). */
export function newReplicaSetTarget(d: Deployment, newRS: ReplicaSet, all: readonly ReplicaSet[]): number {
  const replicas = d.spec.replicas ?? 1;
  const current = specReplicas(newRS);
  if (current >= replicas) return replicas;
  const { maxSurge } = surgeAndUnavailable(d);
  const total = all.reduce((n, rs) => n + specReplicas(rs), 0);
  const room = replicas + maxSurge - total;
  if (room <= 0) return current;
  return current + Math.min(room, replicas - current);
}

/**
 * How many replicas the old ReplicaSets may lose this round without dropping below
 * `replicas - maxUnavailable` available pods (counting the new ReplicaSet's unavailable ones).
 */
export function oldReplicaSetsScaleDown(d: Deployment, newRS: ReplicaSet, oldRSs: readonly ReplicaSet[]): number {
  const replicas = d.spec.replicas ?? 1;
  const { maxUnavailable } = surgeAndUnavailable(d);
  const all = [newRS, ...oldRSs];
  const totalPods = all.reduce((n, rs) => n + specReplicas(rs), 0);
  const minAvailable = replicas - maxUnavailable;
  const newUnavailable = Math.max(0, specReplicas(newRS) - available(newRS));
  const maxScaledDown = totalPods - minAvailable - newUnavailable;
  return Math.max(0, maxScaledDown);
}
