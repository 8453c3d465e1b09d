/**
 * One SPDY/3.1 stream of a server session (session.ts), opened by the client: the client's data
 * queued for its reader (the session pauses the connection while a stream holds too much), our writes
 * and half-close (FIN), and resets by either side.
 */
import { RstStatus, encodeData, encodeRstStream, type SpdyHeaders } from '../../../../api/index.js';

/** One stream of the connection, opened by the client. */
export class SpdyStream {
  readonly id: number;
  readonly headers: SpdyHeaders;
  #queue: Buffer[] = [];
  #queued = 0;
  #remoteEnded = false;
  #localEnded = false;
  #reset = false;
  #wake: (() => void) | undefined;
  readonly #resetListeners: (() => void)[] = [];
  readonly #session: SessionHooks;

  /** @internal Built by the session. */
  constructor(id: number, headers: SpdyHeaders, session: SessionHooks) {
    this.id = id;
    this.headers = headers;
    this.#session = session;
  }

  /** The first value of header `name`. */
  header(name: string): string | undefined {
    return this.headers.get(name)?.[0];
  }

  /** Whether the stream was reset (by either side, or the connection went). */
  get isReset(): boolean {
    return this.#reset;
  }

  /** Bytes the client sent and the reader has not taken. */
  get backlog(): number {
    return this.#queued;
  }

  /** The client's next bytes; null once it half-closed (FIN) or the stream was reset. */
  async read(): Promise<Buffer | null> {
    for (;;) {
      const next = this.#queue.shift();
      if (next) {
        this.#queued -= next.length;
        this.#session.taken(this);
        return next;
      }
      if (this.#remoteEnded || this.#reset) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Calls `listener` once when the stream is reset (at once if it was). */
  onReset(listener: () => void): void {
    if (this.#reset) listener();
    else this.#resetListeners.push(listener);
  }

  /** Sends bytes to the client; rejects when the stream or the connection is gone. */
  write(data: Uint8Array): Promise<void> {
    if (this.#reset || this.#localEnded) return Promise.reject(new Error(`stream ${this.id} is closed`));
    if (data.byteLength === 0) return Promise.resolve();
    return this.#session.send(encodeData(this.id, data, false));
  }

  /** Half-closes our side (FIN); idempotent. */
  end(): Promise<void> {
    if (this.#reset || this.#localEnded) return Promise.resolve();
    this.#localEnded = true;
    this.#session.settled(this);
    return this.#session.send(encodeData(this.id, new Uint8Array(0), true)).catch(() => undefined);
  }

  /** Resets the stream (RST_STREAM to the client); idempotent. */
  reset(status: number = RstStatus.cancel): void {
    if (this.#reset) return;
    this.#resetLocally();
    void this.#session.send(encodeRstStream(this.id, status)).catch(() => undefined);
  }

  /** @internal Whether both sides are done with it. */
  get settled(): boolean {
    return this.#reset || (this.#localEnded && this.#remoteEnded);
  }

  /** @internal Client data. */
  received(data: Buffer, fin: boolean): void {
    if (this.#reset || this.#remoteEnded) return;
    if (data.length > 0) {
      this.#queue.push(data);
      this.#queued += data.length;
    }
    if (fin) this.#remoteEnded = true;
    this.#wakeReader();
  }

  /** @internal The client reset it, or the connection went. */
  resetByPeer(): void {
    if (!this.#reset) this.#resetLocally();
  }

  #resetLocally(): void {
    this.#reset = true;
    this.#queue = [];
    this.#queued = 0;
    this.#session.taken(this);
    this.#session.settled(this);
    this.#wakeReader();
    for (const l of this.#resetListeners.splice(0)) l();
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** What a stream tells its session. */
export interface SessionHooks {
  send(frame: Buffer): Promise<void>;
  /** The reader took bytes (the connection may resume). */
  taken(stream: SpdyStream): void;
  /** One side ended or reset (the stream may be forgotten). */
  settled(stream: SpdyStream): void;
}
