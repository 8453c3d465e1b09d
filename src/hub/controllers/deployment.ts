/**
 * The Deployment controller: one ReplicaSet per template revision; a changed template rolls pods over
 * from the old ReplicaSets to the new one within maxSurge/maxUnavailable (or Recreate), old revisions
 * are kept up to revisionHistoryLimit, and status/conditions report progress as Kubernetes does.
 */
import type { Clock, Deployment, Logger, ReplicaSet } from '../../api/index.js';
import { AlreadyExistsError, NotFoundError, typeByKind } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import { BY_CONTROLLER_UID, controllerUid, objectKey, splitKey } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import type { EventRecorder } from '../reconcile/index.js';
import {
  REVISION_ANNOTATION,
  TEMPLATE_HASH_LABEL,
  annotationsToCopy,
  newReplicaSetTarget,
  oldReplicaSetsScaleDown,
  templateHash,
  templatesEqual,
} from './rollout.js';
import { Controller, WritePacer, jsonEqual, ownerRefTo, writeStatus } from '../reconcile/index.js';
import { deploymentStatus } from './deployment-status.js';

const RS = typeByKind('apps/v1', 'ReplicaSet')!;
const DEPLOY = typeByKind('apps/v1', 'Deployment')!;

export interface DeploymentControllerDeps {
  api: ObjectAPI;
  deployments: Informer<Deployment>;
  replicaSets: Informer<ReplicaSet>;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
}

/** Least time between two status writes of one Deployment (the last status is always written). */
const STATUS_INTERVAL_MS = 250;

const revisionOf = (rs: ReplicaSet): number => Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '0');

/** Rolls each Deployment's pods over ReplicaSets, one per template revision. */
export class DeploymentController extends Controller {
  private readonly statusPacer: WritePacer;

  constructor(private readonly deps: DeploymentControllerDeps) {
    super({ name: 'deployment', logger: deps.logger, clock: deps.clock });
    this.statusPacer = new WritePacer(deps.clock, STATUS_INTERVAL_MS);
    this.enqueueFrom(deps.deployments);
    this.enqueueOwnerOf(deps.replicaSets, 'Deployment');
    deps.replicaSets.addIndex(BY_CONTROLLER_UID, controllerUid);
  }

  /** Every Deployment. */
  protected initialKeys(): string[] {
    return this.deps.deployments.list().map(objectKey);
  }

  private owned(d: Deployment): ReplicaSet[] {
    return this.deps.replicaSets
      .byIndex(BY_CONTROLLER_UID, d.metadata.uid ?? '')
      .filter((rs) => rs.metadata.namespace === d.metadata.namespace);
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const d = this.deps.deployments.get(namespace, name);
    if (!d || d.metadata.deletionTimestamp) {
      this.statusPacer.forget(key);
      return;
    }
    const all = this.owned(d);
    let newRS = all.find((rs) => templatesEqual(rs.spec.template, d.spec.template));
    const old = all.filter((rs) => rs !== newRS).sort((a, b) => revisionOf(a) - revisionOf(b));
    const maxRevision = all.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);

