/**
 * The HorizontalPodAutoscaler controller, level-triggered as Kubernetes' `podautoscaler`: each HPA is
 * looked at when it changes and every sync period after (`--hpa-sync-period`), reads its target's
 * Scale and pods and the hub's usage intake, computes the desired replicas (metrics.ts, behavior.ts),
 * writes them through the scale subresource's code path, and reports status, conditions and events.
 * Scale to zero (idle.ts) takes a `minReplicas: 0` target to zero when idle; a Service wake brings it
 * back at once (wake.ts), not at the next sync.
 */
import {
  rfc3339,
  typeByKind,
  type Clock,
  type HorizontalPodAutoscaler,
  type HorizontalPodAutoscalerStatus,
  type Logger,
  type Pod,
  type Service,
} from '../../../api/index.js';
import type { Informer } from '../../informers/index.js';
import type { UsageSource } from '../../metrics/index.js';
import { Controller, jsonEqual, writeStatus, type EventRecorder } from '../../reconcile/index.js';
import { updateScale, type ObjectAPI } from '../../registry/index.js';
import { ScaleHistory } from './behavior.js';
import { planBounds, type Plan } from './bounds.js';
import { HpaConditions } from './conditions.js';
import { computeReplicasForMetrics } from './metrics.js';
import { IdleTracker, idleSeconds, scalesToZero } from './idle.js';
import { MetricError } from './replica-calculator.js';
import { indexPodsByNamespace, readTarget, targetPods, type Target } from './target.js';
import { wakeTargets } from './wake.js';

const keyOf = (h: HorizontalPodAutoscaler): string => `${h.metadata.namespace}/${h.metadata.name}`;
const HPA_TYPE = typeByKind('autoscaling/v2', 'HorizontalPodAutoscaler');

/** Kubernetes' default `--horizontal-pod-autoscaler-sync-period`. */
export const DEFAULT_HPA_SYNC_PERIOD_SECONDS = 15;

export interface HpaControllerDeps {
  api: ObjectAPI;
  hpas: Informer<HorizontalPodAutoscaler>;
  pods: Informer<Pod>;
  services: Informer<Service>;
  /** The hub's usage intake; without one every metric fails (FailedGetResourceMetric …). */
  usage: UsageSource | undefined;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
  /** Seconds between two looks at one HPA (default 15). */
  syncPeriodSeconds?: number;
}

