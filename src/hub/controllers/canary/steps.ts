/**
 * Pure rules of a canary's progress: when a Deployment has rolled out (Flagger's `IsCanaryReady`
 * messages), the weights a canary moves through, and the `Promoted` condition of each phase.
 */
import {
  rfc3339,
  type Canary,
  type CanaryPhase,
  type CanaryStatus,
  type ConditionStatus,
  type Deployment,
} from '../../../api/index.js';
import { jsonEqual, setCondition } from '../../reconcile/index.js';

/** Flagger's default `progressDeadlineSeconds`. */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/** Undefined when `d` has rolled out every replica of its current template, else what it waits for. */
export function rolloutPending(d: Deployment): string | undefined {
  const want = d.spec.replicas ?? 1;
  const s = d.status ?? {};
  const name = `${d.metadata.name ?? ''}.${d.metadata.namespace ?? 'default'}`;
  // No replica takes no traffic: a Deployment at zero is not ready to be routed to.
  if (want === 0) return `waiting for ${name} to be scaled up`;
  if ((s.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return `waiting for ${name} rollout to start`;
  const updated = s.updatedReplicas ?? 0;
  if (updated < want)
    return `waiting for ${name} rollout to finish: ${updated} out of ${want} new replicas have been updated`;
  if ((s.replicas ?? 0) > updated)
    return `waiting for ${name} rollout to finish: ${(s.replicas ?? 0) - updated} old replicas are pending termination`;
  if ((s.availableReplicas ?? 0) < updated)
    return `waiting for ${name} rollout to finish: ${s.availableReplicas ?? 0} of ${updated} updated replicas are available`;
  return undefined;
}

/** The weight that promotes: the last of `stepWeights`, else `maxWeight` (default 100). */
export function maxWeightOf(cd: Canary): number {
  const a = cd.spec.analysis;
  return a.stepWeights?.[a.stepWeights.length - 1] ?? a.maxWeight ?? 100;
}

/** The weight after `current` at a successful check (never past the maximum). */
export function nextWeight(cd: Canary, current: number): number {
  const a = cd.spec.analysis;
  const max = maxWeightOf(cd);
  if (a.stepWeights) return a.stepWeights.find((w) => w > current) ?? max;
  return Math.min(max, current + (a.stepWeight ?? max));
}

/** The `Promoted` condition Flagger writes in each phase. */
export function promotedCondition(phase: CanaryPhase): { status: ConditionStatus; reason: string; message: string } {
  switch (phase) {
    case 'Initializing':
      return {
        status: 'Unknown',
        reason: 'Initializing',
        message: 'New Deployment detected, starting initialization.',
      };
    case 'Initialized':
      return { status: 'True', reason: 'Initialized', message: 'Deployment initialization completed.' };
    case 'Succeeded':
      return {
        status: 'True',
        reason: 'Succeeded',
        message: 'Canary analysis completed successfully, promotion finished.',
      };
    case 'Failed':
      return { status: 'False', reason: 'Failed', message: 'Canary analysis failed, Deployment scaled to zero.' };
    case 'Promoting':
    case 'Finalising':
      return {
        status: 'Unknown',
        reason: 'Progressing',
        message: 'Canary analysis completed, starting primary rolling update.',
      };
    default:
      return {
        status: 'Unknown',
        reason: 'Progressing',
        message: 'New revision detected, progressing canary analysis.',
      };
  }
}

/**
 * `cd`'s status in `phase` with `fields` changed, or undefined when nothing changes. As Flagger, every
 * change moves `lastTransitionTime` (the progress deadline and the finalising wait count from it).
 */
export function nextStatus(
  cd: Canary,
  phase: CanaryPhase,
  fields: Partial<CanaryStatus>,
  nowMs: number,
): CanaryStatus | undefined {
  const before = cd.status ?? {};
  const next: CanaryStatus = { ...before, ...fields, phase, observedGeneration: cd.metadata.generation };
  const progress = (st: CanaryStatus): CanaryStatus => ({
    ...st,
    lastTransitionTime: undefined,
    conditions: undefined,
  });
  if (jsonEqual(progress(before), progress(next))) return undefined;
  const at = rfc3339(nowMs);
  next.lastTransitionTime = at;
  next.conditions = setCondition(
    before.conditions,
    { type: 'Promoted', ...promotedCondition(phase), lastUpdateTime: at },
    at,
  );
  return next;
}
