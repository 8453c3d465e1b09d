/**
 * The HPA decisions that need no metrics: a target at zero (scaling disabled, or scaled to zero by its
 * idle rule) and a replica count outside [minReplicas, maxReplicas]. Split from hpa-controller.ts.
 */
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerStatus } from '../../../api/index.js';
import type { HpaConditions } from './conditions.js';
import { idleSeconds } from './idle.js';

/** The decision of one sync. */
export interface Plan {
  desired: number;
  reason: string;
}

/**
 * The plan when `current` is zero or outside the HPA's bounds (filling `conditions` and `status`), else
 * undefined: the metrics decide.
 */
export function planBounds(
  hpa: HorizontalPodAutoscaler,
  current: number,
  conditions: HpaConditions,
  status: HorizontalPodAutoscalerStatus,
): Plan | undefined {
  const min = hpa.spec.minReplicas ?? 1;
  const max = hpa.spec.maxReplicas;
  if (current === 0 && min !== 0) {
    conditions.set(
      'ScalingActive',
      'False',
      'ScalingDisabled',
      'scaling is disabled since the replica count of the target is zero',
    );
    return { desired: 0, reason: '' };
  }
  if (current === 0) {
    status.currentMetrics = [];
    conditions.set(
      'AbleToScale',
      'True',
      'ScaledToZero',
      'the target is scaled to zero; a request to a Service selecting its pods wakes it',
    );
    conditions.set(
      'ScalingActive',
      'False',
      'ScaledToZero',
      `no requests for ${idleSeconds(hpa)}s: the target is at zero replicas until a request arrives`,
    );
    return { desired: 0, reason: '' };
  }
  if (current > max) {
    conditions.set(
      'ScalingLimited',
      'True',
      'TooManyReplicas',
      'the desired replica count is more than the maximum replica count',
    );
    return { desired: max, reason: 'Current number of replicas above Spec.MaxReplicas' };
  }
  if (current < min) {
    conditions.set(
      'ScalingLimited',
      'True',
      'TooFewReplicas',
      'the desired replica count is less than the minimum replica count',
    );
    return { desired: min, reason: 'Current number of replicas below Spec.MinReplicas' };
  }
  return undefined;
}
