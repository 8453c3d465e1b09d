/**
 * Holds the pods found in local state at start until the hub has had its say. A hub that welcomes
 * the node sends the whole pod set anyway (its `podSync` wins); one that refuses the node as a
 * duplicate (a copied data dir) must not find the copy already running the other node's pods. The
 * pods are released to run (edge autonomy) when the hub cannot be reached — a dial fails, the hub
 * hangs up without a welcome — or when `delayMs` passes without an answer.
 */
import type { Pod } from '../../api/index.js';

export class LocalPodsGate {
  private pending: Pod[] | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    /** Runs the held pods (called at most once). */
    private readonly release: (pods: Pod[], why: string) => void,
  ) {}

  /** Holds `pods` until the hub answers or cannot be reached. */
  hold(pods: Pod[]): void {
    if (pods.length === 0) return;
    this.pending = pods;
    this.timer = setTimeout(() => this.unreachable('the hub has not answered'), this.delayMs);
    this.timer.unref();
  }

  /** The hub welcomed the node: its podSync follows (the pods stay held until it arrives, in case the connection drops first). */
  welcomed(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** No hub answer: run the held pods now. */
  unreachable(why: string): void {
    const pods = this.pending;
    this.drop();
    if (pods) this.release(pods, why);
  }

  /** The hub's podSync arrived: returns the held pods (they never run; the caller forgets those not bound here). */
  take(): Pod[] {
    const pods = this.pending ?? [];
    this.drop();
    return pods;
  }

  /** The node was refused, or the agent stops: the held pods never run. */
  drop(): void {
    this.pending = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
