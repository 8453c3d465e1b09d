/**
 * SPDY/3.1 framing (the protocol kubectl's port-forward speaks, over a plain upgraded connection or
 * tunnelled in a WebSocket), without header compression (`header-codec.ts`). Every frame has an
 * 8-byte head: a control frame `1 | version(15) | type(16)`, a data frame `0 | stream-id(31)`; then
 * `flags(8) | length(24)` and `length` bytes of payload.
 *
 * `FrameReader` cuts a byte stream into frames as bytes arrive, refusing frames longer than the
 * bounds below before it holds their bytes; the `encode…` functions write frames. Shared by the hub (the
 * server side) and edgectl (the client side of `edgectl port-forward`).
 */

/** The SPDY version spoken (kubectl's spdystream writes 3 and does not check it). */
export const SPDY_VERSION = 3;

/** Control frame types of SPDY/3. */
export const ControlType = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

/** The FIN flag of data frames, SYN_STREAM and SYN_REPLY. */
export const FLAG_FIN = 0x01;

/** RST_STREAM status codes used here. */
export const RstStatus = { protocolError: 1, invalidStream: 2, refusedStream: 3, cancel: 5, internalError: 6 } as const;
/** GOAWAY status codes. */
export const GoAwayStatus = { ok: 0, protocolError: 1, internalError: 2 } as const;

/** Largest data frame accepted (kubectl writes at most 32 KiB per frame). */
export const MAX_DATA_FRAME_BYTES = 1024 * 1024;
/** Largest control frame accepted (a SYN_STREAM of kubectl's is some tens of bytes). */
export const MAX_CONTROL_FRAME_BYTES = 64 * 1024;

const HEAD_BYTES = 8;
const MAX_STREAM_ID = 0x7fffffff;

/** A frame as read: data for a stream, or a control frame whose payload is read by `parse…`. */
export type SpdyFrame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | { kind: 'control'; version: number; type: number; flags: number; payload: Buffer };

/** The peer broke the framing (the connection must go: nothing after it can be trusted). */
export class SpdyProtocolError extends Error {
  override readonly name = 'SpdyProtocolError';
}

/** Cuts a byte stream into frames. */
export class FrameReader {
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.#pendingBytes;
  }

  /** Adds `chunk` and returns the frames now complete, in order; throws SpdyProtocolError on a bad head. */
  push(chunk: Buffer): SpdyFrame[] {
    if (chunk.length > 0) {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
    }
    const frames: SpdyFrame[] = [];
    while (this.#pendingBytes >= HEAD_BYTES) {
      const head = this.#peek(HEAD_BYTES);
      const first = head.readUInt32BE(0);
      const flags = head[4] ?? 0;
      const length = head.readUIntBE(5, 3);
      const control = (first & 0x80000000) !== 0;
      const max = control ? MAX_CONTROL_FRAME_BYTES : MAX_DATA_FRAME_BYTES;
      if (length > max)
        throw new SpdyProtocolError(`a ${control ? 'control' : 'data'} frame of ${length} bytes (at most ${max})`);
      if (this.#pendingBytes < HEAD_BYTES + length) break;
      const frame = this.#take(HEAD_BYTES + length);
      const payload = frame.subarray(HEAD_BYTES);
      if (control)
        frames.push({ kind: 'control', version: (first >>> 16) & 0x7fff, type: first & 0xffff, flags, payload });
      else frames.push({ kind: 'data', streamId: first & MAX_STREAM_ID, flags, data: payload });
    }
    return frames;
  }

  /** The first `n` bytes held (n ≤ held), without taking them. */
  #peek(n: number): Buffer {
    const first = this.#pending[0]!;
    if (first.length >= n) return first.subarray(0, n);
    this.#pending = [Buffer.concat(this.#pending)];
    return this.#pending[0]!.subarray(0, n);
  }

  /** Takes the first `n` bytes held (n ≤ held). */
  #take(n: number): Buffer {
    const whole = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    const out = whole.subarray(0, n);
    const rest = whole.subarray(n);
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingBytes = rest.length;
    return out;
  }
}

/** A data frame. */
export function encodeData(streamId: number, data: Uint8Array, fin: boolean): Buffer {
  if (data.byteLength > MAX_DATA_FRAME_BYTES)
    throw new RangeError(`a data frame holds at most ${MAX_DATA_FRAME_BYTES} bytes`);
  const out = Buffer.allocUnsafe(HEAD_BYTES + data.byteLength);
  out.writeUInt32BE(streamId & MAX_STREAM_ID, 0);
  out.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24) | data.byteLength, 4);
  out.set(data, HEAD_BYTES);
  return out;
}

