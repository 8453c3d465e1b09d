/**
 * `behavior`, as Kubernetes' horizontal.go applies it: recent recommendations stabilize the raw one
 * (scale up only to the lowest recommendation of the scale-up window, down only to the highest of the
 * scale-down window), then the policies cap the change per period, counted from the scale events of
 * that period. The memory is per HPA, in the controller (as in Kubernetes: a restarted hub starts it
 * afresh, with the current replicas as the first recommendation).
 */
import {
  DEFAULT_SCALE_DOWN,
  DEFAULT_SCALE_UP,
  scalingRulesWithDefaults,
  type HorizontalPodAutoscalerBehavior,
  type HPAScalingRules,
} from '../../../api/index.js';

interface Stamped {
  value: number;
  atMs: number;
}

/** Where a decision ended, for the AbleToScale and ScalingLimited conditions. */
export interface Decision {
  replicas: number;
  /** AbleToScale reason and message (stabilization). */
  stabilizedReason: string;
  stabilizedMessage: string;
  /** ScalingLimited: whether the rate or the bounds changed the stabilized count, and why. */
  limited: boolean;
  limitReason: string;
  limitMessage: string;
}

/** The arguments of one decision. */
export interface DecisionInput {
  currentReplicas: number;
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  behavior: HorizontalPodAutoscalerBehavior | undefined;
  nowMs: number;
}

type Rules = Required<HPAScalingRules>;

/** Bounded per-HPA history: recommendations and scale events older than every window are dropped. */
export class ScaleHistory {
  private readonly recommendations: Stamped[] = [];
  private readonly ups: Stamped[] = [];
  private readonly downs: Stamped[] = [];

  /** The decision for `input`; records the raw recommendation. */
  decide(input: DecisionInput): Decision {
    const up = scalingRulesWithDefaults(input.behavior?.scaleUp, DEFAULT_SCALE_UP);
    const down = scalingRulesWithDefaults(input.behavior?.scaleDown, DEFAULT_SCALE_DOWN);
    const { nowMs } = input;
    // A new HPA (or a restarted hub) must not scale down at once: the current count seeds the window.
    if (this.recommendations.length === 0 && down.stabilizationWindowSeconds > 0)
      this.recommendations.push({ value: input.currentReplicas, atMs: nowMs });
    const stabilized = this.stabilize(input, up, down);
    const changed = stabilized !== input.desiredReplicas;
    const [limited, limitReason, limitMessage] = this.limit(input, stabilized, up, down);
    this.prune(nowMs, up, down);
    return {
      replicas: limited,
      stabilizedReason: changed
        ? stabilized < input.desiredReplicas
          ? 'ScaleUpStabilized'
          : 'ScaleDownStabilized'
        : 'ReadyForNewScale',
      stabilizedMessage: changed
        ? stabilized < input.desiredReplicas
          ? 'recent recommendations were lower than current one, applying the lowest recent recommendation'
          : 'recent recommendations were higher than current one, applying the highest recent recommendation'
        : 'recommended size matches current size',
      limited: limited !== stabilized,
      limitReason,
      limitMessage,
    };
  }

  /** Records a rescale from `from` to `to` (the policies count these). */
  recordScale(from: number, to: number, nowMs: number): void {
    if (to > from) this.ups.push({ value: to - from, atMs: nowMs });
    else if (to < from) this.downs.push({ value: from - to, atMs: nowMs });
  }

  /** Forgets the scale-down window (a wake from zero must not be undone by idle recommendations). */
  resetRecommendations(value: number, nowMs: number): void {
    this.recommendations.length = 0;
    this.recommendations.push({ value, atMs: nowMs });
  }

  private stabilize(input: DecisionInput, up: Rules, down: Rules): number {
    const { nowMs, desiredReplicas } = input;
    const upCutoff = nowMs - up.stabilizationWindowSeconds * 1000;
    const downCutoff = nowMs - down.stabilizationWindowSeconds * 1000;
    let upRec = desiredReplicas;
    let downRec = desiredReplicas;
    for (const r of this.recommendations) {
      if (r.atMs > upCutoff) upRec = Math.min(upRec, r.value);
      if (r.atMs > downCutoff) downRec = Math.max(downRec, r.value);
    }
    this.recommendations.push({ value: desiredReplicas, atMs: nowMs });
    return Math.min(Math.max(input.currentReplicas, upRec), downRec);
  }

  private limit(input: DecisionInput, desired: number, up: Rules, down: Rules): [number, string, string] {
    const { currentReplicas: cur, minReplicas, maxReplicas, nowMs } = input;
    if (desired > cur) {
      const rate = Math.max(cur, this.scaleUpLimit(cur, up, nowMs));
      const [bound, reason, message] =
        maxReplicas > rate
          ? [rate, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']
          : [maxReplicas, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
      if (desired > bound) return [bound, reason, message];
    } else if (desired < cur) {
      const rate = Math.min(cur, this.scaleDownLimit(cur, down, nowMs));
      const [bound, reason, message] =
        minReplicas < rate
          ? [rate, 'ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate']
          : [minReplicas, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
      if (desired < bound) return [bound, reason, message];
    }
    return [desired, 'DesiredWithinRange', 'the desired count is within the acceptable range'];
  }

  private changeWithin(events: readonly Stamped[], periodSeconds: number, nowMs: number): number {
    const cutoff = nowMs - periodSeconds * 1000;
    let sum = 0;
    for (const e of events) if (e.atMs > cutoff) sum += e.value;
    return sum;
  }

  private periodStart(cur: number, periodSeconds: number, nowMs: number): number {
    return (
      cur - this.changeWithin(this.ups, periodSeconds, nowMs) + this.changeWithin(this.downs, periodSeconds, nowMs)
    );
  }

  private scaleUpLimit(cur: number, rules: Rules, nowMs: number): number {
    if (rules.selectPolicy === 'Disabled') return cur;
    const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
    let result = rules.selectPolicy === 'Min' ? Infinity : -Infinity;
    for (const p of rules.policies) {
      const start = this.periodStart(cur, p.periodSeconds, nowMs);
      const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
      result = pick(result, proposed);
    }
    return result;
  }

  private scaleDownLimit(cur: number, rules: Rules, nowMs: number): number {
    if (rules.selectPolicy === 'Disabled') return cur;
    // Min picks the policy allowing the least change, i.e. the highest floor.
    const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
    let result = rules.selectPolicy === 'Min' ? -Infinity : Infinity;
    for (const p of rules.policies) {
      const start = this.periodStart(cur, p.periodSeconds, nowMs);
      const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
      result = pick(result, proposed);
    }
    return result;
  }

  private prune(nowMs: number, up: Rules, down: Rules): void {
    const window = Math.max(up.stabilizationWindowSeconds, down.stabilizationWindowSeconds) * 1000;
    dropBefore(this.recommendations, nowMs - window, 1);
    const longest = Math.max(
      0,
      ...up.policies.map((p) => p.periodSeconds),
      ...down.policies.map((p) => p.periodSeconds),
    );
    dropBefore(this.ups, nowMs - longest * 1000, 0);
    dropBefore(this.downs, nowMs - longest * 1000, 0);
  }
}

/** Drops entries at or before `cutoff`, keeping the newest `keep`. */
function dropBefore(list: Stamped[], cutoff: number, keep: number): void {
  let n = 0;
  while (n < list.length - keep && (list[n]?.atMs ?? Infinity) <= cutoff) n++;
  if (n > 0) list.splice(0, n);
}