    if (!d.spec.paused) {
      if (!newRS) newRS = await this.createNewReplicaSet(d, old, maxRevision);
      else {
        // The current ReplicaSet follows the Deployment's annotations (a later change-cause) and, when
        // an undo made an old template current again, takes the next revision number.
        const annotations = annotationsToCopy(d, newRS.metadata.annotations);
        const revision = revisionOf(newRS) < maxRevision ? maxRevision + 1 : undefined;
        if (revision !== undefined || Object.keys(annotations).length > 0)
          newRS = await this.patchRS(newRS, { revision, annotations });
      }
      if (d.spec.strategy?.type === 'Recreate') await this.recreate(d, newRS, old);
      else await this.rolling(d, newRS, old);
      await this.cleanupHistory(d, newRS, old);
    } else if (
      newRS &&
      old.every((rs) => (rs.spec.replicas ?? 0) === 0) &&
      (newRS.spec.replicas ?? 0) !== (d.spec.replicas ?? 1)
    ) {
      // A paused Deployment still follows `scale`.
      newRS = await this.scale(d, newRS, d.spec.replicas ?? 1);
    }
    await this.syncStatus(d, newRS, this.owned(d));
  }

  private async createNewReplicaSet(d: Deployment, old: ReplicaSet[], maxRevision: number): Promise<ReplicaSet> {
    const collisionCount = d.status?.collisionCount ?? 0;
    const hash = templateHash(d.spec.template, collisionCount);
    const labels = { ...(d.spec.template.metadata?.labels ?? {}), [TEMPLATE_HASH_LABEL]: hash };
    const draft: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels,
        annotations: { ...annotationsToCopy(d), [REVISION_ANNOTATION]: String(maxRevision + 1) },
        ownerReferences: [ownerRefTo(d)],
      },
      spec: {
        replicas: 0,
        ...(d.spec.minReadySeconds !== undefined ? { minReadySeconds: d.spec.minReadySeconds } : {}),
        selector: {
          ...d.spec.selector,
          matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [TEMPLATE_HASH_LABEL]: hash },
        },
        template: { ...d.spec.template, metadata: { ...(d.spec.template.metadata ?? {}), labels } },
      },
    };
    const target = d.spec.strategy?.type === 'Recreate' ? 0 : newReplicaSetTarget(d, draft, [draft, ...old]);
    draft.spec.replicas = target;
    try {
      const created = await this.deps.api.create<ReplicaSet>(RS, draft);
      this.deps.replicaSets.observe(created);
      if (target > 0)
        this.deps.events.normal(d, 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} to ${target}`);
      return created;
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      // A ReplicaSet of that name with another template (hash collision): bump collisionCount and retry.
      const latest = await this.deps.api.get<Deployment>(DEPLOY, d.metadata.namespace, d.metadata.name ?? '');
      await this.deps.api.updateStatus(DEPLOY, {
        ...latest,
        status: { ...(latest.status ?? {}), collisionCount: collisionCount + 1 },
      });
      throw err;
    }
  }

  private async rolling(d: Deployment, newRS: ReplicaSet, old: ReplicaSet[]): Promise<void> {
    const target = newReplicaSetTarget(d, newRS, [newRS, ...old]);
    if (target !== (newRS.spec.replicas ?? 0)) newRS = await this.scale(d, newRS, target);
    let budget = oldReplicaSetsScaleDown(d, newRS, old);
    // Oldest revisions first; within that, remove unavailable replicas before available ones.
    for (const rs of old) {
      if (budget <= 0) break;
      const current = rs.spec.replicas ?? 0;
      if (current === 0) continue;
      const cut = Math.min(current, budget);
      await this.scale(d, rs, current - cut);
      budget -= cut;
    }
  }

  private async recreate(d: Deployment, newRS: ReplicaSet, old: ReplicaSet[]): Promise<void> {
    for (const rs of old) if ((rs.spec.replicas ?? 0) > 0) await this.scale(d, rs, 0);
    // Only once every old pod is gone does the new revision start.
    if (old.some((rs) => (rs.status?.replicas ?? 0) > 0)) return;
    const want = d.spec.replicas ?? 1;
    if ((newRS.spec.replicas ?? 0) !== want) await this.scale(d, newRS, want);
  }

  private async scale(d: Deployment, rs: ReplicaSet, replicas: number): Promise<ReplicaSet> {
    const before = rs.spec.replicas ?? 0;
    const updated = await this.patchRS(rs, { replicas });
    const verb = replicas > before ? 'up' : 'down';
    this.deps.events.normal(
      d,
      'ScalingReplicaSet',
      `Scaled ${verb} replica set ${rs.metadata.name} from ${before} to ${replicas}`,
    );
    return updated;
  }

  private async patchRS(
    rs: ReplicaSet,
    change: { replicas?: number; revision?: number | undefined; annotations?: Record<string, string> },
  ): Promise<ReplicaSet> {
    const next: ReplicaSet = structuredClone(rs);
    if (change.replicas !== undefined) next.spec.replicas = change.replicas;
    if (change.annotations !== undefined || change.revision !== undefined)
      next.metadata.annotations = {
        ...(next.metadata.annotations ?? {}),
        ...(change.annotations ?? {}),
        ...(change.revision !== undefined ? { [REVISION_ANNOTATION]: String(change.revision) } : {}),
      };
    const updated = await this.deps.api.update<ReplicaSet>(RS, next);
    this.deps.replicaSets.observe(updated);
    return updated;
  }

  private async cleanupHistory(d: Deployment, newRS: ReplicaSet, old: ReplicaSet[]): Promise<void> {
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const idle = old.filter((rs) => rs !== newRS && (rs.spec.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0);
    const excess = idle.length - limit;
    for (const rs of idle.slice(0, Math.max(0, excess))) {
      try {
        await this.deps.api.delete(RS, rs.metadata.namespace, rs.metadata.name ?? '');
        this.deps.replicaSets.observe(rs, true);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
  }

  private async syncStatus(d: Deployment, newRS: ReplicaSet | undefined, all: ReplicaSet[]): Promise<void> {
    const next = deploymentStatus(d, newRS, all, this.deps.clock.now());
    if (next.lookAgainInMs !== undefined) this.queue.addAfter(objectKey(d), next.lookAgainInMs);
    if (next.deadlineExceeded)
      this.deps.events.warning(
        d,
        'ProgressDeadlineExceeded',
        `Deployment "${d.metadata.name}" exceeded its progress deadline`,
      );
    const status = next.status;
    const same = jsonEqual(
      { ...d.status, conditions: d.status?.conditions?.map((c) => ({ ...c, lastUpdateTime: undefined })) },
      { ...status, conditions: status.conditions.map((c) => ({ ...c, lastUpdateTime: undefined })) },
    );
    if (same) return;
    // Paced per Deployment (its ReplicaSets' counts move with every pod); a new generation goes at once.
    const key = objectKey(d);
    const wait = d.status?.observedGeneration === status.observedGeneration ? this.statusPacer.wait(key) : 0;
    if (wait > 0) return this.queue.addAfter(key, wait);
    await writeStatus(this.deps.api, DEPLOY, this.deps.deployments, { ...d, status });
  }
}
