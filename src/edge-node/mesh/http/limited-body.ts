/** A client's body as a stream an upstream pulls at its own pace, cut off past the listener's maximum. */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { BodyAbortedError, BodyTooLargeError } from './body-limits.js';

/**
 * Pulls a client's body on demand (the upstream's pace: back-pressure reaches the client's socket),
 * counting bytes with `onBytes`; fails with BodyTooLargeError when `onBytes` says the limit passed.
 * Destroying it leaves the client request alone (the listener still answers on it).
 */
export class LimitedBody extends Readable {
  #attached = false;
  readonly #onData = (chunk: Buffer): void => {
    if (!this.onBytes(chunk.length)) {
      this.destroy(new BodyTooLargeError(this.limit));
      return;
    }
    if (!this.push(chunk)) this.src.pause();
  };
  readonly #onEnd = (): void => {
    this.push(null);
  };
  readonly #onError = (err: Error): void => {
    this.destroy(new BodyAbortedError(`client aborted its request body: ${err.message}`));
  };
  readonly #onClose = (): void => {
    if (!this.src.complete)
      this.destroy(new BodyAbortedError('client closed the connection before its request body was complete'));
  };

  constructor(
    private readonly src: IncomingMessage,
    private readonly limit: number,
    private readonly onBytes: (n: number) => boolean,
  ) {
    super({ highWaterMark: 64 * 1024 });
  }

  override _read(): void {
    if (!this.#attached) {
      this.#attached = true;
      this.src.on('data', this.#onData);
      this.src.once('end', this.#onEnd);
      this.src.once('error', this.#onError);
      this.src.once('close', this.#onClose);
    }
    this.src.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.src.off('data', this.#onData);
    this.src.off('end', this.#onEnd);
    this.src.off('error', this.#onError);
    this.src.off('close', this.#onClose);
    this.src.pause();
    callback(err);
  }
}