/** Scales targets of HorizontalPodAutoscalers. */
export class HpaController extends Controller {
  private readonly history = new Map<string, ScaleHistory>();
  private readonly idleness = new IdleTracker();
  private readonly waking = new Set<string>();
  private readonly syncMs: number;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: HpaControllerDeps) {
    super({ name: 'hpa', logger: deps.logger, clock: deps.clock });
    this.syncMs = (deps.syncPeriodSeconds ?? DEFAULT_HPA_SYNC_PERIOD_SECONDS) * 1000;
    indexPodsByNamespace(deps.pods);
    // Its own status writes must not trigger a sync: only a new HPA, a spec or annotation change does.
    const changed = (a: HorizontalPodAutoscaler, b: HorizontalPodAutoscaler): boolean =>
      a.metadata.generation !== b.metadata.generation || !jsonEqual(a.metadata.annotations, b.metadata.annotations);
    deps.hpas.addHandler({
      onAdd: (h) => this.queue.add(keyOf(h)),
      onUpdate: (old, h) => changed(old, h) && this.queue.add(keyOf(h)),
      onDelete: (h) => this.forget(keyOf(h)),
    });
  }

  protected initialKeys(): Iterable<string> {
    return this.deps.hpas.list().map(keyOf);
  }

  override start(): void {
    this.unsubscribe = this.deps.usage?.onServiceWake((ns, svc) => void this.wake(ns, svc));
    super.start();
  }

  override stop(): Promise<string[]> {
    this.unsubscribe?.();
    return super.stop();
  }

  /** Syncs the HPA `namespace/name` now, besides its periodic sync. */
  resync(namespace: string, name: string): void {
    this.queue.add(`${namespace}/${name}`);
  }

  private forget(key: string): void {
    this.history.delete(key);
    this.idleness.forget(key);
  }

  /** A node holds a request for Service `ns/svc`: bring every idle target behind it to one replica now. */
  async wake(ns: string, svc: string): Promise<void> {
    const { api, hpas, services, events, clock, logger } = this.deps;
    logger.debug({ service: `${ns}/${svc}` }, 'scale from zero: wake');
    const woken = await wakeTargets({ api, hpas, services, events, logger, inFlight: this.waking }, ns, svc, (key) => {
      this.idleness.touch(key, clock.now());
      this.history.get(key)?.resetRecommendations(1, clock.now());
    });
    for (const key of woken) {
      this.history.get(key)?.recordScale(0, 1, clock.now());
      this.queue.add(key);
    }
  }

  protected async reconcile(key: string): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    const hpa = this.deps.hpas.get(ns, name);
    if (!hpa || hpa.metadata.deletionTimestamp) return this.forget(key);
    // Level-triggered: look again one sync period from now, whatever happens below.
    this.queue.addAfter(key, this.syncMs);
    const nowMs = this.deps.clock.now();
    const conditions = new HpaConditions(hpa.status?.conditions, rfc3339(nowMs));
    let target: Target;
    try {
      target = await readTarget(this.deps.api, hpa);
    } catch (err) {
      if (!(err instanceof MetricError)) throw err;
      conditions.set(
        'AbleToScale',
        'False',
        err.reason,
        `the HPA controller was unable to get the target's current scale: ${err.message}`,
      );
      this.deps.events.warning(hpa, err.reason, err.message);
      return this.writeStatus(hpa, {
        ...hpa.status,
        desiredReplicas: hpa.status?.desiredReplicas ?? 0,
        conditions: conditions.list,
      });
    }
    conditions.set(
      'AbleToScale',
      'True',
      'SucceededGetScale',
      "the HPA controller was able to get the target's current scale",
    );
    const current = target.scale.spec.replicas ?? 0;
    const pods = targetPods(this.deps.pods, ns, target.selector);
    const status: HorizontalPodAutoscalerStatus = {
      ...hpa.status,
      observedGeneration: hpa.metadata.generation,
      currentReplicas: target.scale.status?.replicas ?? current,
      desiredReplicas: current,
    };
    const plan = this.plan(key, hpa, current, pods, nowMs, conditions, status);
    if (plan && plan.desired !== current) {
      // A wake may have arrived while this sync decided on zero: it wins.
      if (plan.desired === 0 && nowMs - (this.idleness.last(key) ?? nowMs) < idleSeconds(hpa) * 1000) return;
      try {
        await updateScale(this.deps.api, target.type, ns, hpa.spec.scaleTargetRef.name, {
          spec: { replicas: plan.desired },
        });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        conditions.set(
          'AbleToScale',
          'False',
          'FailedUpdateScale',
          `the HPA controller was unable to update the target scale: ${msg}`,
        );
        this.deps.events.warning(
          hpa,
          'FailedRescale',
          `New size: ${plan.desired}; reason: ${plan.reason}; error: ${msg}`,
        );
        return this.writeStatus(hpa, { ...status, conditions: conditions.list });
      }
      conditions.set(
        'AbleToScale',
        'True',
        'SucceededRescale',
        `the HPA controller was able to update the target scale to ${plan.desired}`,
      );
      this.deps.events.normal(hpa, 'SuccessfulRescale', `New size: ${plan.desired}; reason: ${plan.reason}`);
      this.historyOf(key).recordScale(current, plan.desired, nowMs);
      status.lastScaleTime = rfc3339(nowMs);
      status.desiredReplicas = plan.desired;
    } else if (plan) status.desiredReplicas = plan.desired;
    await this.writeStatus(hpa, { ...status, conditions: conditions.list });
  }

  /** The desired replicas (undefined: no decision this sync), filling status and conditions. */
  private plan(
    key: string,
    hpa: HorizontalPodAutoscaler,
    current: number,
    pods: readonly Pod[],
    nowMs: number,
    conditions: HpaConditions,
    status: HorizontalPodAutoscalerStatus,
  ): Plan | undefined {
    const min = hpa.spec.minReplicas ?? 1;
    const max = hpa.spec.maxReplicas;
    const bound = planBounds(hpa, current, conditions, status);
    if (bound) return bound;
    const outcome = computeReplicasForMetrics(hpa, pods, current, this.deps.usage, nowMs);
    status.currentMetrics = outcome.statuses;
    const idle = scalesToZero(hpa) && this.idleness.observe(key, hpa, pods, this.deps.usage, nowMs);
    if (idle) {
      conditions.set(
        'ScalingActive',
        'True',
        'ValidMetricFound',
        `no requests for ${idleSeconds(hpa)}s: scaling to zero`,
      );
      this.historyOf(key).resetRecommendations(0, nowMs);
      return { desired: 0, reason: `no requests for ${idleSeconds(hpa)}s (scale to zero)` };
    }
    if (outcome.replicas === undefined) {
      const e = outcome.error ?? { reason: 'FailedGetResourceMetric', message: 'no metrics' };
      conditions.set(
        'ScalingActive',
        'False',
        e.reason,
        `the HPA was unable to compute the replica count: ${e.message}`,
      );
      this.deps.events.warning(hpa, e.reason, e.message);
      const n = hpa.spec.metrics?.length ?? 0;
      this.deps.events.warning(
        hpa,
        'FailedComputeMetricsReplicas',
        `invalid metrics (${outcome.invalid} invalid out of ${n}), first error is: ${e.message}`,
      );
      return undefined;
    }
    conditions.set(
      'ScalingActive',
      'True',
      'ValidMetricFound',
      `the HPA was able to successfully calculate a replica count from ${outcome.metricName}`,
    );
    // Below one replica only the idle rule goes (above): metrics alone never take a target to zero.
    const decision = this.historyOf(key).decide({
      currentReplicas: current,
      desiredReplicas: outcome.replicas,
      minReplicas: Math.max(1, min),
      maxReplicas: max,
      behavior: hpa.spec.behavior,
      nowMs,
    });
    conditions.set('AbleToScale', 'True', decision.stabilizedReason, decision.stabilizedMessage);
    conditions.set('ScalingLimited', decision.limited ? 'True' : 'False', decision.limitReason, decision.limitMessage);
    const reason = decision.replicas > current ? `${outcome.metricName} above target` : 'All metrics below target';
    return { desired: decision.replicas, reason };
  }

  private historyOf(key: string): ScaleHistory {
    let h = this.history.get(key);
    if (!h) this.history.set(key, (h = new ScaleHistory()));
    return h;
  }

  private async writeStatus(hpa: HorizontalPodAutoscaler, status: HorizontalPodAutoscalerStatus): Promise<void> {
    if (!HPA_TYPE || jsonEqual(hpa.status, status)) return;
    await writeStatus(this.deps.api, HPA_TYPE, this.deps.hpas, { ...hpa, status });
  }
}
