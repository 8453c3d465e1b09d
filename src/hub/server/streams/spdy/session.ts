/**
 * The server side of one SPDY/3.1 connection, as kubectl's client (spdystream) expects it: the
 * client opens streams (odd ids, SYN_STREAM), the server accepts each with a SYN_REPLY or refuses it
 * with RST_STREAM; DATA flows both ways with FIN for a half-close; client PINGs are echoed; GOAWAY
 * stops new streams. SETTINGS and WINDOW_UPDATE are read and ignored: spdystream ignores them too,
 * so SPDY's own flow control cannot be relied on. Flow control is the transport's instead: each
 * stream keeps at most `MAX_STREAM_BACKLOG_BYTES` of the client's data its reader has not taken,
 * and while one is over that the transport is paused (the client's writes then wait on TCP).
 *
 * One stream's side (its reader's queue, half-closes, resets) is stream.ts's.
 *
 * Frames are handled strictly in order (header blocks share one zlib stream per direction); writes
 * go out in the order they were made, each resolving once the transport took it.
 */
import {
  HeaderCodec,
  ControlType,
  FLAG_FIN,
  FrameReader,
  GoAwayStatus,
  RstStatus,
  SPDY_VERSION,
  SpdyProtocolError,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  parseGoAway,
  parsePing,
  parseRstStream,
  parseStreamHeaders,
  parseSynStream,
  type SpdyFrame,
} from '../../../../api/index.js';
import { SpdyStream } from './stream.js';

/** Client data a stream holds for its reader before the connection is paused. */
export const MAX_STREAM_BACKLOG_BYTES = 256 * 1024;
/** Frames (by bytes) waiting for their turn (behind a header block being inflated) before the connection is paused. */
const MAX_INBOUND_BACKLOG_BYTES = 1024 * 1024;
/** Streams one connection may hold open. */
export const MAX_STREAMS_PER_CONNECTION = 256;

export { SpdyStream, type SessionHooks } from './stream.js';

/** The byte pipe a session runs over: an upgraded socket, or a WebSocket tunnelling the bytes. */
export interface ByteTransport {
  /** Sends bytes; resolves once the transport took them, rejects when it is gone. */
  write(data: Buffer): Promise<void>;
  /** Stops (and restarts) delivering the client's bytes. */
  pause(): void;
  resume(): void;
  /** Closes after what was written. */
  end(): void;
}

/** What the session asks of its owner. */
export interface SpdySessionHandlers {
  /** A new stream: return true to accept it (a SYN_REPLY is sent), false to refuse it (RST_STREAM). */
  stream(stream: SpdyStream): boolean;
  /** The connection ended (every stream was reset first). */
  closed(reason: string): void;
}

/** The server side of one connection. */
export class SpdyServerSession {
  readonly #transport: ByteTransport;
  readonly #handlers: SpdySessionHandlers;
  readonly #reader = new FrameReader();
  readonly #codec = new HeaderCodec();
  readonly #streams = new Map<number, SpdyStream>();
  readonly #over = new Set<SpdyStream>();
  #lastStreamId = 0;
  #inbound: Promise<void> = Promise.resolve();
  #inboundBytes = 0;
  #outbound: Promise<void> = Promise.resolve();
  #pausedFor = { backlog: false, inbound: false };
  #goingAway = false;
  #closed = false;

  constructor(transport: ByteTransport, handlers: SpdySessionHandlers) {
    this.#transport = transport;
    this.#handlers = handlers;
  }

