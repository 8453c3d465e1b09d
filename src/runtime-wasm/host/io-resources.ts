/**
 * The resources of `wasi:io` for one instance, in memory (worker side): errors, pollables, input and
 * output streams. The import functions that expose them to a guest are in io.ts; this file needs no
 * host context, so the HTTP resources built on these streams do not depend on the ABI bindings.
 *
 * Streams are in-memory: an input stream has all its bytes already (a request body, an empty stdin),
 * an output stream hands each write to a sink (a response body, the pod log). So streams are always
 * ready; the only pollables that are not are clock deadlines and the answers to outgoing HTTP calls
 * (a {@link Waitable}). Blocking on those really blocks the executor thread (`Atomics.wait`): Node 20
 * cannot suspend a guest, and a guest that sleeps is a guest that runs (its request deadline still
 * applies).
 */
import type { Disposable } from './resource-table.js';

const EMPTY = new Uint8Array(0);
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Nanoseconds on the monotonic clock. */
export function monotonicNow(): bigint {
  return process.hrtime.bigint();
}

/** `wasi:io/error.error`. */
export class IoError {
  constructor(readonly message: string) {}
}

/** Blocks the thread until `done()` or a monotonic deadline (what an outgoing call waits with). */
export interface Waiter {
  waitUntil(untilNs: bigint | undefined, done: () => boolean): void;
}

/** Something a pollable stands for that becomes ready from elsewhere (an outgoing call's answer). */
export interface Waitable {
  /** Never blocks. */
  ready(): boolean;
  readonly waiter: Waiter;
}

/** `wasi:io/poll.pollable`: ready now, at a monotonic deadline, or when its waitable is. */
export class Pollable {
  constructor(
    readonly deadlineNs?: bigint,
    readonly source?: Waitable,
  ) {}

  /** Never blocks. */
  ready(): boolean {
    if (this.source) return this.source.ready();
    return this.deadlineNs === undefined || monotonicNow() >= this.deadlineNs;
  }

  /** Blocks the thread until ready. */
  block(): void {
    const source = this.source;
    if (source) {
      if (!source.ready()) source.waiter.waitUntil(undefined, () => source.ready());
    } else if (this.deadlineNs !== undefined) sleepUntil(this.deadlineNs);
  }
}

export function sleepUntil(deadlineNs: bigint): void {
  for (;;) {
    const left = deadlineNs - monotonicNow();
    if (left <= 0n) return;
    Atomics.wait(sleepCell, 0, 0, Math.max(1, Math.ceil(Number(left) / 1e6)));
  }
}

/** `wasi:io/streams.input-stream` over bytes that are all there. */
export class InputStream implements Disposable {
  #data: Uint8Array;
  #offset = 0;
  constructor(
    data: Uint8Array = EMPTY,
    readonly onDispose?: () => void,
  ) {
    this.#data = data;
  }

  /** Up to `max` bytes; undefined once everything was read (the stream is closed). */
  read(max: number): Uint8Array | undefined {
    if (this.#offset >= this.#data.byteLength) return undefined;
    const end = Math.min(this.#data.byteLength, this.#offset + max);
    const chunk = this.#data.subarray(this.#offset, end);
    this.#offset = end;
    return chunk;
  }

  /** `blocking-read`: these bytes are all there, so it is `read`; a live stream (stdin) waits. */
  blockingRead(max: number): Uint8Array | undefined {
    return this.read(max);
  }

  /** What `subscribe` gives: ready now, as every in-memory stream is; a live stream's when it has bytes. */
  pollable(): Pollable {
    return new Pollable();
  }

  dispose(): void {
    this.onDispose?.();
  }
}

/**
 * Bytes read in turn through any number of streams: a command's stdin, where each `get-stdin`
 * handle goes on from where the last one stopped (never re-reads what was read).
 */
export class SharedBytes {
  #offset = 0;
  constructor(readonly data: Uint8Array) {}

  /** Up to `max` bytes; undefined once everything was read. */
  take(max: number): Uint8Array | undefined {
    if (this.#offset >= this.data.byteLength) return undefined;
    const end = Math.min(this.data.byteLength, this.#offset + max);
    const chunk = this.data.subarray(this.#offset, end);
    this.#offset = end;
    return chunk;
  }
}

/** An input stream over {@link SharedBytes}. */
export class SharedInputStream extends InputStream {
  constructor(readonly source: SharedBytes) {
    super();
  }

  override read(max: number): Uint8Array | undefined {
    return this.source.take(max);
  }
}

/** Where an output stream's bytes go; returns an error (message) to refuse a write. */
export type ByteSink = (bytes: Uint8Array) => string | IoError | undefined;

/** `wasi:io/streams.output-stream`. */
export class OutputStream implements Disposable {
  closed = false;
  constructor(
    readonly sink: ByteSink,
    readonly onDispose?: () => void,
  ) {}

  dispose(): void {
    this.closed = true;
    this.onDispose?.();
  }
}
