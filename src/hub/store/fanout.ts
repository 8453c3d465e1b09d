/**
 * In-process fan-out of committed store events to watchers, in revision order.
 *
 * Concurrency contract: `publish` is called once a write's batch is durable, before the next batch
 * commits (group-commit.ts), and
 * every delivery goes through one FIFO queue. A watcher callback that writes to the store (the
 * nested write publishes while we are draining) therefore cannot make a later revision overtake
 * an earlier one for any watcher: the nested event is queued behind the ones still pending.
 */
import type { Logger } from '../../api/index.js';
import type { StoreEvent } from './types.js';

interface Watcher {
  prefix: string;
  /** Highest revision handed to this watcher; guards against a replayed event also arriving live. */
  after: number;
  onEvent: (e: StoreEvent) => void;
  stopped: boolean;
}

export class Fanout {
  readonly #watchers = new Set<Watcher>();
  readonly #queue: Array<[Watcher, StoreEvent]> = [];
  readonly #logger: Logger;
  #draining = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Number of live watchers (for metrics and tests). */
  get size(): number {
    return this.#watchers.size;
  }

  /**
   * Registers a watcher and queues its `backlog` (already read from the event log) ahead of any
   * event published later. Must be called in the same tick as the backlog read.
   */
  add(
    prefix: string,
    fromRevision: number,
    backlog: readonly StoreEvent[],
    onEvent: (e: StoreEvent) => void,
  ): () => void {
    const w: Watcher = { prefix, after: fromRevision, onEvent, stopped: false };
    for (const e of backlog) this.#queue.push([w, e]);
    this.#watchers.add(w);
    this.#drain();
    return () => {
      w.stopped = true;
      this.#watchers.delete(w);
    };
  }

  /** Queues a committed event for every watcher whose prefix covers its key, then delivers. */
  publish(e: StoreEvent): void {
    for (const w of this.#watchers) if (e.key.startsWith(w.prefix)) this.#queue.push([w, e]);
    this.#drain();
  }

  /** Stops every watcher (store closing). */
  clear(): void {
    for (const w of this.#watchers) w.stopped = true;
    this.#watchers.clear();
    this.#queue.length = 0;
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let item = this.#queue.shift(); item; item = this.#queue.shift()) {
        const [w, e] = item;
        if (w.stopped || e.revision <= w.after) continue;
        w.after = e.revision;
        try {
          w.onEvent(e);
        } catch (err) {
          this.#logger.error({ err, key: e.key, revision: e.revision }, 'store watcher callback threw');
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
