/**
 * A work queue as in client-go: keys are deduplicated while waiting, a key is processed by at most
 * one worker at a time (a key re-added while it is being processed is queued again after), and failed
 * keys are retried with per-key exponential back-off.
 */
import type { Logger } from '../../api/index.js';
import { errorMessage, timerDelayMs } from '../../api/index.js';

export interface WorkQueueOptions {
  name: string;
  /** Parallel workers (distinct keys only). */
  workers: number;
  reconcile: (key: string) => Promise<void>;
  logger: Logger;
  /** First retry delay; doubles per failure up to `maxRetryMs`. */
  baseRetryMs?: number;
  maxRetryMs?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys re-added while processing: run again once the current run ends. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private active = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: WorkQueueOptions) {}

  /** Queues `key` (no-op if already waiting). */
  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Queues `key` after `ms`; when a delay is already pending for it, the earlier of the two wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    const due = Date.now() + ms;
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
    return this.queue.length + this.active;
  }

  /** Resolves when nothing is waiting or running (tests, shutdown). */
  async idle(): Promise<void> {
    if (this.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
  }

  private pump(): void {
    while (!this.stopped && this.active < this.opts.workers && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      this.queued.delete(key);
      this.processing.add(key);
      this.active++;
      void this.run(key);
    }
    if (this.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(key: string): Promise<void> {
    try {
      await this.opts.reconcile(key);
      this.failures.delete(key);
    } catch (err) {
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
      this.processing.delete(key);
      this.active--;
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }
}
