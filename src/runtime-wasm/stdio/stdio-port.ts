/**
 * The worker's end of a streaming exec's shared memory (stdio-layout.ts): `wasi:cli/stdin` reads
 * from the ring, blocking the executor thread while it is empty, and output waits for credit before
 * it is posted. A cancel (the client went) wakes any wait and throws {@link StdioCancelledError}
 * through the guest's frames, so a guest blocked in a read ends and its executor is free again.
 */
import { Flag, OUTPUT_PIECE_BYTES, RING_BYTES, Slot, creditSlot, stdioViews, wake } from './stdio-layout.js';

/** Thrown into the guest when its exec was cancelled; the instance ends (a trap). */
export class StdioCancelledError extends Error {
  constructor() {
    super('exec cancelled: its client went');
    this.name = 'StdioCancelledError';
  }
}

/** Told when the worker starts and stops waiting (the guest's clock pauses meanwhile). */
export type WaitHook = (waiting: boolean) => void;

/** The worker side of one exec's stdio. */
export class StdioPort {
  readonly #header: Int32Array;
  readonly #ring: Uint8Array;

  constructor(
    sab: SharedArrayBuffer,
    readonly onWait: WaitHook = () => undefined,
  ) {
    const v = stdioViews(sab);
    this.#header = v.header;
    this.#ring = v.ring;
  }

  /**
   * Up to `max` bytes of stdin; an empty array when none is there yet and `block` is false;
   * undefined at its end. With `block`, waits until bytes come or stdin ends.
   */
  read(max: number, block: boolean): Uint8Array | undefined {
    const h = this.#header;
    for (;;) {
      const seq = Atomics.load(h, Slot.wakeWorker);
      this.#checkCancel();
      const read = Atomics.load(h, Slot.read);
      const avail = (Atomics.load(h, Slot.written) - read) >>> 0;
      if (avail > 0) return this.#take(read, Math.min(avail, max));
      if (Atomics.load(h, Slot.flags) & Flag.eof) return undefined;
      if (!block || max === 0) return new Uint8Array(0);
      this.#wait(seq);
    }
  }

  /** Whether a read would not block now (bytes, the end, or a cancel). */
  ready(): boolean {
    const h = this.#header;
    return (
      Atomics.load(h, Slot.written) !== Atomics.load(h, Slot.read) ||
      (Atomics.load(h, Slot.flags) & (Flag.eof | Flag.cancelled)) !== 0
    );
  }

  /** Blocks until {@link ready}, a wake-up, or `timeoutMs` (callers loop on their own condition). */
  waitOnce(timeoutMs?: number): void {
    const seq = Atomics.load(this.#header, Slot.wakeWorker);
    if (this.ready()) return;
    this.#wait(seq, timeoutMs);
  }

  /**
   * Hands `data` to `post` in pieces of at most OUTPUT_PIECE_BYTES, each once the stream has credit
   * for it (blocking until the main thread passed earlier output on).
   */
  write(stream: 'stdout' | 'stderr', data: Uint8Array, post: (piece: Uint8Array) => void): void {
    const h = this.#header;
    const slot = creditSlot(stream);
    for (let off = 0; off < data.byteLength; off += OUTPUT_PIECE_BYTES) {
      const piece = data.slice(off, off + OUTPUT_PIECE_BYTES);
      for (;;) {
        const seq = Atomics.load(h, Slot.wakeWorker);
        this.#checkCancel();
        if (Atomics.load(h, slot) >= piece.byteLength) break;
        this.#wait(seq);
      }
      Atomics.sub(h, slot, piece.byteLength);
      post(piece);
    }
  }

  #take(read: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    const at = read & (RING_BYTES - 1);
    const first = Math.min(n, RING_BYTES - at);
    out.set(this.#ring.subarray(at, at + first));
    if (first < n) out.set(this.#ring.subarray(0, n - first), first);
    Atomics.store(this.#header, Slot.read, (read + n) | 0);
    wake(this.#header, Slot.wakeMain);
    return out;
  }

  #checkCancel(): void {
    if (Atomics.load(this.#header, Slot.flags) & Flag.cancelled) throw new StdioCancelledError();
  }

  #wait(seq: number, timeoutMs?: number): void {
    this.onWait(true);
    try {
      Atomics.wait(this.#header, Slot.wakeWorker, seq, timeoutMs);
    } finally {
      this.onWait(false);
    }
  }
}