  /** Streams open now. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** Bytes from the client. */
  receive(chunk: Buffer): void {
    if (this.#closed) return;
    let frames: SpdyFrame[];
    try {
      frames = this.#reader.push(chunk);
    } catch (err) {
      return this.#fail(err);
    }
    for (const frame of frames) {
      const size = frame.kind === 'data' ? frame.data.length : frame.payload.length;
      this.#inboundBytes += size;
      this.#inbound = this.#inbound
        .then(() => (this.#closed ? undefined : this.#handle(frame)))
        .catch((err: unknown) => this.#fail(err))
        .finally(() => {
          this.#inboundBytes -= size;
          this.#flowControl();
        });
    }
    this.#flowControl();
  }

  /** The transport closed (or failed): every stream is reset. */
  transportClosed(reason = 'the client closed the connection'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [...this.#streams.values()]) s.resetByPeer();
    this.#streams.clear();
    this.#codec.close();
    this.#handlers.closed(reason);
  }

  /** Ends the connection: GOAWAY, then the transport closes once it was sent. */
  close(status: number = GoAwayStatus.ok): void {
    if (this.#closed) return;
    this.#goingAway = true;
    void this.#send(encodeGoAway(this.#lastStreamId, status))
      .catch(() => undefined)
      .finally(() => this.#transport.end());
  }

  async #handle(frame: SpdyFrame): Promise<void> {
    if (frame.kind === 'data') {
      const stream = this.#streams.get(frame.streamId);
      // Data for a stream already gone (reset on either side) crosses our reset: dropped.
      stream?.received(frame.data, (frame.flags & FLAG_FIN) !== 0);
      if (stream) this.#checkBacklog(stream);
      return;
    }
    if (frame.version !== SPDY_VERSION)
      throw new SpdyProtocolError(`SPDY version ${frame.version} (this server speaks 3)`);
    switch (frame.type) {
      case ControlType.synStream:
        return this.#synStream(frame.payload, frame.flags);
      case ControlType.synReply:
      case ControlType.headers:
        // Nothing to do with them, but their header blocks move the zlib stream along.
        await this.#codec.decode(parseStreamHeaders(frame.payload).headerBlock);
        return;
      case ControlType.rstStream: {
        const { streamId } = parseRstStream(frame.payload);
        this.#streams.get(streamId)?.resetByPeer();
        return;
      }
      case ControlType.ping: {
        const id = parsePing(frame.payload);
        // Odd ids are the client's: echoed. Even ones would answer our own pings (we send none).
        if (id % 2 === 1) await this.#send(encodePing(id)).catch(() => undefined);
        return;
      }
      case ControlType.goAway:
        parseGoAway(frame.payload);
        this.#goingAway = true;
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE and anything newer: nothing this server acts on.
    }
  }

  async #synStream(payload: Buffer, flags: number): Promise<void> {
    const syn = parseSynStream(payload);
    const headers = await this.#codec.decode(syn.headerBlock);
    if (syn.streamId % 2 === 0 || syn.streamId <= this.#lastStreamId) {
      await this.#send(encodeRstStream(syn.streamId, RstStatus.protocolError)).catch(() => undefined);
      return;
    }
    this.#lastStreamId = syn.streamId;
    if (this.#goingAway || this.#streams.size >= MAX_STREAMS_PER_CONNECTION) {
      await this.#send(encodeRstStream(syn.streamId, RstStatus.refusedStream)).catch(() => undefined);
      return;
    }
    const stream = new SpdyStream(syn.streamId, headers, {
      send: (f) => this.#send(f),
      taken: (s) => this.#checkBacklog(s),
      settled: (s) => {
        if (s.settled && this.#streams.get(s.id) === s) this.#streams.delete(s.id);
      },
    });
    this.#streams.set(stream.id, stream);
    if ((flags & FLAG_FIN) !== 0) stream.received(Buffer.alloc(0), true);
    let accepted: boolean;
    try {
      accepted = this.#handlers.stream(stream);
    } catch {
      accepted = false;
    }
    if (!accepted) return stream.reset(RstStatus.refusedStream);
    const block = this.#codec.encode(new Map());
    await this.#send(block.then((b) => encodeSynReply(stream.id, b))).catch(() => undefined);
  }

  /** Queues a frame (or one still being built) behind the frames before it. */
  #send(frame: Buffer | Promise<Buffer>): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the connection is closed'));
    const sent = this.#outbound.then(async () => this.#transport.write(await frame));
    this.#outbound = sent.catch(() => undefined);
    return sent;
  }

  #checkBacklog(stream: SpdyStream): void {
    if (stream.backlog > MAX_STREAM_BACKLOG_BYTES && !stream.isReset) this.#over.add(stream);
    else this.#over.delete(stream);
    this.#flowControl();
  }

  #flowControl(): void {
    const wasPaused = this.#pausedFor.backlog || this.#pausedFor.inbound;
    this.#pausedFor = { backlog: this.#over.size > 0, inbound: this.#inboundBytes > MAX_INBOUND_BACKLOG_BYTES };
    const paused = this.#pausedFor.backlog || this.#pausedFor.inbound;
    if (paused && !wasPaused) this.#transport.pause();
    else if (!paused && wasPaused && !this.#closed) this.#transport.resume();
  }

  #fail(err: unknown): void {
    if (this.#closed) return;
    const protocol = err instanceof SpdyProtocolError;
    this.close(protocol ? GoAwayStatus.protocolError : GoAwayStatus.internalError);
    this.transportClosed(
      `${protocol ? 'protocol error' : 'internal error'}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
