/**
 * What the owners of instances on an executor see of it (main thread): why it was lost, the owner
 * callbacks, and the outcome of a command run. Split from executor.ts, which re-exports them with
 * the executor type filled in (`E`): a type parameter rather than an import keeps the two files out of
 * an import cycle.
 */
import type { InstanceEnd } from './executor-protocol.js';
import type { OutgoingDispatch } from '../outgoing/outgoing-dispatch.js';

/** The worker went away (terminated, crashed) while something was pending. */
export class ExecutorLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutorLostError';
  }
}

/** Why an executor was lost, and whose instance (if any) it was running. */
export interface ExecutorLoss {
  reason: string;
  /** The instance the worker was running (request, run or instantiation) when it went away. */
  culpritInstanceId?: number;
}

/** Whoever holds instances on an executor. */
export interface InstanceOwnerOf<E> {
  onOutput(stream: 'stdout' | 'stderr', data: Uint8Array): void;
  /** The executor is gone with the owner's instances on it (called once per owner). */
  onExecutorLost(executor: E, loss: ExecutorLoss): void;
  /** One of the owner's instances made an outgoing HTTP call (its pod calls out). */
  onOutgoingCall?(): void;
  /** An instance's guest ran `cpuNs` more; its linear memory is `memoryBytes` now (metrics). */
  onUsage?(instanceId: number, cpuNs: number, memoryBytes: number): void;
}

/** The outcome of a `run`: how the instance ended, and its output when captured. */
export interface RunOutcome {
  end: InstanceEnd;
  /** The run's deadline passed before the worker got to it. */
  expired?: boolean;
  stdout?: Uint8Array;
  stderr?: Uint8Array;
  /** Bytes of captured output past the per-stream cap, dropped. */
  dropped?: { stdout: number; stderr: number };
}

/** How an executor is started, and who hears about it. */
export interface ExecutorOptionsOf<E> {
  /** Not one of the shared executors (an isolated pod's, a command's, an exec's). */
  dedicated: boolean;
  /** Its worker's V8 old-generation heap in MiB (default EXECUTOR_HEAP_MB). */
  heapMb?: number;
  /** Called once when the worker is lost, for whatever reason. */
  onGone(executor: E, loss: ExecutorLoss): void;
  /** Delivers the guests' outgoing HTTP calls; absent: every call is denied. */
  outgoing?: OutgoingDispatch;
  /** A guest here made an outgoing call and the worker is (about to be) blocked waiting. */
  onOutgoingWait?(executor: E): void;
  /** Its guests ran `ns` more (all instances together: executor utilisation). */
  onGuestTime?(ns: number): void;
  /** Its outgoing calls are answered, or the guest that made them has finished: it may be available again. */
  onOutgoingDone?(executor: E): void;
}
