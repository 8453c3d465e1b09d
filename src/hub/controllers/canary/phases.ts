/**
 * The canary controller's phase moves (see canary-controller.ts for the loop that decides them):
 * holding within the progress deadline, promoting the primary, waiting for its rollout, finalising,
 * rolling back, and the status write each of them ends with. They share the controller's analysis
 * state and requeue through it (`PhaseContext`).
 */
import {
  typeByKind,
  type Canary,
  type CanaryPhase,
  type CanaryStatus,
  type Clock,
  type Deployment,
  type Endpoints,
  type Logger,
  type Pod,
} from '../../../api/index.js';
import type { Informer } from '../../informers/index.js';
import type { UsageSource } from '../../metrics/index.js';
import { writeStatus, type EventRecorder } from '../../reconcile/index.js';
import { promotePrimary, scaleTarget, ensureServing, type CanaryWriteDeps } from './canary-writes.js';
import { AutoscalerRefError, syncPrimaryHpa } from './autoscaler.js';
import type { AnalysisState } from './analysis.js';
import { intervalMs } from './checks.js';
import { namesOf, selectorLabel } from './objects.js';
import { DEFAULT_PROGRESS_DEADLINE_SECONDS, nextStatus, rolloutPending } from './steps.js';

const CANARY = typeByKind('flagger.app/v1beta1', 'Canary')!;
/** Flagger's event reason for its progress messages. */
export const REASON = 'Synced';

/** What the canary controller is built from. */
export interface CanaryControllerDeps extends CanaryWriteDeps {
  canaries: Informer<Canary>;
  /** The canary Service's endpoints: no traffic moves to a canary before one is ready. */
  endpoints: Informer<Endpoints>;
  pods: Informer<Pod>;
  /** The nodes' request metrics; without them every check of a canary with metrics fails. */
  usage: UsageSource | undefined;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
  /** How often an analysis takes in the nodes' reports and looks at readiness (default 1 s). */
  samplePeriodMs?: number;
}

/** What the phase moves share with the controller. */
export interface PhaseContext {
  deps: CanaryControllerDeps;
  /** The analysis state per canary key. */
  state: Map<string, AnalysisState>;
  /** How often an analysis in progress is looked at. */
  sampleMs: number;
  /** Looks at canary `key` again in `ms`. */
  requeue(key: string, ms: number): void;
}

/** The phase moves of every Canary. */
export class CanaryPhases {
  constructor(private readonly c: PhaseContext) {}

  /** Waits for `what`, or rolls back once the progress deadline (from the last status change) has passed. */
  async hold(key: string, cd: Canary, target: Deployment, what: string): Promise<void> {
    const now = this.c.deps.clock.now();
    const since = Date.parse(cd.status?.lastTransitionTime ?? '') || now;
    const deadline = (cd.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1000;
    if (now - since >= deadline)
      return this.rollback(
        key,
        cd,
        target,
        `Canary ${target.metadata.name}.${cd.metadata.namespace} progress deadline exceeded: ${what}`,
      );
    this.c.deps.events.warning(cd, REASON, `Halt advancement ${what}`);
    this.c.requeue(key, Math.min(this.c.sampleMs, since + deadline - now));
  }

  /** Syncs the primary's HPA (`autoscalerRef`); false, with a warning, when the target's HPA is missing. */
  async primaryHpa(cd: Canary): Promise<boolean> {
    try {
      await syncPrimaryHpa(this.c.deps.api, cd);
      return true;
    } catch (err) {
      if (!(err instanceof AutoscalerRefError)) throw err;
      this.c.deps.events.warning(cd, REASON, err.message);
      return false;
    }
  }

  /** Copies the target's template to the primary → Promoting. */
  async promote(
    key: string,
    cd: Canary,
    target: Deployment,
    label: { key: string; value: string },
    why?: string,
  ): Promise<void> {
    const n = namesOf(cd);
    if (why) this.c.deps.events.normal(cd, REASON, `${why} for ${n.target}.${cd.metadata.namespace}`);
    this.c.deps.events.normal(
      cd,
      REASON,
      `Copying ${n.target}.${cd.metadata.namespace} template spec to ${n.primary}.${cd.metadata.namespace}`,
    );
    await promotePrimary(this.c.deps, cd, target, label);
    // As Flagger: the primary's HPA takes the target HPA's spec at promotion (a missing one is warned of).
    await this.primaryHpa(cd);
    await this.write(cd, 'Promoting', {});
    this.c.requeue(key, this.c.sampleMs);
  }

  /** Once the primary has rolled out: all traffic back to it → Finalising. */
  async promoting(key: string, cd: Canary): Promise<void> {
    const primary = this.c.deps.deployments.get(cd.metadata.namespace, namesOf(cd).primary);
    if (!primary || rolloutPending(primary) !== undefined) return void this.c.requeue(key, this.c.sampleMs);
    const target = this.c.deps.deployments.get(cd.metadata.namespace, cd.spec.targetRef.name);
    if (target) await ensureServing(this.c.deps, cd, selectorLabel(target)!, 0);
    this.c.deps.events.normal(cd, REASON, 'Routing all traffic to primary');
    await this.write(cd, 'Finalising', { canaryWeight: 0 });
    // The target is scaled down an interval later, when every node routes to the primary.
    this.c.requeue(key, intervalMs(cd));
  }

  /** An interval after Finalising: the target scaled to zero → Succeeded. */
  async finalise(key: string, cd: Canary, target: Deployment): Promise<void> {
    const since = Date.parse(cd.status?.lastTransitionTime ?? '') || 0;
    const wait = since + intervalMs(cd) - this.c.deps.clock.now();
    if (wait > 0) return void this.c.requeue(key, wait);
    await scaleTarget(this.c.deps, target, 0);
    this.c.state.delete(key);
    await this.write(cd, 'Succeeded', {
      canaryWeight: 0,
      failedChecks: 0,
      lastPromotedSpec: cd.status?.lastAppliedSpec,
    });
    this.c.deps.events.normal(
      cd,
      REASON,
      `Promotion completed! Scaling down ${target.metadata.name}.${cd.metadata.namespace}`,
    );
  }

  /** Weight 0, the target scaled to zero, Warning events → Failed. */
  async rollback(key: string, cd: Canary, target: Deployment, why: string, failedChecks?: number): Promise<void> {
    const label = selectorLabel(target)!;
    await ensureServing(this.c.deps, cd, label, 0);
    this.c.deps.events.warning(cd, REASON, why);
    this.c.deps.events.warning(
      cd,
      REASON,
      `Canary failed! Scaling down ${target.metadata.name}.${cd.metadata.namespace}`,
    );
    await scaleTarget(this.c.deps, target, 0);
    this.c.state.delete(key);
    await this.write(cd, 'Failed', { canaryWeight: 0, ...(failedChecks !== undefined ? { failedChecks } : {}) });
  }

  /**
   * Writes the status in `phase` with `fields` changed. As Flagger, every change moves
   * `lastTransitionTime` (the progress deadline and the finalising wait count from it).
   */
  async write(cd: Canary, phase: CanaryPhase, fields: Partial<CanaryStatus>): Promise<void> {
    const status = nextStatus(cd, phase, fields, this.c.deps.clock.now());
    if (status) await writeStatus(this.c.deps.api, CANARY, this.c.deps.canaries, { ...cd, status });
  }
}
