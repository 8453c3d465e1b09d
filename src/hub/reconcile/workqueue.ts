/**
 * A work queue as in client-go: keys are deduplicated while waiting, a key is processed by at most
 * one worker at a time (a key re-added while it is being processed is queued again after), and failed
 * keys are retried with per-key exponential back-off.
 *
 * Stopping drains: `stop()` refuses new keys, lets the reconciles in flight finish and also runs the
 * keys already waiting (every reconcile is idempotent and level-triggered, so finishing the backlog is
 * always safe), then resolves. What it cannot finish is never dropped silently: keys whose retry or
 * `addAfter` delay was still pending, keys added (or failed and due for a retry) while draining, and —
 * if the drain outlasts `drainTimeoutMs` — the keys still waiting or running are returned by `stop()`
 * and logged. A later `start` of the owning controller relists, so these keys are healed there.
 *
 * Dispatch is asynchronous: `add` never runs a reconcile in the caller's turn. Keys are started from a
 * `setImmediate`, a few per turn, so an informer handler (called from the store's commit) returns at
 * once and a chain write → handler → reconcile → write is spread over event-loop turns instead of
 * blocking the loop (pongs, heartbeats and API requests get their turn in between).
 */
import type { Clock, Logger } from '../../api/index.js';
import { errorMessage, timerDelayMs } from '../../api/index.js';
import type { WorkQueueObserver } from '../metrics/index.js';
import { FifoSet } from './fifo.js';

/** Tunables and dependencies of a {@link WorkQueue}. */
export interface WorkQueueOptions {
  name: string;
  /** Parallel workers (distinct keys only). */
  workers: number;
  reconcile: (key: string) => Promise<void>;
  logger: Logger;
  /** Reads the time for delayed keys (the timers themselves are the runtime's `setTimeout`). */
  clock: Clock;
  /** First retry delay; doubles per failure up to `maxRetryMs`. */
  baseRetryMs?: number;
  maxRetryMs?: number;
  /** How long `stop()` waits for the backlog and the reconciles in flight (default 10 s). */
  drainTimeoutMs?: number;
}

const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/** Deduplicating, per-key serialised, rate-limited queue of reconcile keys. */
export class WorkQueue {
  /** Waiting keys, in FIFO order (fifo.ts: taking a Set's first key is not O(1) in V8). */
  private readonly queued = new FifoSet<string>();
  private readonly processing = new Set<string>();
  /** Keys re-added while processing: run again once the current run ends. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  /** Keys refused or cancelled since `stop()` began (reported by it). */
  private readonly dropped = new Set<string>();
  private active = 0;
  private pumpScheduled: NodeJS.Immediate | undefined;
  private stopping = false;
  private idleWaiters: Array<() => void> = [];
  private observer: WorkQueueObserver | undefined;
  /** When each waiting key was queued (kept only while observed). */
  private readonly queuedAt = new Map<string, number>();

  constructor(private readonly opts: WorkQueueOptions) {}

  /** Reports adds, waits, reconcile times and retries to `observer` (the hub's /metrics). */
  observe(observer: WorkQueueObserver): void {
    this.observer = observer;
  }

  /** Queues `key` (no-op if already waiting). After `stop()` the key is refused and reported. */
  add(key: string): void {
    if (this.stopping) {
      this.dropped.add(key);
      return;
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    if (this.observer) {
      this.observer.added();
      this.queuedAt.set(key, performance.now());
    }
    this.schedulePump();
  }

  /** Queues `key` after `ms`; when a delay is already pending for it, the earlier of the two wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopping) {
      this.dropped.add(key);
      return;
    }
    if (ms <= 0) return this.add(key);
    const due = this.opts.clock.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.due <= due) return;
    if (pending) clearTimeout(pending.timer);
    // Clamped: a delay past 2^31-1 ms (a deadline of ~24.8 days plus a margin) would fire at once, in a loop.
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, timerDelayMs(ms));
    timer.unref();
    this.timers.set(key, { timer, due });
  }

  /** Number of keys waiting or running. */
  get length(): number {
    return this.queued.size + this.active;
  }

  /** Resolves when nothing is waiting or running (tests, shutdown). */
  async idle(): Promise<void> {
    if (this.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops the queue: refuses new keys, cancels pending delays, finishes the waiting keys and those in
   * flight (at most `drainTimeoutMs`), and resolves with every key it did not finish (also logged).
   */
  async stop(): Promise<string[]> {
    if (!this.stopping) {
      this.stopping = true;
      for (const [key, t] of this.timers) {
        clearTimeout(t.timer);
        this.dropped.add(key);
      }
      this.timers.clear();
    }
    const drained = await this.idleWithin(this.opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
    if (!drained) {
      // Forced: what still waits is dropped here; what runs finishes on its own but is reported.
      for (const key of [...this.queued, ...this.processing]) this.dropped.add(key);
      this.queued.clear();
      this.queuedAt.clear();
    }
    const left = [...this.dropped];
    if (left.length > 0)
      this.opts.logger.info(
        { queue: this.opts.name, keys: left.length, sample: left.slice(0, 5), drained },
        'work queue stopped with unfinished keys (healed by the next start)',
      );
    return left;
  }

  private async idleWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timerDelayMs(ms));
      timer.unref();
    });
    try {
      return await Promise.race([this.idle().then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts waiting keys on a later turn (never inside the caller's). */
  private schedulePump(): void {
    this.pumpScheduled ??= setImmediate(() => {
      this.pumpScheduled = undefined;
      this.pump();
    });
  }

  private pump(): void {
    while (this.active < this.opts.workers && this.queued.size > 0) {
      const key = this.queued.shift() as string;
      this.processing.add(key);
      this.active++;
      const at = this.queuedAt.get(key);
      if (at !== undefined) {
        this.queuedAt.delete(key);
        this.observer?.started((performance.now() - at) / 1000);
      }
      void this.run(key);
    }
    if (this.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(key: string): Promise<void> {
    const start = performance.now();
    try {
      await this.opts.reconcile(key);
      this.failures.delete(key);
    } catch (err) {
      this.observer?.retried();
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const base = this.opts.baseRetryMs ?? 50;
      const delay = Math.min(base * 2 ** (n - 1), this.opts.maxRetryMs ?? 30_000);
      this.opts.logger.warn(
        { queue: this.opts.name, key, attempt: n, retryInMs: delay, err: errorMessage(err) },
        'reconcile failed',
      );
      this.addAfter(key, delay);
    } finally {
      this.observer?.finished((performance.now() - start) / 1000);
      this.processing.delete(key);
      this.active--;
      if (this.dirty.delete(key)) this.add(key);
      if (this.queued.size > 0) this.schedulePump();
      else this.pump();
    }
  }
}
