/**
 * The canary controller (leader-only, level-triggered), Flagger's analysis loop built into the hub:
 *
 * - Initializing → Initialized: the `<target>-primary` Deployment is made from the target, the apex,
 *   primary and canary Services and the HTTPRoute (all traffic to the primary); once the primary is
 *   ready the target is scaled to zero.
 * - A new pod template in the target → Progressing: the target is scaled up and, once ready, analysed
 *   every `analysis.interval` from the nodes' request metrics (checks.ts). A successful check moves the
 *   canary's weight a step (or, blue-green, counts an iteration, then switches all traffic at once); a
 *   failed one counts, and at `threshold` failed checks the canary is rolled back at once (weight 0,
 *   target scaled to zero, phase Failed, a Warning event).
 * - At `maxWeight` (or past the iterations) → Promoting: the primary takes the new template; once it
 *   has rolled out → Finalising: all traffic back to the primary; an interval later the target is
 *   scaled to zero → Succeeded.
 *
 * The clock is injected and the analysis state kept per canary (the metrics window, the last check),
 * so unit tests run a whole analysis by moving the clock.
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
  fromLabelSelector,
  matchesLabels,
} from '../../../api/index.js';
import type { Informer } from '../../informers/index.js';
import type { UsageSource } from '../../metrics/index.js';
import { Controller, writeStatus, type EventRecorder } from '../../reconcile/index.js';
import { templateHash } from '../rollout.js';
import { ensurePrimary, ensureServing, promotePrimary, scaleTarget, type CanaryWriteDeps } from './canary-writes.js';
import { AutoscalerRefError, syncPrimaryHpa } from './autoscaler.js';
import { checkDue, type AnalysisState } from './analysis.js';
import { intervalMs, longestWindowMs } from './checks.js';
import { manualAction, manualChanged } from './manual.js';
import { MetricsWindow } from './metrics-window.js';
import { namesOf, selectorLabel } from './objects.js';
import { DEFAULT_PROGRESS_DEADLINE_SECONDS, maxWeightOf, nextWeight, nextStatus, rolloutPending } from './steps.js';

const CANARY = typeByKind('flagger.app/v1beta1', 'Canary')!;
const BY_TARGET = 'canary-target';
const PODS_BY_NAMESPACE = 'canary-namespace';
/** Flagger's event reason for its progress messages. */
const REASON = 'Synced';

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

const keyOf = (ns: string | undefined, name: string | undefined): string => `${ns ?? 'default'}/${name ?? ''}`;

/** Runs the analysis of every Canary. */
export class CanaryController extends Controller {
  readonly #state = new Map<string, AnalysisState>();
  readonly #sampleMs: number;

  constructor(private readonly deps: CanaryControllerDeps) {
    super({ name: 'canary', logger: deps.logger, clock: deps.clock });
    this.#sampleMs = deps.samplePeriodMs ?? 1000;
    deps.canaries.addIndex(BY_TARGET, (c) => [keyOf(c.metadata.namespace, (c as Canary).spec.targetRef.name)]);
    deps.pods.addIndex(PODS_BY_NAMESPACE, (p) => [p.metadata.namespace ?? 'default']);
    deps.canaries.addHandler({
      onAdd: (c) => this.queue.add(keyOf(c.metadata.namespace, c.metadata.name)),
      onUpdate: (o, c) =>
        (o.metadata.generation !== c.metadata.generation || manualChanged(o, c)) &&
        this.queue.add(keyOf(c.metadata.namespace, c.metadata.name)),
      onDelete: (c) => this.#state.delete(keyOf(c.metadata.namespace, c.metadata.name)),
    });
    // A target's change (or a rollout's progress) and the primary's rollout move the analysis on.
    const deployment = (d: Deployment): void => {
      const name = d.metadata.name ?? '';
      const target = name.endsWith('-primary') ? [name, name.slice(0, -'-primary'.length)] : [name];
      for (const t of target)
        for (const c of deps.canaries.byIndex(BY_TARGET, keyOf(d.metadata.namespace, t)))
          this.queue.add(keyOf(c.metadata.namespace, c.metadata.name));
    };
    deps.deployments.addHandler({ onAdd: deployment, onUpdate: (_o, d) => deployment(d), onDelete: deployment });
  }

  protected initialKeys(): string[] {
    return this.deps.canaries.list().map((c) => keyOf(c.metadata.namespace, c.metadata.name));
  }

