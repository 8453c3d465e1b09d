/**
 * The scheduler: takes unbound pods from a queue, filters nodes, scores the ones that fit and binds
 * the pod to the best by writing `spec.nodeName`. A pod that fits nowhere gets `PodScheduled=False`
 * (`Unschedulable`) and a FailedScheduling event, and is retried when nodes change.
 *
 * At scale, as kube-scheduler: a large cluster is sampled (node-sample.ts: filtering stops once
 * enough feasible nodes were found, the next pod starts where this one stopped), and a placement is
 * *assumed* — accounted on its node at once — so several bindings are written concurrently (they
 * share a group commit) while the next pods are placed against up-to-date accounting.
 */
import type { Clock, Logger, Node, Pod } from '../../api/index.js';
import { ConflictError, NotFoundError, rfc3339, typeByKind } from '../../api/index.js';
import { Controller, jsonEqual, setCondition, type EventRecorder } from '../reconcile/index.js';
import type { SchedulerObserver, SchedulingResult } from '../metrics/index.js';
import type { Informer } from '../informers/index.js';
import { objectKey, splitKey } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { NodeAccounting } from './accounting.js';
import { StaticFitCache } from './fit-cache.js';
import { feasibleNodesToFind, NodeRing } from './node-sample.js';
import { StaticNodeIndex } from './static-index.js';
import { NodeInfoTable } from './node-infos.js';
import { DEFAULT_FILTERS, DEFAULT_SCORES, podInfo, type FilterPlugin, type ScorePlugin } from './plugins.js';

const POD = typeByKind('v1', 'Pod')!;

export interface SchedulerDeps {
  api: ObjectAPI;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
  filters?: readonly FilterPlugin[];
  scores?: readonly ScorePlugin[];
  /** Percentage of nodes to find feasible before scoring (default: kube-scheduler's adaptive one). */
  percentageOfNodesToScore?: number;
  /**
   * Bindings written concurrently (default 64). Each waits a group commit and its log sync, so with
   * too few the scheduler idles on the disk: at 1,000 nodes 16 bound ~750 pods/s with the hub's main
   * thread 14% idle, 64 ~900 (docs/benchmarks.md). kube-scheduler runs each binding cycle in its own
   * goroutine, with no bound at all.
   */
  workers?: number;
}

/** Outcome of one scheduling attempt. */
export type ScheduleResult = { node: string } | { unschedulable: string };

/** What of a Node the filters and scores read (a change elsewhere, e.g. heartbeat times, is no news). */
const schedulingView = (n: Node): unknown => [
  n.metadata.labels,
  n.spec,
  n.status?.allocatable ?? n.status?.capacity,
  n.status?.runtimeHandlers,
  n.status?.nodeInfo?.architecture,
  n.status?.conditions?.find((c) => c.type === 'Ready')?.status,
];

/** The hub's scheduler, as `spec.schedulerName` names it (Kubernetes' name for its own). */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** Unbound, live, and this scheduler's: another one (`spec.schedulerName`) binds its own through pods/binding. */
const needsScheduling = (p: Pod): boolean =>
  !p.spec.nodeName &&
  (p.spec.schedulerName ?? DEFAULT_SCHEDULER_NAME) === DEFAULT_SCHEDULER_NAME &&
  p.metadata.deletionTimestamp === undefined &&
  p.status?.phase !== 'Succeeded' &&
  p.status?.phase !== 'Failed';

/** Binds unbound pods to nodes, one at a time (each binding is accounted before the next pick). */
export class Scheduler extends Controller {
  private readonly acct = new NodeAccounting();
  private readonly unschedulable = new Set<string>();
  /** Pods (by uid) placed and accounted whose binding is being written. */
  private readonly assumed = new Set<string>();
  /** Filters that read what is bound where (run for every node walked). */
  private readonly dynamicFilters: readonly FilterPlugin[];
  private readonly staticFit: StaticFitCache;
  private readonly scores: readonly ScorePlugin[];
  /** Every score is cacheable: a node's total is kept until its Node or usage changes (node-infos.ts). */
  private readonly scoresCacheable: boolean;
  /** So is every dynamic filter's verdict (kept with the total, when the scores are cacheable too). */
  private readonly filtersCacheable: boolean;
  /** One string object per score key (`sameKey`). */
  private readonly scoreKeys = new Map<string, string>();
  private readonly ring: NodeRing;
  private readonly index: StaticNodeIndex;
  /** One live NodeInfo per node, which the index's rings hold (node-infos.ts). */
  private readonly infos: NodeInfoTable;

