/**
 * The main thread's view of an executor worker's shared activity array (see executor-protocol.ts):
 * what the worker runs right now and since when, its thread id, and the withdrawal watermark.
 * Reads and writes are sequentially consistent `Atomics` operations, no messages.
 */
import { ACTIVITY_SLOTS, Activity, ActivitySlot } from './executor-protocol.js';

/** What a worker is doing. */
export interface ActivityNow {
  /** An {@link Activity} value. */
  kind: number;
  /** Request id (kind request) or instance id (instantiate, run). */
  id: number;
  /** `Date.now()` when it started. */
  since: number;
}

/** A worker's activity array, seen from the main thread. */
export class ExecutorActivity {
  /** The shared memory to hand to the worker (`workerData.activity`). */
  readonly buffer = new SharedArrayBuffer(ACTIVITY_SLOTS * 8);
  readonly #slots = new BigInt64Array(this.buffer);

  now(): ActivityNow {
    const a = this.#slots;
    return {
      kind: Number(Atomics.load(a, ActivitySlot.kind)),
      id: Number(Atomics.load(a, ActivitySlot.id)),
      since: Number(Atomics.load(a, ActivitySlot.since)),
    };
  }

  /**
   * How long (ms) the worker has been computing what it runs now; 0 when idle or while its guest
   * waits for an outgoing call (after the wait it counts from when the guest resumed).
   */
  busyFor(now = Date.now()): number {
    const a = this.now();
    return a.kind === Activity.idle || this.waiting() ? 0 : now - a.since;
  }

  /** Whether the worker's guest waits for the answer to an outgoing call right now. */
  waiting(): boolean {
    return Atomics.load(this.#slots, ActivitySlot.waiting) !== 0n;
  }

  isRunningRequest(reqId: number): boolean {
    const a = this.now();
    return a.kind === Activity.request && a.id === reqId;
  }

  /** Running or instantiating instance `instanceId`. */
  isRunningInstance(instanceId: number): boolean {
    const a = this.now();
    return (a.kind === Activity.run || a.kind === Activity.instantiate) && a.id === instanceId;
  }

  /**
   * Tells the worker not to start requests up to `reqId`, then returns the last request it started:
   * those up to that one ran (or run now) and are not withdrawn. The worker announces a request
   * before checking the watermark, the reverse order (Dekker-style): a request is either seen
   * started here or skipped there.
   */
  withdrawUpTo(reqId: number): number {
    Atomics.store(this.#slots, ActivitySlot.withdrawnUpTo, BigInt(reqId));
    return Number(Atomics.load(this.#slots, ActivitySlot.started));
  }

  /** The worker's thread id (0 until it has started). */
  threadId(): number {
    return Number(Atomics.load(this.#slots, ActivitySlot.tid));
  }
}
