/**
 * A terminating pod keeps serving while Service traffic still reaches it. The hub lists a pod being
 * deleted as a *terminating* endpoint, which nodes use only while its Service has no ready endpoint
 * (a one-replica rolling update: the new pod is not Ready yet); and a node may still hold a route
 * that names it as ready for the moment a change takes to reach it. Either way its requests arrive
 * after its deletion: stopping its containers at once (a Wasm instance refuses new requests as soon
 * as it stops, a container exits on SIGTERM) would fail them. So the worker stops its containers
 * only once no request was handed to the pod for `quietMs`, or when the grace period runs out —
 * what Kubernetes users get from a `preStop` sleep.
 *
 * Quiet before the deletion proves nothing: a pod that gets a request a second (a canary at 5 %)
 * is often a second without one, and every node may still route to it until the change reaches
 * them. So a pod that is some Service's endpoint also waits `settleMs` from the start of the drain
 * (the caller passes `quietMs`); a pod that backs no Service and had no recent request stops at once.
 */

/** How long a terminating pod must go without a request before its containers are stopped. */
export const DRAIN_QUIET_MS = 1000;

/** When a pod last served a request, and the wait for it to go quiet. */
export class TerminationDrain {
  #lastServed = Number.NEGATIVE_INFINITY;
  #stopping = false;

  constructor(readonly quietMs: number = DRAIN_QUIET_MS) {}

  /** A request was handed to the pod. */
  served(): void {
    this.#lastServed = performance.now();
  }

  /** The containers are being stopped: the pod takes no more requests. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * Waits until the pod had no request for `quietMs` and `settleMs` have passed since the call, or
   * until `graceMs()` (read again each round: a second deletion may shorten it) has, then marks it
   * stopping; resolves to the whole milliseconds spent waiting (0 for a pod that did not wait), which
   * the caller takes off the grace period left to its containers.
   */
  async wait(graceMs: () => number, settleMs = 0): Promise<number> {
    const start = performance.now();
    let waited = false;
    for (;;) {
      const now = performance.now();
      const quietLeft = Math.max(this.quietMs - (now - this.#lastServed), settleMs - (now - start));
      const graceLeft = graceMs() - (now - start);
      if (quietLeft <= 0 || graceLeft <= 0) break;
      waited = true;
      await new Promise((resolve) => setTimeout(resolve, Math.min(quietLeft, graceLeft)));
    }
    this.#stopping = true;
    return waited ? Math.ceil(performance.now() - start) : 0;
  }
}
