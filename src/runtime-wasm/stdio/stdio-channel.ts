/**
 * The main thread's end of a streaming exec's shared memory (stdio-layout.ts): writes kubectl's
 * stdin into the ring as it comes (waiting, without blocking the thread, while the ring is full:
 * the caller's write stays unacknowledged meanwhile, which is the backpressure to the client), ends
 * or cancels it, and gives output credit back as the output is passed on.
 */
import {
  Flag,
  OUTPUT_WINDOW_BYTES,
  RING_BYTES,
  Slot,
  creditSlot,
  newStdioBuffer,
  stdioViews,
  wake,
} from './stdio-layout.js';

/** `Atomics` with `waitAsync` (Node 16+; not in the TypeScript lib this project targets). */
const atomics = Atomics as unknown as {
  waitAsync(
    a: Int32Array,
    index: number,
    value: number,
  ): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
};

/** The main-thread side of one exec's stdio. */
export class StdioChannel {
  /** The shared buffer, for the worker (in the instance spec). */
  readonly buffer: SharedArrayBuffer = newStdioBuffer();
  readonly #header: Int32Array;
  readonly #ring: Uint8Array;
  /** Writes in order: a second write waits for the first. */
  #writing: Promise<void> = Promise.resolve();

  constructor() {
    const v = stdioViews(this.buffer);
    this.#header = v.header;
    this.#ring = v.ring;
  }

  /** Stdin bytes in the ring, not read by the guest yet. */
  get buffered(): number {
    return (Atomics.load(this.#header, Slot.written) - Atomics.load(this.#header, Slot.read)) >>> 0;
  }

  /** Output bytes of `stream` posted by the worker and not passed on yet. */
  outstanding(stream: 'stdout' | 'stderr'): number {
    return OUTPUT_WINDOW_BYTES - Atomics.load(this.#header, creditSlot(stream));
  }

  /** Whether the exec was cancelled. */
  get cancelled(): boolean {
    return (Atomics.load(this.#header, Slot.flags) & Flag.cancelled) !== 0;
  }

  /** Whether stdin was ended. */
  get ended(): boolean {
    return (Atomics.load(this.#header, Slot.flags) & Flag.eof) !== 0;
  }

  /**
   * Appends `data` to stdin; resolves once all of it is in the ring (at once when there is room),
   * or dropped because the exec was cancelled or stdin ended.
   */
  write(data: Uint8Array): Promise<void> {
    const next = this.#writing.then(() => this.#write(data));
    this.#writing = next;
    return next;
  }

  /** Stdin is at its end: the guest reads what is left, then end-of-stream. */
  end(): void {
    void this.#writing.then(() => this.#flag(Flag.eof));
  }

  /** The client went: wakes and ends a guest waiting on stdin or output credit. */
  cancel(): void {
    this.#flag(Flag.cancelled);
    // A write waiting for room must not wait for a guest that will never read again.
    wake(this.#header, Slot.wakeMain);
  }

  /** `bytes` of `stream`'s output were passed on: the worker may post that much more. */
  passed(stream: 'stdout' | 'stderr', bytes: number): void {
    if (bytes <= 0) return;
    Atomics.add(this.#header, creditSlot(stream), bytes);
    wake(this.#header, Slot.wakeWorker);
  }

  async #write(data: Uint8Array): Promise<void> {
    const h = this.#header;
    let off = 0;
    while (off < data.byteLength) {
      const seq = Atomics.load(h, Slot.wakeMain);
      if (Atomics.load(h, Slot.flags) & (Flag.cancelled | Flag.eof)) return;
      const written = Atomics.load(h, Slot.written);
      const room = RING_BYTES - ((written - Atomics.load(h, Slot.read)) >>> 0);
      if (room === 0) {
        // Full: wait for the guest to read (or the exec to be cancelled).
        const w = atomics.waitAsync(h, Slot.wakeMain, seq);
        if (w.async) await w.value;
        continue;
      }
      const n = Math.min(room, data.byteLength - off);
      const at = written & (RING_BYTES - 1);
      const first = Math.min(n, RING_BYTES - at);
      this.#ring.set(data.subarray(off, off + first), at);
      if (first < n) this.#ring.set(data.subarray(off + first, off + n), 0);
      Atomics.store(h, Slot.written, (written + n) | 0);
      wake(h, Slot.wakeWorker);
      off += n;
    }
  }

  #flag(bit: number): void {
    Atomics.or(this.#header, Slot.flags, bit);
    wake(this.#header, Slot.wakeWorker);
  }
}
