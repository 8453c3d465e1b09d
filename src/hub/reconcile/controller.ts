/**
 * The base of every queue-driven controller (and the scheduler): informer events become keys in a
 * {@link WorkQueue}, a worker runs the subclass's idempotent `reconcile(key)`, `start()` enqueues the
 * keys the synced caches hold, and `stop()` drains the queue (see WorkQueue for what that means).
 * Subclasses say only which informers map to which keys, and how to reconcile one.
 */
import type { Clock, KubeObject, Logger } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import { objectKey } from '../informers/index.js';
import { controllerRef } from './owners.js';
import { WorkQueue } from './workqueue.js';
import type { WorkQueueObserver } from '../metrics/index.js';

/** Options of a {@link Controller}'s queue. */
export interface ControllerOptions {
  /** Queue name (logs). */
  name: string;
  logger: Logger;
  clock: Clock;
  /** Parallel workers (distinct keys only); default 2. */
  workers?: number;
  /** Upper bound of the retry back-off (default 30 s). */
  maxRetryMs?: number;
}

/** Which informer events enqueue a key. */
export interface EnqueueOn {
  add?: boolean;
  update?: boolean;
  delete?: boolean;
}

const ADD_AND_UPDATE: EnqueueOn = { add: true, update: true };

/** A level-triggered reconciler fed by informers. */
export abstract class Controller {
  /** The queue; subclasses call `addAfter` to look again later. */
  protected readonly queue: WorkQueue;

  /** The queue's name (logs and metrics). */
  readonly queueName: string;

  constructor(opts: ControllerOptions) {
    this.queueName = opts.name;
    this.queue = new WorkQueue({
      name: opts.name,
      workers: opts.workers ?? 2,
      logger: opts.logger,
      clock: opts.clock,
      ...(opts.maxRetryMs !== undefined ? { maxRetryMs: opts.maxRetryMs } : {}),
      reconcile: (key) => this.reconcile(key),
    });
  }

  /** Reads desired and observed state for `key` and writes the difference; throws to be retried. */
  protected abstract reconcile(key: string): Promise<void>;

  /** The keys to look at when the caches have synced. */
  protected abstract initialKeys(): Iterable<string>;

  /** Enqueues every initial key (call after the informers synced). */
  start(): void {
    for (const key of this.initialKeys()) this.queue.add(key);
  }

  /** Drains the queue; resolves with the keys it did not finish. */
  stop(): Promise<string[]> {
    return this.queue.stop();
  }

  /** Reports this controller's queue to `observe(name, length)`'s observer (the hub's /metrics). */
  observeQueue(observe: (name: string, length: () => number) => WorkQueueObserver): void {
    this.queue.observe(observe(this.queueName, () => this.queue.length));
  }

  /** Waits until the queue is empty (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Enqueues `keyOf(obj)` (when defined) on the chosen events of `informer` (default add and update). */
  protected enqueueFrom<T extends KubeObject>(
    informer: Informer<T>,
    keyOf: (obj: T) => string | undefined = objectKey,
    on: EnqueueOn = ADD_AND_UPDATE,
  ): void {
    const enqueue = (obj: T): void => {
      const key = keyOf(obj);
      if (key !== undefined) this.queue.add(key);
    };
    informer.addHandler({
      ...(on.add ? { onAdd: enqueue } : {}),
      ...(on.update ? { onUpdate: (_old: T, obj: T) => enqueue(obj) } : {}),
      ...(on.delete ? { onDelete: enqueue } : {}),
    });
  }

  /** Enqueues the controlling owner of kind `ownerKind` whenever one of its dependents changes. */
  protected enqueueOwnerOf<T extends KubeObject>(informer: Informer<T>, ownerKind: string): void {
    const ownerKey = (obj: T): string | undefined => {
      const ref = controllerRef(obj);
      return ref?.kind === ownerKind ? `${obj.metadata.namespace}/${ref.name}` : undefined;
    };
    this.enqueueFrom(informer, ownerKey, { add: true, update: true, delete: true });
  }
}
