/**
 * The taint manager (Kubernetes' NoExecute taint eviction): pods on a node with NoExecute taints go
 * as their tolerations allow. The node lifecycle controller asks it when a tainted node is due.
 */
import type { Node, Pod, Taint } from '../../api/index.js';
import { ConflictError, NotFoundError, typeByKind } from '../../api/index.js';
import { BY_NODE_NAME, nodeNameOf, type Informer } from '../informers/index.js';
import type { EventRecorder } from '../reconcile/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { tolerationFor } from '../scheduler/index.js';

const POD = typeByKind('v1', 'Pod')!;
/** Taint the hub puts on a node that stopped heartbeating (as Kubernetes' node lifecycle controller). */
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
/** Taint of a node that reports itself not ready. */
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';

/** What the taint manager reads and writes. */
export interface TaintManagerDeps {
  api: ObjectAPI;
  pods: Informer<Pod>;
  events: EventRecorder;
  /** Default toleration of the unreachable/not-ready taints for pods without their own. */
  evictionTimeoutSeconds: number;
}

/** A pod to evict, and the taint it does not (or no longer) tolerate. */
export interface DueEviction {
  pod: Pod;
  because: Taint;
}

/** Evicts pods that do not (or no longer) tolerate their node's NoExecute taints. */
export class TaintManager {
  readonly #deps: TaintManagerDeps;

  constructor(deps: TaintManagerDeps) {
    deps.pods.addIndex(BY_NODE_NAME, nodeNameOf);
    this.#deps = deps;
  }

  /**
   * The taint manager: a pod that does not tolerate a NoExecute taint of its node is deleted at once;
   * one that tolerates it for `tolerationSeconds` after the taint's `timeAdded`. A pod without its own
   * toleration of the unreachable/not-ready taints gets the hub's eviction timeout (Kubernetes adds
   * such default tolerations of 300 s at admission). The unreachable/not-ready taints count from
   * `notBeforeMs` at the earliest (the hub's start plus the grace period: time the hub was down is
   * not time the node was unreachable). Returns the pods due now and when the next one falls due.
   */
  due(node: Node, nowMs: number, notBeforeMs = 0): { due: DueEviction[]; nextMs: number } {
    const name = node.metadata.name ?? '';
    const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
    const due: DueEviction[] = [];
    let nextMs = Infinity;
    if (taints.length === 0) return { due, nextMs };
    for (const pod of this.#deps.pods.byIndex(BY_NODE_NAME, name).filter((p) => !p.metadata.deletionTimestamp)) {
      let evictAt = Infinity;
      let because: Taint | undefined;
      for (const taint of taints) {
        const own = tolerationFor(pod.spec.tolerations ?? [], taint);
        const defaulted =
          !own && (taint.key === UNREACHABLE_TAINT || taint.key === NOT_READY_TAINT)
            ? { tolerationSeconds: this.#deps.evictionTimeoutSeconds }
            : undefined;
        const t = own ?? defaulted;
        const stamped = taint.timeAdded ? Date.parse(taint.timeAdded) : nowMs;
        const lifecycle = taint.key === UNREACHABLE_TAINT || taint.key === NOT_READY_TAINT;
        const added = lifecycle ? Math.max(stamped, notBeforeMs) : stamped;
        const at = !t ? nowMs : t.tolerationSeconds === undefined ? Infinity : added + t.tolerationSeconds * 1000;
        if (at < evictAt) {
          evictAt = at;
          because = taint;
        }
      }
      if (!because) continue;
      if (evictAt <= nowMs) due.push({ pod, because });
      else nextMs = Math.min(nextMs, evictAt);
    }
    return { due, nextMs };
  }

  /** Deletes the pods `due` found on `node` (forced when the node is unreachable: nobody is there to confirm). */
  async evict(node: Node, due: readonly DueEviction[]): Promise<void> {
    const name = node.metadata.name ?? '';
    for (const { pod, because } of due) {
      try {
        const force = because.key === UNREACHABLE_TAINT;
        await this.#deps.api.delete(POD, pod.metadata.namespace, pod.metadata.name ?? '', {
          ...(force ? { gracePeriodSeconds: 0 } : {}),
          preconditions: { uid: pod.metadata.uid },
        });
        if (force) this.#deps.pods.observe(pod, true);
        this.#deps.events.warning(
          pod,
          'Evicted',
          `Taint {${because.key}${because.value ? `=${because.value}` : ''}:NoExecute} on node ${name}: pod deleted for rescheduling`,
        );
      } catch (err) {
        if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
      }
    }
  }
}
