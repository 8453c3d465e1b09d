/**
 * Per-node sums of what bound pods request, kept incrementally from pod events so scheduling a pod
 * costs O(nodes), never a scan of every pod.
 */
import type { Pod } from '../../api/index.js';
import { cpuMillis, isPodTerminal, memoryBytes } from '../../api/index.js';
import { controllerRef } from '../reconcile/index.js';

/** What one pod asks for. Requests default to limits when only limits are given (as Kubernetes). */
export function podRequests(pod: Pod): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec.containers) {
    cpu += cpuMillis(c.resources?.requests?.cpu ?? c.resources?.limits?.cpu);
    memory += memoryBytes(c.resources?.requests?.memory ?? c.resources?.limits?.memory);
  }
  return { cpu, memory };
}

/** Usage of one node. `owners` counts pods per controlling workload (for spreading). */
export interface NodeUsage {
  cpu: number;
  memory: number;
  pods: number;
  owners: Map<string, number>;
  /** Bumped on every change: what was computed from this usage is current while it stays the same. */
  version: number;
}

/**
 * The owning workload a pod is spread with: its controller's uid, else the pod itself. Asked once per
 * scheduling attempt (plugins.ts `PodInfo`) and once per counted pod; not memoised per pod object.
 */
export function spreadKey(pod: Pod): string {
  return controllerRef(pod)?.uid ?? `pod:${pod.metadata.uid ?? ''}`;
}

/** The usage of a node nothing is bound to (shared, never modified: `update` makes a node its own). */
const NO_USAGE: NodeUsage = Object.freeze({
  cpu: 0,
  memory: 0,
  pods: 0,
  owners: new Map<string, number>(),
  version: 0,
});

export class NodeAccounting {
  private readonly usage = new Map<string, NodeUsage>();
  /** What each counted pod contributed (by uid), to subtract exactly what was added. */
  private readonly counted = new Map<string, { node: string; cpu: number; memory: number; owner: string }>();

  /** Usage of `node` (zeros when nothing is bound there). */
  get(node: string): NodeUsage {
    return this.usage.get(node) ?? NO_USAGE;
  }

  /**
   * The node's own usage record, made now if nothing was bound there yet: the same object every later
   * `update` changes, so a holder (node-infos.ts) reads the current usage without looking it up again.
   */
  usageOf(node: string): NodeUsage {
    let u = this.usage.get(node);
    if (!u) {
      u = { cpu: 0, memory: 0, pods: 0, owners: new Map(), version: 0 };
      this.usage.set(node, u);
    }
    return u;
  }

  /** Applies the current version of a pod (bound, unbound, finished or gone). */
  update(pod: Pod, gone = false): void {
    const uid = pod.metadata.uid ?? '';
    const prev = this.counted.get(uid);
    const shouldCount = !gone && pod.spec.nodeName !== undefined && pod.spec.nodeName !== '' && !isPodTerminal(pod);
    if (prev && (!shouldCount || prev.node !== pod.spec.nodeName)) {
      const u = this.usage.get(prev.node);
      if (u) {
        u.cpu -= prev.cpu;
        u.memory -= prev.memory;
        u.pods -= 1;
        const n = (u.owners.get(prev.owner) ?? 1) - 1;
        if (n <= 0) u.owners.delete(prev.owner);
        else u.owners.set(prev.owner, n);
        u.version++;
      }
      this.counted.delete(uid);
    }
    if (shouldCount && !this.counted.has(uid)) {
      const node = pod.spec.nodeName as string;
      const req = podRequests(pod);
      const owner = spreadKey(pod);
      const u = this.usageOf(node);
      u.cpu += req.cpu;
      u.memory += req.memory;
      u.pods += 1;
      u.owners.set(owner, (u.owners.get(owner) ?? 0) + 1);
      u.version++;
      this.counted.set(uid, { node, cpu: req.cpu, memory: req.memory, owner });
    }
  }
}