/** A control frame of `type` with `payload`. */
export function encodeControl(type: number, flags: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEAD_BYTES + payload.byteLength);
  out.writeUInt32BE((0x8000 | SPDY_VERSION) * 0x10000 + type, 0);
  out.writeUInt32BE(flags * 0x1000000 + payload.byteLength, 4);
  out.set(payload, HEAD_BYTES);
  return out;
}

/** SYN_REPLY for `streamId` with an already compressed header block. */
export function encodeSynReply(streamId: number, compressedHeaders: Uint8Array, fin = false): Buffer {
  const payload = Buffer.allocUnsafe(4 + compressedHeaders.byteLength);
  payload.writeUInt32BE(streamId & MAX_STREAM_ID, 0);
  payload.set(compressedHeaders, 4);
  return encodeControl(ControlType.synReply, fin ? FLAG_FIN : 0, payload);
}

/** SYN_STREAM opening `streamId` (a client's: odd ids), with an already compressed header block. */
export function encodeSynStream(streamId: number, compressedHeaders: Uint8Array, fin = false): Buffer {
  const payload = Buffer.alloc(10 + compressedHeaders.byteLength);
  payload.writeUInt32BE(streamId & MAX_STREAM_ID, 0);
  // Associated-to stream 0, priority 0, slot 0: what spdystream sends.
  payload.set(compressedHeaders, 10);
  return encodeControl(ControlType.synStream, fin ? FLAG_FIN : 0, payload);
}

/** RST_STREAM. */
export function encodeRstStream(streamId: number, status: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(streamId & MAX_STREAM_ID, 0);
  payload.writeUInt32BE(status, 4);
  return encodeControl(ControlType.rstStream, 0, payload);
}

/** PING (a server echoes the client's, whose ids are odd). */
export function encodePing(id: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(id >>> 0, 0);
  return encodeControl(ControlType.ping, 0, payload);
}

/** GOAWAY. */
export function encodeGoAway(lastGoodStreamId: number, status: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(lastGoodStreamId & MAX_STREAM_ID, 0);
  payload.writeUInt32BE(status, 4);
  return encodeControl(ControlType.goAway, 0, payload);
}

/** The fields of a SYN_STREAM (its header block still compressed). */
export interface SynStream {
  streamId: number;
  associatedToStreamId: number;
  priority: number;
  headerBlock: Buffer;
}

/** Reads a SYN_STREAM payload. */
export function parseSynStream(payload: Buffer): SynStream {
  if (payload.length < 10) throw new SpdyProtocolError('a SYN_STREAM shorter than 10 bytes');
  const streamId = payload.readUInt32BE(0) & MAX_STREAM_ID;
  if (streamId === 0) throw new SpdyProtocolError('a SYN_STREAM for stream 0');
  return {
    streamId,
    associatedToStreamId: payload.readUInt32BE(4) & MAX_STREAM_ID,
    priority: (payload[8] ?? 0) >> 5,
    headerBlock: payload.subarray(10),
  };
}

/** Reads the stream id and header block of a SYN_REPLY or HEADERS payload. */
export function parseStreamHeaders(payload: Buffer): { streamId: number; headerBlock: Buffer } {
  if (payload.length < 4) throw new SpdyProtocolError('a header frame shorter than 4 bytes');
  return { streamId: payload.readUInt32BE(0) & MAX_STREAM_ID, headerBlock: payload.subarray(4) };
}

/** Reads a RST_STREAM payload. */
export function parseRstStream(payload: Buffer): { streamId: number; status: number } {
  if (payload.length !== 8) throw new SpdyProtocolError('a RST_STREAM that is not 8 bytes');
  return { streamId: payload.readUInt32BE(0) & MAX_STREAM_ID, status: payload.readUInt32BE(4) };
}

/** Reads a PING payload. */
export function parsePing(payload: Buffer): number {
  if (payload.length !== 4) throw new SpdyProtocolError('a PING that is not 4 bytes');
  return payload.readUInt32BE(0);
}

/** Reads a GOAWAY payload (SPDY/3 has a status; SPDY/2's 4-byte form is accepted too). */
export function parseGoAway(payload: Buffer): { lastGoodStreamId: number; status: number } {
  if (payload.length !== 8 && payload.length !== 4) throw new SpdyProtocolError('a GOAWAY of the wrong length');
  return {
    lastGoodStreamId: payload.readUInt32BE(0) & MAX_STREAM_ID,
    status: payload.length === 8 ? payload.readUInt32BE(4) : 0,
  };
}