  /** Looks at canary `namespace/name` now (tests, after moving the clock). */
  resync(namespace: string, name: string): void {
    this.queue.add(keyOf(namespace, name));
  }

  protected async reconcile(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const cd = this.deps.canaries.get(key.slice(0, slash), key.slice(slash + 1));
    if (!cd || cd.metadata.deletionTimestamp) return void this.#state.delete(key);
    if (cd.spec.suspend) return;
    const ns = cd.metadata.namespace ?? 'default';
    const target = this.deps.deployments.get(ns, cd.spec.targetRef.name);
    if (!target) {
      this.deps.events.warning(cd, REASON, `${cd.spec.targetRef.name}.${ns} not found`);
      return void this.queue.addAfter(key, intervalMs(cd));
    }
    const label = selectorLabel(target);
    if (!label) {
      this.deps.events.warning(
        cd,
        REASON,
        `${cd.spec.targetRef.name}.${ns} selector labels app, name or app.kubernetes.io/name not found`,
      );
      return;
    }
    const hash = templateHash(target.spec.template);
    const phase = cd.status?.phase;
    if (phase === undefined || phase === 'Initializing') return this.#initialize(key, cd, target, label, hash);
    const weight = cd.status?.canaryWeight ?? 0;
    await ensureServing(this.deps, cd, label, weight);
    if (hash !== cd.status?.lastAppliedSpec) return this.#newRevision(key, cd, target, hash);
    if (phase === 'Progressing') {
      // `edgectl canary abort|promote` for this revision: as Flagger's rollback and confirm-promotion gates.
      const where = `${target.metadata.name}.${ns}`;
      const asked = manualAction(cd, hash);
      if (asked === 'abort') return this.#rollback(key, cd, target, `Rolling back ${where} manual abort requested`);
      if (asked === 'promote') return this.#promote(key, cd, target, label, 'Manual promotion requested');
      return this.#progress(key, cd, target, label);
    }
    if (phase === 'Promoting') return this.#promoting(key, cd);
    if (phase === 'Finalising') return this.#finalise(key, cd, target);
  }

