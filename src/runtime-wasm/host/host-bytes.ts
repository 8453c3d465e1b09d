/**
 * One instance's budget for bytes the host buffers on its behalf (worker side): the bodies a guest
 * writes (its responses, its outgoing requests) live in the executor's heap until they are sent. Each
 * body is capped (MAX_RESPONSE_BODY_BYTES), but without a total a guest holding many unfinished
 * bodies would grow the executor without bound; past the budget a write fails with the stream error
 * the guest can see (`last-operation-failed`), nothing is buffered.
 */

/** Default host-side bytes one instance may hold at once: as much as one maximal body. */
export const DEFAULT_HOST_BYTES_BUDGET = 256 * 1024 * 1024;

/** Bytes buffered for one instance, against its budget. */
export class HostBytes {
  #used = 0;

  constructor(readonly limit = DEFAULT_HOST_BYTES_BUDGET) {}

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  /** Counts `n` more bytes; false (nothing counted) when they would pass the budget. */
  reserve(n: number): boolean {
    if (this.#used + n > this.limit) return false;
    this.#used += n;
    return true;
  }

  /** The host no longer holds `n` of them (sent, or dropped). */
  release(n: number): void {
    this.#used = Math.max(0, this.#used - n);
  }
}
