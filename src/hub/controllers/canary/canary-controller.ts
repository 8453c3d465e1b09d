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
 * so unit tests run a whole analysis by moving the clock. This file decides; the moves between phases
 * (hold, promote, finalise, roll back) and the status writes are `phases.ts`'s.
 */
import { type Canary, type Deployment, fromLabelSelector, matchesLabels } from '../../../api/index.js';
import { Controller } from '../../reconcile/index.js';
import { templateHash } from '../rollout.js';
import { ensurePrimary, ensureServing, scaleTarget } from './canary-writes.js';
import { CanaryPhases, REASON, type CanaryControllerDeps } from './phases.js';
import { checkDue, type AnalysisState } from './analysis.js';
import { intervalMs, longestWindowMs } from './checks.js';
import { manualAction, manualChanged } from './manual.js';
import { MetricsWindow } from './metrics-window.js';
import { namesOf, selectorLabel } from './objects.js';
import { maxWeightOf, nextWeight, rolloutPending } from './steps.js';

export type { CanaryControllerDeps } from './phases.js';

const BY_TARGET = 'canary-target';
const PODS_BY_NAMESPACE = 'canary-namespace';

const keyOf = (ns: string | undefined, name: string | undefined): string => `${ns ?? 'default'}/${name ?? ''}`;

/** Runs the analysis of every Canary. */
export class CanaryController extends Controller {
  readonly #state = new Map<string, AnalysisState>();
  readonly #sampleMs: number;
  /** Holding, promotion, finalising, rollback and the status writes (phases.ts). */
  readonly #phases: CanaryPhases;

  constructor(private readonly deps: CanaryControllerDeps) {
    super({ name: 'canary', logger: deps.logger, clock: deps.clock });
    this.#sampleMs = deps.samplePeriodMs ?? 1000;
    this.#phases = new CanaryPhases({
      deps,
      state: this.#state,
      sampleMs: this.#sampleMs,
      requeue: (key, ms) => this.queue.addAfter(key, ms),
    });
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
      if (asked === 'abort')
        return this.#phases.rollback(key, cd, target, `Rolling back ${where} manual abort requested`);
      if (asked === 'promote') return this.#phases.promote(key, cd, target, label, 'Manual promotion requested');
      return this.#progress(key, cd, target, label);
    }
    if (phase === 'Promoting') return this.#phases.promoting(key, cd);
    if (phase === 'Finalising') return this.#phases.finalise(key, cd, target);
  }

  async #initialize(
    key: string,
    cd: Canary,
    target: Deployment,
    label: { key: string; value: string },
    hash: string,
  ): Promise<void> {
    const primary = await ensurePrimary(this.deps, cd, target, label);
    if (!(await this.#phases.primaryHpa(cd))) {
      await this.#phases.write(cd, 'Initializing', { canaryWeight: 0, failedChecks: 0, iterations: 0 });
      return void this.queue.addAfter(key, intervalMs(cd));
    }
    await ensureServing(this.deps, cd, label, 0);
    if (rolloutPending(primary) !== undefined) {
      await this.#phases.write(cd, 'Initializing', { canaryWeight: 0, failedChecks: 0, iterations: 0 });
      return void this.queue.addAfter(key, this.#sampleMs);
    }
    await scaleTarget(this.deps, target, 0);
    await this.#phases.write(cd, 'Initialized', {
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
    await this.#phases.write(cd, 'Progressing', {
      canaryWeight: 0,
      failedChecks: 0,
      iterations: 0,
      lastAppliedSpec: hash,
    });
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
    if (pending !== undefined) return this.#phases.hold(key, cd, target, pending);
    if (cd.spec.skipAnalysis) return this.#phases.promote(key, cd, target, label, 'Skipping analysis');
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
      return this.#phases.hold(key, cd, target, `waiting for a ready endpoint of ${namesOf(cd).canaryService}`);
    // A weighted canary is judged an interval after its first requests were reported (a check right after
    // the first step may come before any report, or on a sliver of one); until then it holds, within the
    // progress deadline.
    if (weight > 0 && n === undefined && !state.window.sawTraffic && (cd.spec.analysis.metrics?.length ?? 0) > 0)
      return this.#phases.hold(key, cd, target, `no traffic reported for ${where} yet`);
    const verdict = checkDue(state, cd, pods, now);
    if (verdict.kind === 'wait') return void this.queue.addAfter(key, Math.min(this.#sampleMs, verdict.ms));
    this.queue.addAfter(key, Math.min(this.#sampleMs, every));
    // As Flagger: the first look, before any traffic reached the canary, starts the analysis unchecked.
    if (verdict.kind === 'start') this.deps.events.normal(cd, REASON, `Starting canary analysis for ${where}`);
    if (verdict.kind === 'fail') {
      const failed = (cd.status?.failedChecks ?? 0) + 1;
      this.deps.events.warning(cd, REASON, verdict.message);
      if (failed < (cd.spec.analysis.threshold ?? 1))
        return this.#phases.write(cd, 'Progressing', { failedChecks: failed });
      return this.#phases.rollback(
        key,
        cd,
        target,
        `Rolling back ${where} failed checks threshold reached ${failed}`,
        failed,
      );
    }
    state.window.prune(longestWindowMs(cd), now);
    if (n !== undefined) {
      // Blue-green: n checks with no user traffic, then all of it at once, then the promotion.
      if (iterations < n) {
        this.deps.events.normal(cd, REASON, `Advance ${where} canary iteration ${iterations + 1}/${n}`);
        return this.#phases.write(cd, 'Progressing', { iterations: iterations + 1 });
      }
      if (iterations === n) {
        this.deps.events.normal(cd, REASON, 'Routing all traffic to canary');
        await ensureServing(this.deps, cd, label, 100);
        return this.#phases.write(cd, 'Progressing', { iterations: iterations + 1, canaryWeight: 100 });
      }
      return this.#phases.promote(key, cd, target, label);
    }
    if (weight < maxWeightOf(cd)) {
      const next = nextWeight(cd, weight);
      await ensureServing(this.deps, cd, label, next);
      this.deps.events.normal(cd, REASON, `Advance ${where} canary weight ${next}`);
      return this.#phases.write(cd, 'Progressing', { canaryWeight: next });
    }
    return this.#phases.promote(key, cd, target, label);
  }

  /** Whether the canary Service has a ready endpoint. */
  #hasEndpoint(cd: Canary): boolean {
    const ep = this.deps.endpoints.get(cd.metadata.namespace, namesOf(cd).canaryService);
    return (ep?.subsets ?? []).some((s) => (s.addresses?.length ?? 0) > 0);
  }
}
