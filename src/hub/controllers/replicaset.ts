/**
 * The ReplicaSet controller: keeps `spec.replicas` active pods stamped from the template, replacing
 * pods that fail or are deleted, and reports counts in status. Level-triggered: every reconcile
 * compares the owned pods' counts with the spec and writes the difference. The counts are running
 * tallies kept from pod events (`replicaset-counts.ts`), so a reconcile is O(1) in the set's size; only
 * a scale-down lists the set's pods, to choose which to delete.
 */
import type { Clock, Logger, Pod, ReplicaSet } from '../../api/index.js';
import { errorMessage, fromLabelSelector, isPodReady, matchesLabels, typeByKind } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import { BY_CONTROLLER_UID, objectKey, splitKey } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import type { EventRecorder } from '../reconcile/index.js';
import {
  BurstLimit,
  Controller,
  WritePacer,
  controllerRef,
  deleteAndObserve,
  jsonEqual,
  throwIfFailed,
  writeAll,
  writeStatus,
} from '../reconcile/index.js';
import { podFromTemplate } from './pod-template.js';
import { ReplicaSetCounts, type ReplicaCounts } from './replicaset-counts.js';
import { isPodActive } from './util.js';

const POD = typeByKind('v1', 'Pod')!;
const RS = typeByKind('apps/v1', 'ReplicaSet')!;

/** How many pod creations or deletions one reconcile issues at most (Kubernetes uses bursts of 500). */
const BURST = 100;
/** Least time between two status writes of one ReplicaSet (the last status is always written). */
const STATUS_INTERVAL_MS = 250;

export interface ReplicaSetControllerDeps {
  api: ObjectAPI;
  pods: Informer<Pod>;
  replicaSets: Informer<ReplicaSet>;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
  workers?: number;
  /** Least time between two status writes of one ReplicaSet (default 250 ms). */
  statusIntervalMs?: number;
}

/** Keeps each ReplicaSet's pod count at `spec.replicas`. */
export class ReplicaSetController extends Controller {
  private readonly statusPacer: WritePacer;
  private readonly counts: ReplicaSetCounts;
  private readonly bursts = new BurstLimit(BURST);

  constructor(private readonly deps: ReplicaSetControllerDeps) {
    super({ name: 'replicaset', workers: deps.workers, logger: deps.logger, clock: deps.clock });
    this.statusPacer = new WritePacer(deps.clock, deps.statusIntervalMs ?? STATUS_INTERVAL_MS);
    this.enqueueFrom(deps.replicaSets);
    this.counts = new ReplicaSetCounts(deps.pods);
    deps.replicaSets.addHandler({ onDelete: (rs) => this.counts.forget(rs.metadata.uid) });
    // A pod added, deleted, or changing activeness or labels can change how many pods to create or
    // delete: look at once. Any other update (bound, Running, Ready) moves only status counts, written
    // at most once per interval anyway: look after that interval (the counts are running tallies now,
    // but the status write per pod event would still be one write per event).
    const interval = deps.statusIntervalMs ?? STATUS_INTERVAL_MS;
    const owner = (p: Pod, ms: number): void => {
      const ref = controllerRef(p);
      if (ref?.kind === 'ReplicaSet') this.queue.addAfter(`${p.metadata.namespace}/${ref.name}`, ms);
    };
    deps.pods.addHandler({
      onAdd: (p) => owner(p, 0),
      onDelete: (p) => owner(p, 0),
      onUpdate: (o, p) =>
        owner(p, isPodActive(o) === isPodActive(p) && jsonEqual(o.metadata.labels, p.metadata.labels) ? interval : 0),
    });
  }

  /** Every ReplicaSet. */
  protected initialKeys(): string[] {
    return this.deps.replicaSets.list().map(objectKey);
  }

  /** Pods controlled by `rs` (by uid, from the owner index: O(owned pods)) that still match its selector. */
  ownedPods(rs: ReplicaSet): Pod[] {
    const sel = fromLabelSelector(rs.spec.selector) ?? [];
    return this.deps.pods
      .byIndex(BY_CONTROLLER_UID, rs.metadata.uid ?? '')
      .filter((p) => p.metadata.namespace === rs.metadata.namespace && matchesLabels(sel, p.metadata.labels));
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const rs = this.deps.replicaSets.get(namespace, name);
    if (!rs || rs.metadata.deletionTimestamp) {
      this.statusPacer.forget(key);
      this.bursts.forget(key);
      this.counts.forget(rs?.metadata.uid);
      return;
    }
    const want = rs.spec.replicas ?? 1;
    const diff = want - this.counts.counts(rs, this.deps.clock.now()).replicas;
    if (diff > 0) await this.createPods(key, rs, Math.min(diff, this.bursts.size(key)));
    else if (diff < 0) await this.deletePods(rs, this.ownedPods(rs).filter(isPodActive), Math.min(-diff, BURST));
    // The pods written above were observed into the informer, so the tally already counts them.
    await this.updateStatus(rs);
  }

  private async createPods(key: string, rs: ReplicaSet, n: number): Promise<void> {
    const failed = await writeAll(Array.from({ length: n }), async () => {
      const created = await this.deps.api.create<Pod>(POD, podFromTemplate(rs, rs.spec.template));
      this.deps.pods.observe(created);
      this.deps.events.normal(rs, 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    });
    this.bursts.record(key, failed.length);
    if (failed.length > 0) this.deps.events.warning(rs, 'FailedCreate', `Error creating: ${errorMessage(failed[0])}`);
    throwIfFailed(failed, 'pod creation(s)');
  }

  private async deletePods(rs: ReplicaSet, active: Pod[], n: number): Promise<void> {
    // Delete the cheapest first, as Kubernetes does: unscheduled, then not ready, then the youngest.
    const rank = (p: Pod): number => (p.spec.nodeName ? 0 : 4) + (isPodReady(p) ? 0 : 2);
    const victims = [...active]
      .sort(
        (a, b) =>
          rank(b) - rank(a) || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
      )
      .slice(0, n);
    const failed = await writeAll(victims, async (pod) => {
      if (await deleteAndObserve(this.deps.api, POD, this.deps.pods, pod))
        this.deps.events.normal(rs, 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    });
    if (failed.length > 0) this.deps.events.warning(rs, 'FailedDelete', `Error deleting: ${errorMessage(failed[0])}`);
    throwIfFailed(failed, 'pod deletion(s)');
  }

  private async updateStatus(rs: ReplicaSet): Promise<void> {
    // Paced per ReplicaSet: a status already at this generation waits its turn; a new generation is
    // observed at once.
    const key = objectKey(rs);
    if (rs.status && rs.status.observedGeneration === (rs.metadata.generation ?? 1)) {
      const wait = this.statusPacer.wait(key);
      if (wait > 0) return this.queue.addAfter(key, wait);
    }
    const minReady = rs.spec.minReadySeconds ?? 0;
    const counts: ReplicaCounts = this.counts.counts(rs, this.deps.clock.now());
    const status = { ...counts, observedGeneration: rs.metadata.generation ?? 1 };
    // A pod ready but not yet available becomes available with time alone: look again then.
    if (minReady > 0 && status.readyReplicas > status.availableReplicas)
      this.queue.addAfter(objectKey(rs), minReady * 1000);
    const prev = rs.status ? { ...rs.status, conditions: undefined } : undefined;
    if (jsonEqual(prev, status)) return;
    await writeStatus(this.deps.api, RS, this.deps.replicaSets, {
      ...rs,
      status: { ...status, ...(rs.status?.conditions ? { conditions: rs.status.conditions } : {}) },
    });
  }
}
