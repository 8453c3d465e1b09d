/**
 * One live {@link NodeInfo} per node, as kube-scheduler's cache keeps a NodeInfo per node: the Node
 * object as the informer last gave it, its parsed allocatable and image set, and its usage record (the accounting's
 * own object, which every binding updates in place). The static index's rings hold these, so a
 * scheduling attempt walks them directly. At 10,000 nodes an attempt walks 500 nodes, and looking each
 * one up again (the informer's map, the accounting's map, the allocatable cache, a new NodeInfo) was
 * most of `pickNode` in the fleet's rollout: ~1 ms a pick on a large, cold heap.
 *
 * The scheduler refreshes an entry on every change of its Node (`refresh`) and retires it when the
 * Node goes (`forget`: a ring built before still holds it, and skips it).
 */
import type { Node } from '../../api/index.js';
import type { NodeAccounting, NodeUsage } from './accounting.js';
import { allocatable, nodeImages, type Allocatable, type NodeInfo } from './plugins.js';

/** A node's entry: current while the scheduler refreshes it; `gone` once its Node was deleted. */
export interface LiveNodeInfo extends NodeInfo {
  readonly gone: boolean;
  /**
   * Whether a verdict for pods with `scoreKey` is kept here, computed with this Node object and its
   * usage as they are now: then `keptFailure` is the reason the pod does not fit (undefined: it fits)
   * and `keptScore` the total of its scores.
   */
  keeps(scoreKey: string): boolean;
  readonly keptFailure: string | undefined;
  readonly keptScore: number;
  /** Keeps the verdict for pods with `scoreKey` on this Node and usage (one key at a time). */
  keep(scoreKey: string, failure: string | undefined, score: number): void;
}

class Entry implements LiveNodeInfo {
  allocatable: Allocatable;
  images: ReadonlySet<string>;
  gone = false;
  // One pod key at a time: a rollout's pods are all alike; other pods just recompute. The scheduler
  // hands in one string object per key (scheduler.ts), so the check is a pointer comparison: a
  // comparison of equal strings reads both, and at 10,000 nodes each string read is a cache miss.
  #scoreKey: string | undefined;
  #scoreNode: Node | undefined;
  #scoreUsage = -1;
  keptScore = 0;
  keptFailure: string | undefined;

  constructor(
    public node: Node,
    readonly name: string,
    readonly usage: NodeUsage,
  ) {
    this.allocatable = allocatable(node);
    this.images = nodeImages(node);
  }

  keeps(scoreKey: string): boolean {
    return this.#scoreKey === scoreKey && this.#scoreNode === this.node && this.#scoreUsage === this.usage.version;
  }

  keep(scoreKey: string, failure: string | undefined, score: number): void {
    this.#scoreKey = scoreKey;
    this.#scoreNode = this.node;
    this.#scoreUsage = this.usage.version;
    this.keptFailure = failure;
    this.keptScore = score;
  }
}

/** The scheduler's live NodeInfos, by node name. */
export class NodeInfoTable {
  readonly #byName = new Map<string, Entry>();

  constructor(private readonly acct: NodeAccounting) {}

  /** The live entry of `node` (made now, or brought up to this version of the Node). */
  refresh(node: Node): LiveNodeInfo {
    const name = node.metadata.name ?? '';
    let e = this.#byName.get(name);
    if (!e) {
      e = new Entry(node, name, this.acct.usageOf(name));
      this.#byName.set(name, e);
    } else if (e.node !== node) {
      e.node = node;
      e.allocatable = allocatable(node);
      e.images = nodeImages(node);
      e.gone = false;
    }
    return e;
  }

  /** The Node `name` was deleted: its entry is retired (a ring still holding it skips it). */
  forget(name: string): void {
    const e = this.#byName.get(name);
    if (e) e.gone = true;
    this.#byName.delete(name);
  }
}
