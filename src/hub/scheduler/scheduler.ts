/**
 * The scheduler: takes unbound pods from a queue, filters nodes, scores the ones that fit and binds
 * the pod to the best by writing `spec.nodeName`. A pod that fits nowhere gets `PodScheduled=False`
 * (`Unschedulable`) and a FailedScheduling event, and is retried when nodes change.
 */
import type { Clock, Logger, Node, Pod } from '../../api/index.js';
import { ConflictError, NotFoundError, rfc3339, typeByKind } from '../../api/index.js';
import { Controller, setCondition, type EventRecorder } from '../reconcile/index.js';
import type { Informer } from '../informers/index.js';
import { objectKey, splitKey } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { NodeAccounting } from './accounting.js';
import { DEFAULT_FILTERS, DEFAULT_SCORES, type FilterPlugin, type ScorePlugin } from './plugins.js';

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
}

/** Outcome of one scheduling attempt. */
export type ScheduleResult = { node: string } | { unschedulable: string };

const needsScheduling = (p: Pod): boolean =>
  !p.spec.nodeName &&
  p.metadata.deletionTimestamp === undefined &&
  p.status?.phase !== 'Succeeded' &&
  p.status?.phase !== 'Failed';

/** Binds unbound pods to nodes, one at a time (each binding is accounted before the next pick). */
export class Scheduler extends Controller {
  private readonly acct = new NodeAccounting();
  private readonly unschedulable = new Set<string>();
  private readonly filters: readonly FilterPlugin[];
  private readonly scores: readonly ScorePlugin[];

  constructor(private readonly deps: SchedulerDeps) {
    super({ name: 'scheduler', workers: 1, maxRetryMs: 5000, logger: deps.logger, clock: deps.clock });
    this.filters = deps.filters ?? DEFAULT_FILTERS;
    this.scores = deps.scores ?? DEFAULT_SCORES;
    deps.pods.addHandler({
      onAdd: (p) => this.podChanged(p),
      onUpdate: (_o, p) => this.podChanged(p),
      onDelete: (p) => {
        this.acct.update(p, true);
        this.unschedulable.delete(objectKey(p));
        this.retryUnschedulable();
      },
    });
    // Any node change may make waiting pods fit.
    deps.nodes.addHandler({ onAdd: () => this.retryUnschedulable(), onUpdate: () => this.retryUnschedulable() });
  }

  /** Accounts every cached pod (bound ones use resources) and yields those that need a node. */
  protected *initialKeys(): Iterable<string> {
    for (const p of this.deps.pods.list()) {
      this.acct.update(p);
      if (needsScheduling(p)) yield objectKey(p);
    }
  }

  private podChanged(p: Pod): void {
    this.acct.update(p);
    if (needsScheduling(p)) this.queue.add(objectKey(p));
    else if (this.unschedulable.delete(objectKey(p)) || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')
      this.retryUnschedulable();
  }

  private retryUnschedulable(): void {
    for (const k of this.unschedulable) this.queue.add(k);
  }

  /** Picks a node for `pod` (pure: reads caches, writes nothing). */
  pickNode(pod: Pod): ScheduleResult {
    const nodes = this.deps.nodes.list();
    const reasons = new Map<string, number>();
    let best: { name: string; score: number } | undefined;
    for (const node of nodes) {
      let failed: string | undefined;
      for (const f of this.filters) {
        failed = f.filter(pod, node, this.acct);
        if (failed) break;
      }
      if (failed) {
        reasons.set(failed, (reasons.get(failed) ?? 0) + 1);
        continue;
      }
      let score = 0;
      for (const s of this.scores) score += s.weight * s.score(pod, node, this.acct);
      const name = node.metadata.name ?? '';
      // Ties go to the lexically smaller name: deterministic, testable placements.
      if (!best || score > best.score || (score === best.score && name < best.name)) best = { name, score };
    }
    if (best) return { node: best.name };
    const detail = [...reasons].map(([r, n]) => `${n} ${r}`).join(', ');
    return { unschedulable: `0/${nodes.length} nodes are available${detail ? `: ${detail}` : ''}.` };
  }

  /** Schedules the pod `key` if it still needs a node. */
  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.deps.pods.get(namespace, name);
    if (!pod || !needsScheduling(pod)) return;
    const result = this.pickNode(pod);
    if ('unschedulable' in result) {
      this.unschedulable.add(key);
      await this.markUnschedulable(pod, result.unschedulable);
      return;
    }
    this.unschedulable.delete(key);
    try {
      const bound = await this.deps.api.update<Pod>(POD, { ...pod, spec: { ...pod.spec, nodeName: result.node } });
      // Account for it now: the next pod in the queue must see this one's requests.
      this.deps.pods.observe(bound);
      this.acct.update(bound);
      this.deps.events.normal(bound, 'Scheduled', `Successfully assigned ${namespace}/${name} to ${result.node}`);
    } catch (err) {
      if (err instanceof NotFoundError) return;
      if (err instanceof ConflictError) throw err; // retried with the fresher cache
      throw err;
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