  constructor(private readonly deps: SchedulerDeps) {
    super({ name: 'scheduler', workers: deps.workers ?? 64, maxRetryMs: 5000, logger: deps.logger, clock: deps.clock });
    const filters = deps.filters ?? DEFAULT_FILTERS;
    this.staticFit = new StaticFitCache(filters.filter((f) => f.static));
    this.dynamicFilters = filters.filter((f) => !f.static);
    this.scores = deps.scores ?? DEFAULT_SCORES;
    this.scoresCacheable = this.scores.every((s) => s.cacheable === true);
    this.filtersCacheable = this.dynamicFilters.every((f) => f.cacheable === true);
    this.ring = new NodeRing(function* () {
      for (const n of deps.nodes.list()) yield n.metadata.name ?? '';
    });
    this.infos = new NodeInfoTable(this.acct);
    this.index = new StaticNodeIndex(() => deps.nodes.list(), this.staticFit, this.acct, this.infos);
    deps.pods.addHandler({
      onAdd: (p) => this.podChanged(p),
      onUpdate: (_o, p) => this.podChanged(p),
      onDelete: (p) => {
        this.acct.update(p, true);
        this.unschedulable.delete(objectKey(p));
        this.retryUnschedulable();
      },
    });
    // A node change that can make waiting pods fit retries them (not a heartbeat's timestamps).
    deps.nodes.addHandler({
      onAdd: (n) => {
        this.infos.refresh(n);
        this.ring.invalidate();
        this.index.invalidate();
        this.retryUnschedulable();
      },
      onUpdate: (o, n) => {
        // The walk reads the live entry: every version of the Node reaches it, a status refresh too.
        this.infos.refresh(n);
        if (jsonEqual(schedulingView(o), schedulingView(n))) return;
        this.index.invalidate();
        this.retryUnschedulable();
      },
      onDelete: (n) => {
        this.infos.forget(n.metadata.name ?? '');
        this.ring.invalidate();
        this.index.invalidate();
      },
    });
  }

  /** Accounts every cached pod (bound ones use resources) and yields those that need a node. */
  protected *initialKeys(): Iterable<string> {
    for (const p of this.deps.pods.list()) {
      this.acct.update(p);
      if (needsScheduling(p)) yield objectKey(p);
    }
  }

