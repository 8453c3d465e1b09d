/**
 * Guest execution time per instance, measured in the executor worker: from when the worker starts
 * running an instance's guest code (a request, an instantiation, a command) to when it stops,
 * leaving out the time the guest waits for an outgoing call's answer (blocked, not computing). The
 * worker runs one guest at a time, synchronously, on its own thread, so this wall time is the CPU
 * time the instance took (less only what the OS gave other threads meanwhile). `take` hands the time
 * gathered since the last take to the main thread, with each instance's linear memory at that moment.
 */

/** A flat list of `[instanceId, cpuNs, memoryBytes]` triples (structured-clone friendly). */
export type UsageTriples = number[];

/** The worker's per-instance guest clock (see the file comment). */
export class GuestClock {
  #instance = 0;
  /** `performance.now()` when the running segment began; undefined while paused or idle. */
  #since: number | undefined;
  readonly #pending = new Map<number, number>();

  /** The worker starts running `instanceId`'s guest code. */
  start(instanceId: number): void {
    this.stop();
    this.#instance = instanceId;
    this.#since = performance.now();
  }

  /** The guest waits for an outgoing call: not computing. */
  pause(): void {
    if (this.#since === undefined) return;
    const ns = (performance.now() - this.#since) * 1e6;
    this.#pending.set(this.#instance, (this.#pending.get(this.#instance) ?? 0) + ns);
    this.#since = undefined;
  }

  /** The guest computes again after a wait. */
  resume(): void {
    if (this.#instance !== 0 && this.#since === undefined) this.#since = performance.now();
  }

  /** The worker is done with the instance for now. */
  stop(): void {
    this.pause();
    this.#instance = 0;
  }

  /** The time gathered since the last take, with `memoryOf` each instance; undefined when none. */
  take(memoryOf: (instanceId: number) => number): UsageTriples | undefined {
    if (this.#pending.size === 0) return undefined;
    const out: UsageTriples = [];
    for (const [id, ns] of this.#pending) out.push(id, Math.round(ns), memoryOf(id));
    this.#pending.clear();
    return out;
  }
}
