/**
 * A proxied request's body, streamed rather than buffered: the NodePort, mesh and local-proxy
 * listeners hand the client's body to the upstream as it arrives, cut off at the listener's maximum.
 * Only an in-process (Wasm) workload needs it whole — its executor protocol carries a complete body —
 * and those bytes are taken from a node-wide `BodyBuffers` budget, so a flood of large uploads to Wasm
 * services costs at most that budget, not uploads × body size.
 *
 * Small bodies (up to `PREFETCH_BYTES`, the common case) are read first and kept, so a request whose
 * first endpoint cannot be reached can be sent to another one; a streamed body can be retried only
 * while none of it has been consumed.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { BodyAbortedError, BodyBuffersFullError, BodyTooLargeError, type BodyBuffers } from './body-limits.js';
import { LimitedBody } from './limited-body.js';

/** Bodies up to this size (by Content-Length) are read before delivery and may be retried elsewhere. */
export const PREFETCH_BYTES = 64 * 1024;

const EMPTY = Buffer.alloc(0);

/** A body: whole in memory, or a client stream read once. */
export class RequestBody {
  #buffer: Buffer | undefined;
  #pulled = 0;
  #overflowed = false;
  #held = 0;
  #buffers: BodyBuffers | undefined;
  /** The stream handed to the current attempt (a retry replaces it while none of the body was consumed). */
  #stream: LimitedBody | undefined;

  private constructor(
    private readonly source: IncomingMessage | undefined,
    /** Largest body accepted. */
    readonly limit: number,
    buffer: Buffer | undefined,
  ) {
    this.#buffer = buffer;
  }

  /** A body already in memory (a pod's outgoing call). */
  static whole(body: Buffer): RequestBody {
    return new RequestBody(undefined, Number.POSITIVE_INFINITY, body);
  }

  /**
   * The body of a client request, at most `limit` bytes. Without Content-Length or Transfer-Encoding
   * there is none (RFC 9112 §6.3), and nothing is read.
   */
  static from(req: IncomingMessage, limit: number): RequestBody {
    const length = req.headers['content-length'];
    const none = req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
    return new RequestBody(none ? undefined : req, limit, none ? EMPTY : undefined);
  }

  /** The client's declared length, when it gave one. */
  get declaredLength(): number | undefined {
    const v = this.source?.headers['content-length'];
    return v === undefined || this.source?.headers['transfer-encoding'] !== undefined ? undefined : Number(v);
  }

  /** The body passed the limit while it was read (the answer is a 413). */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  /** Another attempt may send it again: it is in memory, or none of the stream was consumed yet. */
  get replayable(): boolean {
    return this.#buffer !== undefined || this.#pulled === 0;
  }

  /** Reads a small declared body now (see the file comment); larger or chunked ones stay a stream. */
  async prefetch(buffers?: BodyBuffers): Promise<void> {
    const n = this.declaredLength;
    if (this.#buffer === undefined && n !== undefined && n <= PREFETCH_BYTES) await this.bytes(buffers);
  }

  /**
   * The whole body (for in-process workloads). Rejects with BodyTooLargeError past the limit,
   * BodyBuffersFullError when `buffers` cannot hold it, BodyAbortedError when the client left.
   */
  async bytes(buffers?: BodyBuffers): Promise<Buffer> {
    if (this.#buffer !== undefined) return this.#buffer;
    const src = this.source!;
    if (!this.replayable) throw new Error('request body was already streamed');
    this.#stream?.destroy();
    this.#stream = undefined;
    this.#buffers = buffers;
    const declared = this.declaredLength;
    if (declared !== undefined && declared > this.limit) throw this.#overflow();
    // A declared length is taken at once; a chunked body chunk by chunk as it grows.
    if (declared !== undefined) this.#hold(declared);
    // A declared length is filled in place (no second copy at the end); a chunked body is joined once.
    const whole = declared !== undefined ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        src.off('data', onData);
        src.off('end', onEnd);
        src.off('error', onError);
        src.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onData = (chunk: Buffer): void => {
        this.#pulled += chunk.length;
        if (this.#pulled > this.limit) return done(this.#overflow());
        if (declared === undefined) {
          try {
            this.#hold(chunk.length);
          } catch (err) {
            return done(err as Error);
          }
        }
        if (whole) chunk.copy(whole, this.#pulled - chunk.length);
        else chunks.push(chunk);
      };
      const onEnd = (): void => done();
      const onError = (err: Error): void =>
        done(new BodyAbortedError(`client aborted its request body: ${err.message}`));
      const onClose = (): void => {
        if (!src.complete)
          done(new BodyAbortedError('client closed the connection before its request body was complete'));
      };
      src.on('data', onData);
      src.once('end', onEnd);
      src.once('error', onError);
      src.once('close', onClose);
    }).catch((err: unknown) => {
      src.pause();
      throw err;
    });
    this.#buffer = whole ? whole.subarray(0, this.#pulled) : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    return this.#buffer;
  }

  /**
   * The body as an upstream (undici) takes it: a Buffer when in memory, null for none, else a stream
   * cut off with BodyTooLargeError past the limit. Taken again (a retry), the stream replaces the
   * earlier one, which must not have consumed anything (`replayable`).
   */
  forUpstream(): Buffer | Readable | null {
    if (this.#buffer !== undefined) return this.#buffer.length > 0 ? this.#buffer : null;
    if (!this.replayable) throw new Error('request body was already streamed');
    this.#stream?.destroy();
    this.#stream = new LimitedBody(this.source!, this.limit, (n) => {
      this.#pulled += n;
      if (this.#pulled > this.limit) {
        this.#overflowed = true;
        return false;
      }
      return true;
    });
    return this.#stream;
  }

  /** Gives back what the body holds of the node's buffers (when its request is over). Idempotent. */
  release(): void {
    this.#buffers?.give(this.#held);
    this.#held = 0;
  }

  #overflow(): BodyTooLargeError {
    this.#overflowed = true;
    return new BodyTooLargeError(this.limit);
  }

  #hold(n: number): void {
    if (!this.#buffers) return;
    if (!this.#buffers.take(n)) throw new BodyBuffersFullError(this.#buffers.budget);
    this.#held += n;
  }
}
