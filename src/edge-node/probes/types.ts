/**
 * Shared vocabulary of the probes area: what a probe acts on, what one attempt yields, and the
 * timer seam (so tests drive time by hand).
 */
import type { Container, Runtime } from '../../api/index.js';

/** Which of a container's probes. */
export type ProbeType = 'liveness' | 'readiness' | 'startup';

/** The outcome of one probe attempt. */
export interface ProbeOutcome {
  ok: boolean;
  /** Why it failed (Kubernetes' wording where there is one); empty or a short note on success. */
  message: string;
  /**
   * Set when the attempt gave up (timeout) while the work it started goes on (an in-process request
   * keeps its place in the instance's queue): resolves when that work has ended. The worker sends
   * no new request while it is pending, so a stuck instance does not collect a queue of probes.
   */
  pending?: Promise<unknown>;
}

/** The container instance a probe acts on. */
export interface ProbeTarget {
  runtime: Runtime;
  containerId: string;
  /** The container's spec (named ports are resolved against its `ports`). */
  container: Container;
  /** The pod's address (the node's for Wasm pods): the default host of httpGet/tcpSocket. */
  podIP: string;
}

/** Timers as a dependency. One probe holds at most one scheduled callback at a time. */
export interface ProbeTimers {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` after `delayMs`; returns the cancel function. */
  schedule(delayMs: number, fn: () => void): () => void;
}

/** Real timers (unref'd: a pending probe never keeps the process alive). */
export const realProbeTimers: ProbeTimers = {
  now: () => Date.now(),
  schedule(delayMs, fn) {
    const t = setTimeout(fn, Math.max(0, delayMs));
    t.unref();
    return () => clearTimeout(t);
  },
};
