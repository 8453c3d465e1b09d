/** The HPA's three conditions, kept in Kubernetes' order, with transition times that move only on change. */
import type { HorizontalPodAutoscalerCondition } from '../../../api/index.js';

type CondType = HorizontalPodAutoscalerCondition['type'];
type CondStatus = HorizontalPodAutoscalerCondition['status'];

const ORDER: readonly CondType[] = ['AbleToScale', 'ScalingActive', 'ScalingLimited'];

/** A working copy of an HPA's conditions for one sync. */
export class HpaConditions {
  private readonly byType = new Map<CondType, HorizontalPodAutoscalerCondition>();

  constructor(
    private readonly previous: readonly HorizontalPodAutoscalerCondition[] | undefined,
    private readonly now: string,
  ) {
    for (const c of previous ?? []) this.byType.set(c.type, c);
  }

  /** Sets one condition (its transition time kept when the status is unchanged). */
  set(type: CondType, status: CondStatus, reason: string, message: string): void {
    const prev = this.previous?.find((c) => c.type === type);
    const lastTransitionTime = prev && prev.status === status ? (prev.lastTransitionTime ?? this.now) : this.now;
    this.byType.set(type, { type, status, lastTransitionTime, reason, message });
  }

  /** The conditions, in order. */
  get list(): HorizontalPodAutoscalerCondition[] {
    return ORDER.flatMap((t) => {
      const c = this.byType.get(t);
      return c ? [c] : [];
    });
  }
}
