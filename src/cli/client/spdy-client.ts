/**
 * The client side of one SPDY/3.1 connection, as kubectl's (spdystream) speaks it to the hub for
 * port-forward: the client opens streams (odd ids, SYN_STREAM with a header block), the hub accepts
 * each with a SYN_REPLY or refuses it with RST_STREAM; DATA flows both ways with FIN for a
 * half-close. The bytes travel on the upgraded HTTP connection itself (`Upgrade: SPDY/3.1`,
 * `X-Stream-Protocol-Version: portforward.k8s.io`), as kubectl's SPDY dialer has it. (kubectl ≥
 * 1.31 first tries SPDY tunnelled in a WebSocket, `SPDY/3.1+portforward.k8s.io`; the `ws` client
 * refuses that sub-protocol name, whose `/` is not an HTTP token character, and the hub serves both.)
 *
 * Order matters twice: header blocks share one zlib stream per direction, so incoming frames are
 * handled strictly one after another, and outgoing frames are sent in the order they were made (a
 * stream's SYN_STREAM before its data). Flow control, as the hub's side has it, is the transport's:
 * a write resolves once the socket took the frame; `pauseInbound` stops reading the hub.
 */
import type { Duplex } from 'node:stream';
import {
  ControlType,
  FLAG_FIN,
  FrameReader,
  HeaderCodec,
  RstStatus,
  encodeData,
  encodePing,
  encodeRstStream,
  encodeSynStream,
  errorMessage,
  parsePing,
  parseRstStream,
  parseStreamHeaders,
  parseSynStream,
  type SpdyFrame,
} from '../../api/index.js';

/** Largest data frame written (client-go writes at most 32 KiB per frame). */
const MAX_WRITE_BYTES = 32 * 1024;

/** What a stream's owner hears. */
export interface SpdyStreamHandlers {
  /** The hub's bytes. */
  data(chunk: Buffer): void;
  /** The hub half-closed the stream (FIN). */
  end(): void;
  /** The stream was reset (by either side, or the connection went). */
  reset(): void;
}

/** One stream of the connection, opened by this client. */
export class SpdyClientStream {
  readonly id: number;
  #localEnded = false;
  #remoteEnded = false;
  #reset = false;
  readonly #handlers: SpdyStreamHandlers;
  readonly #session: SpdyClientSession;

  /** @internal Built by the session. */
  constructor(id: number, handlers: SpdyStreamHandlers, session: SpdyClientSession) {
    this.id = id;
    this.#handlers = handlers;
    this.#session = session;
  }

  /** Whether the stream is over: reset, or ended both ways. */
  get done(): boolean {
    return this.#reset || (this.#localEnded && this.#remoteEnded);
  }