  private podChanged(p: Pod): void {
    // An unbound version arriving while its binding is being written must not undo the assumption.
    if (p.spec.nodeName || !this.assumed.has(p.metadata.uid ?? '')) this.acct.update(p);
    if (needsScheduling(p)) this.queue.add(objectKey(p));
    else if (this.unschedulable.delete(objectKey(p)) || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')
      this.retryUnschedulable();
  }

  private retryUnschedulable(): void {
    for (const k of this.unschedulable) this.queue.add(k);
  }

  /**
   * Picks a node for `pod` (reads caches, writes nothing): walks the nodes its signature's static
   * filters let through (static-index.ts) from that ring's rotating start, through the dynamic filters,
   * until enough feasible ones were found, then scores those.
   */
  pickNode(pod: Pod): ScheduleResult {
    const total = this.ring.size;
    const want = feasibleNodesToFind(total, this.deps.percentageOfNodesToScore);
    // Only nodes the static filters let through are walked (static-index.ts).
    const pi = podInfo(pod);
    const entry = this.index.entryFor(pi);
    const scoreKey = this.scoresCacheable ? this.sameKey(pi.scoreKey) : undefined;
    // Each feasible node is scored as it is found (the scores are per node), and the dynamic filters'
    // reasons are counted only once one fails: a pick at 1,000 nodes walks ~420 of them, and the list
    // of feasible ones and the copy of the reasons were most of what a pick allocated.
    let reasons: Map<string, number> | undefined;
    let found = 0;
    let bestName: string | undefined;
    let bestScore = 0;
    const verdictsKept = this.filtersCacheable;
    entry.ring.walk((ni) => {
      if (ni.gone) return true;
      // A node whose Node and usage did not change since a pod alike was judged there is judged alike:
      // the walk then reads the node's entry and its usage, not its allocatable (node-infos.ts).
      const kept = scoreKey !== undefined && ni.keeps(scoreKey);
      let failed: string | undefined;
      if (kept && verdictsKept) failed = ni.keptFailure;
      else
        for (let i = 0; !failed && i < this.dynamicFilters.length; i++) failed = this.dynamicFilters[i]!.filter(pi, ni);
      if (failed) {
        if (scoreKey !== undefined && verdictsKept && !kept) ni.keep(scoreKey, failed, 0);
        reasons ??= new Map(entry.reasons);
        reasons.set(failed, (reasons.get(failed) ?? 0) + 1);
        return true;
      }
      found++;
      let score: number;
      if (kept) score = ni.keptScore;
      else {
        score = 0;
        for (const s of this.scores) score += s.weight * s.score(pi, ni);
        if (scoreKey !== undefined) ni.keep(scoreKey, undefined, score);
      }
      // Ties go to the lexically smaller name: deterministic, testable placements.
      if (bestName === undefined || score > bestScore || (score === bestScore && ni.name < bestName)) {
        bestName = ni.name;
        bestScore = score;
      }
      return found < want;
    });
    if (bestName !== undefined) return { node: bestName };
    const detail = [...(reasons ?? entry.reasons)].map(([r, n]) => `${n} ${r}`).join(', ');
    return { unschedulable: `0/${total} nodes are available${detail ? `: ${detail}` : ''}.` };
  }

  /**
   * The one string object kept for score key `key`: every pod of a workload makes its key anew, and
   * an entry's check against an equal string of another pod would compare their characters (a kept
   * key of a cleared table still compares equal, just slower).
   */
  private sameKey(key: string): string {
    const known = this.scoreKeys.get(key);
    if (known !== undefined) return known;
    if (this.scoreKeys.size >= 1024) this.scoreKeys.clear();
    this.scoreKeys.set(key, key);
    return key;
  }

  private observer: SchedulerObserver | undefined;

  /** Reports each scheduling attempt's result and latency (the hub's /metrics). */
  observeAttempts(observer: SchedulerObserver): void {
    this.observer = observer;
  }

  /** Schedules the pod `key` if it still needs a node. */
  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.deps.pods.get(namespace, name);
    if (!pod || !needsScheduling(pod)) return;
    const start = performance.now();
    const attempt = (r: SchedulingResult): void => this.observer?.attempt(r, (performance.now() - start) / 1000);
    const result = this.pickNode(pod);
    if ('unschedulable' in result) {
      this.unschedulable.add(key);
      attempt('unschedulable');
      await this.markUnschedulable(pod, result.unschedulable);
      return;
    }
    this.unschedulable.delete(key);
    const uid = pod.metadata.uid ?? '';
    const placed: Pod = { ...pod, spec: { ...pod.spec, nodeName: result.node } };
    // Assume: account for it now, so the pods placed while this binding is written see its requests.
    this.acct.update(placed);
    this.assumed.add(uid);
    try {
      const bound = await this.deps.api.update<Pod>(POD, placed);
      this.deps.pods.observe(bound);
      this.acct.update(bound);
      this.deps.events.normal(bound, 'Scheduled', `Successfully assigned ${namespace}/${name} to ${result.node}`);
      attempt('scheduled');
    } catch (err) {
      attempt('error');
      // Forget the assumption: account the pod as the cache now has it (or gone).
      const current = this.deps.pods.get(namespace, name);
      this.acct.update(current ?? pod, current === undefined);
      if (err instanceof NotFoundError) return;
      throw err; // a conflict is retried with the fresher cache
    } finally {
      this.assumed.delete(uid);
    }
  }

  private async markUnschedulable(pod: Pod, message: string): Promise<void> {
    const now = rfc3339(this.deps.clock.now());
    const prev = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (prev?.status === 'False' && prev.message === message) return;
    this.deps.events.warning(pod, 'FailedScheduling', message);
    const conditions = setCondition(
      pod.status?.conditions,
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message },
      now,
    );
    try {
      const updated = await this.deps.api.updateStatus<Pod>(POD, {
        ...pod,
        status: { ...(pod.status ?? {}), phase: 'Pending', conditions },
      });
      this.deps.pods.observe(updated);
    } catch (err) {
      if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
    }
  }
}
