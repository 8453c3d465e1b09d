/**
 * Replies an executor awaits from its worker, by instance id (main thread): one promise per
 * instantiation or run, settled by the worker's message, or rejected all at once when it is lost.
 */

interface Pending<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

/** Awaited replies of one kind (see the file comment). */
export class PendingReplies<T> {
  readonly #pending = new Map<number, Pending<T>>();

  get size(): number {
    return this.#pending.size;
  }

  /** A promise for the reply about `id`; `send` asks for it (called once the reply can be matched). */
  await(id: number, send: () => void): Promise<T> {
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      send();
    });
  }

  resolve(id: number, value: T): void {
    this.#take(id)?.resolve(value);
  }

  reject(id: number, err: Error): void {
    this.#take(id)?.reject(err);
  }

  /** Rejects every pending reply with `err`. */
  rejectAll(err: Error): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(err);
  }

  #take(id: number): Pending<T> | undefined {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    return p;
  }
}