  /** Sends bytes (cut into frames); resolves once the transport took them, rejects when the stream is gone. */
  async write(data: Uint8Array): Promise<void> {
    for (let off = 0; off < data.byteLength; off += MAX_WRITE_BYTES) {
      if (this.#reset || this.#localEnded) throw new Error(`stream ${this.id} is closed`);
      await this.#session.send(encodeData(this.id, data.subarray(off, off + MAX_WRITE_BYTES), false));
    }
  }

  /** Half-closes our side (FIN); idempotent. */
  end(): Promise<void> {
    if (this.#reset || this.#localEnded) return Promise.resolve();
    this.#localEnded = true;
    this.#session.forgetIfDone(this);
    return this.#session.send(encodeData(this.id, new Uint8Array(0), true)).catch(() => undefined);
  }

  /** Resets the stream (RST_STREAM CANCEL), dropping what is still in flight; idempotent. */
  reset(): void {
    if (this.#reset) return;
    const send = !this.done;
    this.#resetLocally();
    if (send) void this.#session.send(encodeRstStream(this.id, RstStatus.cancel)).catch(() => undefined);
  }

  /** @internal The hub's frames for this stream. */
  receive(data: Buffer, fin: boolean): void {
    if (this.#reset || this.#remoteEnded) return;
    if (data.length > 0) this.#handlers.data(data);
    if (fin) {
      this.#remoteEnded = true;
      this.#session.forgetIfDone(this);
      this.#handlers.end();
    }
  }

  /** @internal The stream was reset by the hub or the connection went. */
  resetLocally(): void {
    this.#resetLocally();
  }

  #resetLocally(): void {
    if (this.#reset) return;
    this.#reset = true;
    this.#session.forgetIfDone(this);
    this.#handlers.reset();
  }
}

/** A SPDY/3.1 client connection over an upgraded socket. */
export class SpdyClientSession {
  readonly #socket: Duplex;
  readonly #reader = new FrameReader();
  readonly #codec = new HeaderCodec();
  readonly #streams = new Map<number, SpdyClientStream>();
  #nextId = 1;
  #inbound: Promise<void> = Promise.resolve();
  #outbound: Promise<void> = Promise.resolve();
  #closed = false;
  #pauses = 0;
  readonly #closeListeners: ((reason: string) => void)[] = [];

  /** Runs over `socket` (`head`: bytes the hub sent right after its 101). */
  constructor(socket: Duplex, head: Buffer) {
    this.#socket = socket;
    const receive = (data: Buffer): void => {
      let frames: SpdyFrame[];
      try {
        frames = this.#reader.push(data);
      } catch (err) {
        return this.close(errorMessage(err));
      }
      for (const f of frames) this.#inbound = this.#inbound.then(() => this.#handle(f));
      this.#inbound = this.#inbound.catch((err: unknown) => this.close(errorMessage(err)));
    };
    socket.on('data', receive);
    socket.on('error', () => socket.destroy());
    socket.once('end', () => socket.destroy());
    socket.once('close', () => this.#gone('the connection closed'));
    if (head.length > 0) receive(head);
  }

  /** Whether the connection is gone. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Calls `listener` once when the connection goes (at once if it has). */
  onClose(listener: (reason: string) => void): void {
    if (this.#closed) listener('the connection closed');
    else this.#closeListeners.push(listener);
  }

  /** Opens a stream with `headers` (names lower-cased on the wire, as SPDY requires). */
  createStream(headers: Record<string, string>, handlers: SpdyStreamHandlers): SpdyClientStream {
    if (this.#closed) throw new Error('the connection to the hub is closed');
    const id = this.#nextId;
    this.#nextId += 2;
    const stream = new SpdyClientStream(id, handlers, this);
    this.#streams.set(id, stream);
    const block = new Map(Object.entries(headers).map(([k, v]) => [k, [v]] as const));
    // Encoded now, in call order (one zlib stream), and queued before any frame of the stream's own.
    const frame = this.#codec.encode(block).then((compressed) => encodeSynStream(id, compressed));
    void this.send(frame).catch(() => stream.resetLocally());
    return stream;
  }

  /** Stops (and restarts) reading the hub's bytes: a local reader is behind. Counted. */
  pauseInbound(): void {
    if (this.#pauses++ === 0) this.#socket.pause();
  }

  resumeInbound(): void {
    if (this.#pauses > 0 && --this.#pauses === 0) this.#socket.resume();
  }

  /** Closes the connection; every open stream is reset. */
  close(reason = 'closed by the client'): void {
    if (this.#closed) return;
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 2000).unref();
    this.#gone(reason);
  }

  /** @internal Sends a frame after every frame queued before it; resolves once the WebSocket took it. */
  send(frame: Buffer | Promise<Buffer>): Promise<void> {
    const next = this.#outbound.then(
      async () =>
        new Promise<void>((resolve, reject) => {
          void Promise.resolve(frame).then((bytes) => {
            if (this.#closed || this.#socket.destroyed || !this.#socket.writable)
              return reject(new Error('the connection to the hub is closed'));
            this.#socket.write(bytes, (err) => (err ? reject(err) : resolve()));
          }, reject);
        }),
    );
    this.#outbound = next.catch(() => undefined);
    return next;
  }

  /** @internal Drops a stream that is over from the table. */
  forgetIfDone(stream: SpdyClientStream): void {
    if (stream.done) this.#streams.delete(stream.id);
  }

  async #handle(f: SpdyFrame): Promise<void> {
    if (this.#closed) return;
    if (f.kind === 'data') {
      this.#streams.get(f.streamId)?.receive(f.data, (f.flags & FLAG_FIN) !== 0);
      return;
    }
    switch (f.type) {
      case ControlType.synReply: {
        const { streamId, headerBlock } = parseStreamHeaders(f.payload);
        await this.#codec.decode(headerBlock); // keeps the zlib stream in step; nothing in it is needed
        if ((f.flags & FLAG_FIN) !== 0) this.#streams.get(streamId)?.receive(Buffer.alloc(0), true);
        return;
      }
      case ControlType.headers:
        await this.#codec.decode(parseStreamHeaders(f.payload).headerBlock);
        return;
      case ControlType.synStream: {
        // A stream the hub opened: port-forward has none. Its headers still advance the zlib stream.
        const syn = parseSynStream(f.payload);
        await this.#codec.decode(syn.headerBlock);
        void this.send(encodeRstStream(syn.streamId, RstStatus.refusedStream)).catch(() => undefined);
        return;
      }
      case ControlType.rstStream:
        this.#streams.get(parseRstStream(f.payload).streamId)?.resetLocally();
        return;
      case ControlType.ping: {
        const id = parsePing(f.payload);
        // The hub's pings have even ids; echo them (ours, odd, we never send).
        if (id % 2 === 0) void this.send(encodePing(id)).catch(() => undefined);
        return;
      }
      case ControlType.goAway:
        this.close('the hub ended the connection (GOAWAY)');
        return;
      default:
        // SETTINGS, WINDOW_UPDATE: flow control is the transport's (see the header).
        return;
    }
  }

  #gone(reason: string): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const s of [...this.#streams.values()]) s.resetLocally();
    this.#streams.clear();
    this.#codec.close();
    for (const l of this.#closeListeners.splice(0)) l(reason);
  }
}
