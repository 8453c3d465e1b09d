/**
 * Scale to zero: when an HPA with `minReplicas: 0` may take its target to zero. Only the request
 * rate decides — the target goes to zero after `autoscaling.edgeplane.io/scale-to-zero-idle-seconds`
 * (default 300) in which every running pod reported samples and none had a request. A pod without
 * a fresh sample counts as busy: missing metrics never take a workload to zero. So does a target
 * whose pods are still being made or started: one just woken from zero is starting, not idle.
 */
import {
  DEFAULT_SCALE_TO_ZERO_IDLE_SECONDS,
  SCALE_TO_ZERO_IDLE_ANNOTATION,
  type HorizontalPodAutoscaler,
  type Pod,
} from '../../../api/index.js';
import type { UsageSource } from '../../metrics/index.js';
import { hasRequestRateMetric } from './metrics.js';

/** The idle window of `hpa` in seconds. */
export function idleSeconds(hpa: HorizontalPodAutoscaler): number {
  const raw = hpa.metadata.annotations?.[SCALE_TO_ZERO_IDLE_ANNOTATION];
  const v = raw === undefined ? NaN : Number(raw);
  return Number.isSafeInteger(v) && v >= 0 ? v : DEFAULT_SCALE_TO_ZERO_IDLE_SECONDS;
}

/** Whether `hpa` scales its target to zero when idle. */
export function scalesToZero(hpa: HorizontalPodAutoscaler): boolean {
  return hpa.spec.minReplicas === 0 && hasRequestRateMetric(hpa);
}

/** Per-HPA time of the last request seen (or of the last wake), on the controller's clock. */
export class IdleTracker {
  private readonly lastActive = new Map<string, number>();

  /**
   * Observes the target's pods; answers whether it has been idle for the whole window. The first
   * observation of an HPA (a new one, or after a hub restart) starts the window.
   */
  observe(
    key: string,
    hpa: HorizontalPodAutoscaler,
    pods: readonly Pod[],
    usage: UsageSource | undefined,
    nowMs: number,
  ): boolean {
    const ns = hpa.metadata.namespace ?? 'default';
    let busy = usage === undefined;
    let live = 0;
    for (const pod of pods) {
      if (busy) break;
      const phase = pod.status?.phase;
      if (pod.metadata.deletionTimestamp !== undefined || phase === 'Succeeded' || phase === 'Failed') continue;
      live++;
      // A pod not running yet is starting (a wake just scaled the target up, say): not idle. Taking
      // it to zero would strand the requests held for it.
      if (phase !== 'Running') {
        busy = true;
        break;
      }
      const s = usage?.pod(ns, pod.metadata.name ?? '');
      busy = !s || s.uid !== pod.metadata.uid || s.requestsPerSecond > 0;
    }
    // Called with the target above zero: no live pod yet means its pods are still being made.
    if (live === 0) busy = true;
    const last = this.lastActive.get(key);
    if (busy || last === undefined) {
      this.lastActive.set(key, nowMs);
      return false;
    }
    return nowMs - last >= idleSeconds(hpa) * 1000;
  }

  /** Marks `key` active now (a wake). */
  touch(key: string, nowMs: number): void {
    this.lastActive.set(key, nowMs);
  }

  /** The last activity of `key`, if observed. */
  last(key: string): number | undefined {
    return this.lastActive.get(key);
  }

  forget(key: string): void {
    this.lastActive.delete(key);
  }
}
