/**
 * One probe of one container instance, as the kubelet's probe worker: a single timer, first run at
 * `initialDelaySeconds` after the container started, then every `periodSeconds` (never two attempts
 * at once); a result counts only after `successThreshold` / `failureThreshold` equal results in a row.
 */
import type { Probe } from '../../api/index.js';
import { runProbe } from './prober.js';
import type { ProbeOutcome, ProbeTarget, ProbeTimers, ProbeType } from './types.js';

/** What a probe worker reports to (and asks of) the set of probes it belongs to. */
export interface ProbeWorkerOwner {
  readonly target: ProbeTarget;
  readonly startedAtMs: number;
  readonly timers: ProbeTimers;
  /** False while a startup probe has not succeeded yet: liveness and readiness wait for it. */
  mayProbe(type: ProbeType): boolean;
  /** Every failed attempt (an `Unhealthy` event). */
  attemptFailed(type: ProbeType, message: string): void;
  /** A result that passed its threshold; returns true when this worker has nothing more to do. */
  settled(type: ProbeType, ok: boolean, message: string): boolean;
}

/** Runs one probe on its own timer. */
export class ProbeWorker {
  private cancelTimer: (() => void) | undefined;
  private running = false;
  private stopped = false;
  private lastResult: boolean | undefined;
  private resultRun = 0;
  /** Work of an attempt that timed out and is still going on (see `ProbeOutcome.pending`). */
  private pending: { work: Promise<unknown>; message: string } | undefined;

  constructor(
    readonly type: ProbeType,
    readonly probe: Probe,
    private readonly owner: ProbeWorkerOwner,
  ) {}

  /** Schedules the first attempt at `initialDelaySeconds` after the container started. */
  start(): void {
    this.scheduleAt(this.owner.startedAtMs + (this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  /** Cancels the timer; an attempt in flight is ignored when it ends. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /** True while the worker holds a timer or runs an attempt (one of the two, never both). */
  get active(): boolean {
    return !this.stopped && (this.cancelTimer !== undefined || this.running);
  }

  private scheduleAt(atMs: number): void {
    if (this.stopped) return;
    this.cancelTimer = this.owner.timers.schedule(atMs - this.owner.timers.now(), () => {
      this.cancelTimer = undefined;
      void this.tick();
    });
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const began = this.owner.timers.now();
    if (this.owner.mayProbe(this.type)) {
      this.running = true;
      const outcome = await this.attempt();
      this.running = false;
      if (this.stopped) return;
      if (this.record(outcome)) {
        this.stopped = true;
        return;
      }
    }
    // Period measured from the start of this attempt, as a ticker would; a slow attempt delays the next.
    this.scheduleAt(Math.max(began + this.probe.periodSeconds * 1000, this.owner.timers.now()));
  }

  private async attempt(): Promise<ProbeOutcome> {
    // An earlier attempt's request is still queued in the instance: do not add another behind it.
    if (this.pending) return { ok: false, message: this.pending.message };
    const outcome = await runProbe(this.probe, this.owner.target, this.owner.timers);
    if (outcome.pending) {
      const pending = { work: outcome.pending, message: outcome.message };
      this.pending = pending;
      void outcome.pending.then(() => {
        if (this.pending === pending) this.pending = undefined;
      });
    }
    return outcome;
  }

  /** Applies the thresholds; returns true when the worker is done. */
  private record(outcome: ProbeOutcome): boolean {
    if (!outcome.ok) this.owner.attemptFailed(this.type, outcome.message);
    if (outcome.ok === this.lastResult) this.resultRun++;
    else {
      this.lastResult = outcome.ok;
      this.resultRun = 1;
    }
    const threshold = outcome.ok ? this.probe.successThreshold : this.probe.failureThreshold;
    if (this.resultRun < threshold) return false;
    return this.owner.settled(this.type, outcome.ok, outcome.message);
  }
}