  async #initialize(
    key: string,
    cd: Canary,
    target: Deployment,
    label: { key: string; value: string },
    hash: string,
  ): Promise<void> {
    const primary = await ensurePrimary(this.deps, cd, target, label);
    if (!(await this.#primaryHpa(cd))) {
      await this.#write(cd, 'Initializing', { canaryWeight: 0, failedChecks: 0, iterations: 0 });
      return void this.queue.addAfter(key, intervalMs(cd));
    }
    await ensureServing(this.deps, cd, label, 0);
    if (rolloutPending(primary) !== undefined) {
      await this.#write(cd, 'Initializing', { canaryWeight: 0, failedChecks: 0, iterations: 0 });
      return void this.queue.addAfter(key, this.#sampleMs);
    }
    await scaleTarget(this.deps, target, 0);
    await this.#write(cd, 'Initialized', {
      canaryWeight: 0,
      failedChecks: 0,
      iterations: 0,
      lastAppliedSpec: hash,
      lastPromotedSpec: hash,
    });
    this.deps.events.normal(cd, REASON, `Initialization done! ${target.metadata.name}.${cd.metadata.namespace}`);
  }

  async #newRevision(key: string, cd: Canary, target: Deployment, hash: string): Promise<void> {
    const n = namesOf(cd);
    const restarting = cd.status?.phase === 'Progressing';
    await ensureServing(this.deps, cd, selectorLabel(target)!, 0);
    if ((target.spec.replicas ?? 1) === 0) {
      const primary = this.deps.deployments.get(cd.metadata.namespace, n.primary);
      await scaleTarget(this.deps, target, Math.max(1, primary?.spec.replicas ?? 1));
    }
    this.#state.set(key, { window: new MetricsWindow() });
    await this.#write(cd, 'Progressing', { canaryWeight: 0, failedChecks: 0, iterations: 0, lastAppliedSpec: hash });
    const where = `${n.target}.${cd.metadata.namespace}`;
    this.deps.events.normal(
      cd,
      REASON,
      restarting
        ? `New revision detected! Restarting analysis for ${where}`
        : `New revision detected! Scaling up ${where}`,
    );
    this.queue.addAfter(key, this.#sampleMs);
  }

  async #progress(key: string, cd: Canary, target: Deployment, label: { key: string; value: string }): Promise<void> {
    const now = this.deps.clock.now();
    const where = `${target.metadata.name}.${cd.metadata.namespace}`;
    const pending = rolloutPending(target);
    if (pending !== undefined) return this.#hold(key, cd, target, pending);
    if (cd.spec.skipAnalysis) return this.#promote(key, cd, target, label, 'Skipping analysis');
    const state = this.#state.get(key) ?? { window: new MetricsWindow() };
    this.#state.set(key, state);
    const selector = fromLabelSelector(target.spec.selector) ?? [];
    const pods = this.deps.pods
      .byIndex(PODS_BY_NAMESPACE, cd.metadata.namespace ?? 'default')
      .filter((p) => !p.metadata.deletionTimestamp && matchesLabels(selector, p.metadata.labels));
    state.window.sample(this.deps.usage, pods, now);
    const every = intervalMs(cd);
    const weight = cd.status?.canaryWeight ?? 0;
    const iterations = cd.status?.iterations ?? 0;
    const n = cd.spec.analysis.iterations;
    // Traffic moves to the canary only once its Service has a ready endpoint.
    if ((weight === 0 || iterations === n) && !this.#hasEndpoint(cd))
      return this.#hold(key, cd, target, `waiting for a ready endpoint of ${namesOf(cd).canaryService}`);
    // A weighted canary is judged once its first requests were reported (a check right after the first
    // step may come before any report); until then it holds, within the progress deadline.
    if (weight > 0 && n === undefined && !state.window.sawTraffic && (cd.spec.analysis.metrics?.length ?? 0) > 0)
      return this.#hold(key, cd, target, `no traffic reported for ${where} yet`);
    const verdict = checkDue(state, cd, pods, now);
    if (verdict.kind === 'wait') return void this.queue.addAfter(key, Math.min(this.#sampleMs, verdict.ms));
    this.queue.addAfter(key, Math.min(this.#sampleMs, every));
    // As Flagger: the first look, before any traffic reached the canary, starts the analysis unchecked.
    if (verdict.kind === 'start') this.deps.events.normal(cd, REASON, `Starting canary analysis for ${where}`);
    if (verdict.kind === 'fail') {
      const failed = (cd.status?.failedChecks ?? 0) + 1;
      this.deps.events.warning(cd, REASON, verdict.message);
      if (failed < (cd.spec.analysis.threshold ?? 1)) return this.#write(cd, 'Progressing', { failedChecks: failed });
      return this.#rollback(key, cd, target, `Rolling back ${where} failed checks threshold reached ${failed}`, failed);
    }
    state.window.prune(longestWindowMs(cd), now);
    if (n !== undefined) {
      // Blue-green: n checks with no user traffic, then all of it at once, then the promotion.
      if (iterations < n) {
        this.deps.events.normal(cd, REASON, `Advance ${where} canary iteration ${iterations + 1}/${n}`);
        return this.#write(cd, 'Progressing', { iterations: iterations + 1 });
      }
      if (iterations === n) {
        this.deps.events.normal(cd, REASON, 'Routing all traffic to canary');
        await ensureServing(this.deps, cd, label, 100);
        return this.#write(cd, 'Progressing', { iterations: iterations + 1, canaryWeight: 100 });
      }
      return this.#promote(key, cd, target, label);
    }
    if (weight < maxWeightOf(cd)) {
      const next = nextWeight(cd, weight);
      await ensureServing(this.deps, cd, label, next);
      this.deps.events.normal(cd, REASON, `Advance ${where} canary weight ${next}`);
      return this.#write(cd, 'Progressing', { canaryWeight: next });
    }
    return this.#promote(key, cd, target, label);
  }

  /** Waits for `what`, or rolls back once the progress deadline (from the last status change) has passed. */
  async #hold(key: string, cd: Canary, target: Deployment, what: string): Promise<void> {
    const now = this.deps.clock.now();
    const since = Date.parse(cd.status?.lastTransitionTime ?? '') || now;
    const deadline = (cd.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1000;
    if (now - since >= deadline)
      return this.#rollback(
        key,
        cd,
        target,
        `Canary ${target.metadata.name}.${cd.metadata.namespace} progress deadline exceeded: ${what}`,
      );
    this.deps.events.warning(cd, REASON, `Halt advancement ${what}`);
    this.queue.addAfter(key, Math.min(this.#sampleMs, since + deadline - now));
  }

  /** Syncs the primary's HPA (`autoscalerRef`); false, with a warning, when the target's HPA is missing. */
  async #primaryHpa(cd: Canary): Promise<boolean> {
    try {
      await syncPrimaryHpa(this.deps.api, cd);
      return true;
    } catch (err) {
      if (!(err instanceof AutoscalerRefError)) throw err;
      this.deps.events.warning(cd, REASON, err.message);
      return false;
    }
  }

  /** Whether the canary Service has a ready endpoint. */
  #hasEndpoint(cd: Canary): boolean {
    const ep = this.deps.endpoints.get(cd.metadata.namespace, namesOf(cd).canaryService);
    return (ep?.subsets ?? []).some((s) => (s.addresses?.length ?? 0) > 0);
  }

  async #promote(
    key: string,
    cd: Canary,
    target: Deployment,
    label: { key: string; value: string },
    why?: string,
  ): Promise<void> {
    const n = namesOf(cd);
    if (why) this.deps.events.normal(cd, REASON, `${why} for ${n.target}.${cd.metadata.namespace}`);
    this.deps.events.normal(
      cd,
      REASON,
      `Copying ${n.target}.${cd.metadata.namespace} template spec to ${n.primary}.${cd.metadata.namespace}`,
    );
    await promotePrimary(this.deps, cd, target, label);
    // As Flagger: the primary's HPA takes the target HPA's spec at promotion (a missing one is warned of).
    await this.#primaryHpa(cd);
    await this.#write(cd, 'Promoting', {});
    this.queue.addAfter(key, this.#sampleMs);
  }

  async #promoting(key: string, cd: Canary): Promise<void> {
    const primary = this.deps.deployments.get(cd.metadata.namespace, namesOf(cd).primary);
    if (!primary || rolloutPending(primary) !== undefined) return void this.queue.addAfter(key, this.#sampleMs);
    const target = this.deps.deployments.get(cd.metadata.namespace, cd.spec.targetRef.name);
    if (target) await ensureServing(this.deps, cd, selectorLabel(target)!, 0);
    this.deps.events.normal(cd, REASON, 'Routing all traffic to primary');
    await this.#write(cd, 'Finalising', { canaryWeight: 0 });
    // The target is scaled down an interval later, when every node routes to the primary.
    this.queue.addAfter(key, intervalMs(cd));
  }

  async #finalise(key: string, cd: Canary, target: Deployment): Promise<void> {
    const since = Date.parse(cd.status?.lastTransitionTime ?? '') || 0;
    const wait = since + intervalMs(cd) - this.deps.clock.now();
    if (wait > 0) return void this.queue.addAfter(key, wait);
    await scaleTarget(this.deps, target, 0);
    this.#state.delete(key);
    await this.#write(cd, 'Succeeded', {
      canaryWeight: 0,
      failedChecks: 0,
      lastPromotedSpec: cd.status?.lastAppliedSpec,
    });
    this.deps.events.normal(
      cd,
      REASON,
      `Promotion completed! Scaling down ${target.metadata.name}.${cd.metadata.namespace}`,
    );
  }

  async #rollback(key: string, cd: Canary, target: Deployment, why: string, failedChecks?: number): Promise<void> {
    const label = selectorLabel(target)!;
    await ensureServing(this.deps, cd, label, 0);
    this.deps.events.warning(cd, REASON, why);
    this.deps.events.warning(
      cd,
      REASON,
      `Canary failed! Scaling down ${target.metadata.name}.${cd.metadata.namespace}`,
    );
    await scaleTarget(this.deps, target, 0);
    this.#state.delete(key);
    await this.#write(cd, 'Failed', { canaryWeight: 0, ...(failedChecks !== undefined ? { failedChecks } : {}) });
  }

  /**
   * Writes the status in `phase` with `fields` changed. As Flagger, every change moves
   * `lastTransitionTime` (the progress deadline and the finalising wait count from it).
   */
  async #write(cd: Canary, phase: CanaryPhase, fields: Partial<CanaryStatus>): Promise<void> {
    const status = nextStatus(cd, phase, fields, this.deps.clock.now());
    if (status) await writeStatus(this.deps.api, CANARY, this.deps.canaries, { ...cd, status });
  }
}
