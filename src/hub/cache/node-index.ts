/**
 * The keys of a watch cache's objects by `spec.nodeName`, as the kube-apiserver's watch cache indexes
 * pods by node: a LIST with `fieldSelector=spec.nodeName=<node>` (a node's own pods, what a kubelet or
 * `kubectl get pods --field-selector` asks) reads that node's keys instead of every pod in the cache.
 * At 10,000 pods such a LIST walked and matched all of them (the fleet bench's rollouts: ~6% of the
 * hub, and with 100,000 pods a p99 of 581 ms, all of it on the event loop).
 */
import type { KubeObject } from '../../api/index.js';

/** The node an object is bound to, if it has a `spec.nodeName` (pods). */
export function boundNode(obj: KubeObject | undefined): string | undefined {
  const spec = (obj as { spec?: { nodeName?: unknown } } | undefined)?.spec;
  return typeof spec?.nodeName === 'string' && spec.nodeName !== '' ? spec.nodeName : undefined;
}

/** Keys by the node their object is bound to. */
export class NodeKeyIndex {
  readonly #byNode = new Map<string, Set<string>>();

  /** Moves `key` from the node of `prev` to the node of `next` (either may be absent). */
  update(key: string, prev: KubeObject | undefined, next: KubeObject | undefined): void {
    const from = boundNode(prev);
    const to = boundNode(next);
    if (from === to) return;
    if (from !== undefined) {
      const set = this.#byNode.get(from);
      set?.delete(key);
      if (set?.size === 0) this.#byNode.delete(from);
    }
    if (to !== undefined) {
      let set = this.#byNode.get(to);
      if (!set) this.#byNode.set(to, (set = new Set()));
      set.add(key);
    }
  }

  /** The keys of objects bound to `node`, in key order. */
  keys(node: string): string[] {
    return [...(this.#byNode.get(node) ?? [])].sort();
  }

  clear(): void {
    this.#byNode.clear();
  }
}
