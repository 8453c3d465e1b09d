/**
 * The HTTP requests one executor has been sent (main thread): packed into one `requests` message per
 * callback (flushed in a microtask, so the worker starts while this thread handles the next socket),
 * and remembered until their result comes — with their instance, their handler and their call depth
 * — so that queued ones can be withdrawn and every one still pending settled when the worker is lost.
 */
import { packRequest } from './executor-protocol.js';
import type { Packed, RequestFields, WireResult } from './executor-protocol.js';

/** Gets a request's result, exactly once. */
export type ResultHandler = (result: WireResult) => void;

/** A request sent and not answered yet. */
export interface Sent {
  instanceId: number;
  handler: ResultHandler;
  /** Its call depth (0: from outside). */
  depth: number;
}

/** One executor's requests in flight (see the file comment). */
export class ExecutorRequests {
  readonly #sent = new Map<number, Sent>();
  #outbox: Packed = [];
  #flushQueued = false;
  #lastId = 0;
  readonly #post: (batch: Packed) => void;

  /** `post` sends a batch to the worker (it drops it when the worker is gone). */
  constructor(post: (batch: Packed) => void) {
    this.#post = post;
  }

  /** Requests sent and not answered, plus those packed and not flushed yet. */
  get pending(): number {
    return this.#sent.size + this.#outbox.length;
  }

  /** Packs request `id` for `instanceId`; it goes out with the others of this callback. */
  add(id: number, instanceId: number, req: RequestFields, handler: ResultHandler, depth: number): void {
    this.#sent.set(id, { instanceId, handler, depth });
    this.#lastId = id;
    packRequest(this.#outbox, id, instanceId, req);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      // At the end of the current callback: the worker starts while this thread handles the next
      // socket (requests dispatched by one callback still share one message).
      queueMicrotask(this.#flush);
    }
  }

  /** The id of the request added last (the worker may withdraw up to it). */
  get lastId(): number {
    return this.#lastId;
  }

  /** The instance request `id` was sent to, if it is pending. */
  instanceOf(id: number): number | undefined {
    return this.#sent.get(id)?.instanceId;
  }

  /** The call depth of request `id` (0 when it is not pending). */
  depthOf(id: number): number {
    return this.#sent.get(id)?.depth ?? 0;
  }

  /** Takes pending request `id` (its result is being handled), if it is pending. */
  take(id: number): Sent | undefined {
    const entry = this.#sent.get(id);
    this.#sent.delete(id);
    return entry;
  }

  /** Every pending request after `started` gets a `withdrawn` result; returns how many. */
  withdrawAfter(started: number): number {
    const taken = [...this.#sent.entries()].filter(([id]) => id > started);
    for (const [id, { handler }] of taken) {
      this.#sent.delete(id);
      handler({ id, withdrawn: true });
    }
    return taken.length;
  }

  /** The worker is gone: every pending request is `lost` (`ran` for the one it was running). */
  loseAll(reason: string, running: number | undefined): void {
    const sent = [...this.#sent.entries()];
    this.#sent.clear();
    this.#outbox = [];
    for (const [id, { handler }] of sent) handler({ id, lost: reason, ran: id === running });
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    if (this.#outbox.length === 0) return;
    const batch = this.#outbox;
    this.#outbox = [];
    this.#post(batch);
  };
}
