/**
 * Two connected in-memory stream ends: what one writes, the other reads. A port-forward connection
 * to a Wasm pod is one: Node's HTTP server takes one end as its "socket" (`emit('connection')`),
 * the stream relay the other. Backpressure is the peer's: a write completes once the peer's
 * readable buffer took it, so a reader that stops makes the writer wait (nothing grows here).
 */
import { Duplex } from 'node:stream';

/** One end of a {@link duplexPair}. */
export class PairedEnd extends Duplex {
  #peer: PairedEnd | undefined;
  /** A write waiting for the peer's reader to ask for more. */
  #waiting: ((err?: Error | null) => void) | undefined;

  constructor() {
    // Each direction ends on its own (a half-close), as a TCP socket's do.
    super({ allowHalfOpen: true });
  }

  /** Binds the two ends (once, by duplexPair). */
  static connect(a: PairedEnd, b: PairedEnd): void {
    a.#peer = b;
    b.#peer = a;
  }

  /** Node's HTTP server arms idle timers on its sockets when they have this; an in-memory end has none. */
  setTimeout(): this {
    return this;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    const peer = this.#peer;
    if (!peer || peer.destroyed) return callback(new Error('the other end of the connection is closed'));
    if (peer.push(chunk)) callback();
    else peer.#waiting = callback;
  }

  override _final(callback: (err?: Error | null) => void): void {
    const peer = this.#peer;
    if (peer && !peer.destroyed) peer.push(null);
    callback();
  }

  override _read(): void {
    // Our reader wants more: the peer's write that filled our buffer may complete.
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(new Error('the connection was closed'));
    // An end torn down before it sent its EOF is a reset connection: the other end goes too. One
    // that ended and was then destroyed (the normal close) leaves the other to read what it holds.
    const peer = this.#peer;
    if (peer && !peer.destroyed && (err !== null || !this.writableEnded)) peer.destroy();
    callback(err);
  }
}

/** Two connected ends. */
export function duplexPair(): [PairedEnd, PairedEnd] {
  const a = new PairedEnd();
  const b = new PairedEnd();
  PairedEnd.connect(a, b);
  return [a, b];
}
