/** Probe timers a test moves by hand: nothing fires until `advance`, and then in time order. */
import type { ProbeTimers } from '../types.js';

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets pending promise callbacks (probe attempts, listeners) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** A fake clock with a timer queue. */
export class ManualTimers implements ProbeTimers {
  private t: number;
  private seq = 0;
  private readonly queue = new Set<Entry>();

  constructor(start = Date.parse('2030-01-01T00:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  schedule(delayMs: number, fn: () => void): () => void {
    const e: Entry = { at: this.t + Math.max(0, delayMs), seq: this.seq++, fn };
    this.queue.add(e);
    return () => void this.queue.delete(e);
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.queue.size;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting their async work settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const next = [...this.queue].filter((e) => e.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.queue.delete(next);
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}
