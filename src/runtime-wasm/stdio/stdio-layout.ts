/**
 * The shared memory of one streaming exec (`kubectl exec -i`), between the agent's main thread and
 * the executor worker running the command. The worker is blocked in the guest while a command runs,
 * so it cannot receive messages: everything the main thread tells it goes through this buffer.
 *
 * - a stdin ring of RING_BYTES: the main thread writes kubectl's stdin as it comes, the worker's
 *   `wasi:cli/stdin` reads it (blocking in `Atomics.wait` while it is empty);
 * - flags: stdin ended (EOF), exec cancelled (the client went);
 * - output credit per stream: bytes the worker may still post before the main thread has passed
 *   them on; the worker blocks at zero, so a guest printing forever cannot grow memory;
 * - two wake counters, one per direction, bumped and notified after every change (a waiter reads
 *   the counter, checks its condition, then waits on that counter value: no wake-up is lost).
 */

/** Bytes of the stdin ring (a power of two: positions are free-running u32 counters). */
export const RING_BYTES = 64 * 1024;

/** Bytes of output per stream the worker may post before the main thread passed them on. */
export const OUTPUT_WINDOW_BYTES = 64 * 1024;

/** The largest output message: a write is split so one piece always fits in the window. */
export const OUTPUT_PIECE_BYTES = 16 * 1024;

/** Int32 slots of the header. */
export const Slot = {
  /** Bytes written to the ring so far (u32, wrapping). */
  written: 0,
  /** Bytes read from the ring so far (u32, wrapping). */
  read: 1,
  /** {@link Flag} bits. */
  flags: 2,
  /** Output credit of stdout, in bytes. */
  creditStdout: 3,
  /** Output credit of stderr, in bytes. */
  creditStderr: 4,
  /** Bumped by the main thread after each change; the worker waits on it. */
  wakeWorker: 5,
  /** Bumped by the worker after each read; the main thread waits on it (asynchronously). */
  wakeMain: 6,
} as const;

/** Bits of {@link Slot.flags}. */
export const Flag = { eof: 1, cancelled: 2 } as const;

const HEADER_BYTES = 32;

/** The buffer's views. */
export interface StdioViews {
  header: Int32Array;
  ring: Uint8Array;
}

/** A new buffer for one exec, with full output credit. */
export function newStdioBuffer(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(HEADER_BYTES + RING_BYTES);
  const { header } = stdioViews(sab);
  header[Slot.creditStdout] = OUTPUT_WINDOW_BYTES;
  header[Slot.creditStderr] = OUTPUT_WINDOW_BYTES;
  return sab;
}

/** Views over a buffer made by {@link newStdioBuffer}. */
export function stdioViews(sab: SharedArrayBuffer): StdioViews {
  return { header: new Int32Array(sab, 0, HEADER_BYTES / 4), ring: new Uint8Array(sab, HEADER_BYTES, RING_BYTES) };
}

/** The credit slot of a stream. */
export const creditSlot = (stream: 'stdout' | 'stderr'): number =>
  stream === 'stdout' ? Slot.creditStdout : Slot.creditStderr;

/** Bumps a wake counter and wakes whoever waits on it. */
export function wake(header: Int32Array, slot: number): void {
  Atomics.add(header, slot, 1);
  Atomics.notify(header, slot);
}
