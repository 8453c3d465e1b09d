/**
 * The resources of `wasi:http/types` as host objects (worker side): plain data, no I/O. Requests
 * come in from the node's HTTP server through the executor protocol; responses go back the same way.
 * A guest's outgoing request leaves through its policy (outgoing.ts) once its body is finished; the
 * answer arrives in its `FutureIncomingResponse`.
 */
import type { ErrorCode } from './http-error-code.js';
import { InputStream, OutputStream, type ByteSink, type Waitable, type Waiter } from './io-resources.js';
import type { Disposable } from './resource-table.js';
import type { HostBytes } from './host-bytes.js';

const EMPTY = new Uint8Array(0);

/** Largest body a guest may write (a response, or a request it sends); beyond it writes fail (protects the agent's memory). */
export const MAX_RESPONSE_BODY_BYTES = 256 * 1024 * 1024;

/** Why a `fields` operation was refused (`header-error`, by discriminant). */
export const HeaderError = { invalidSyntax: 0, forbidden: 1, immutable: 2 } as const;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether `name` is a valid field name (RFC 9110 token). */
export function validFieldName(name: string): boolean {
  return TOKEN.test(name);
}

/** Whether `value` may be a field value (no CR, LF or NUL). */
export function validFieldValue(value: Uint8Array): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === 0x0a || c === 0x0d || c === 0x00) return false;
  }
  return true;
}

/** `fields` (headers, trailers): ordered pairs, names compared case-insensitively. */
export class Fields {
  constructor(
    readonly names: string[] = [],
    readonly values: Uint8Array[] = [],
    public immutable = false,
  ) {}

  /** Values of `name`, in order. */
  get(name: string): Uint8Array[] {
    const lower = name.toLowerCase();
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.names[i]!.toLowerCase() === lower) out.push(this.values[i]!);
    return out;
  }

  delete(name: string): void {
    const lower = name.toLowerCase();
    for (let i = this.names.length - 1; i >= 0; i--) {
      if (this.names[i]!.toLowerCase() === lower) {
        this.names.splice(i, 1);
        this.values.splice(i, 1);
      }
    }
  }

  append(name: string, value: Uint8Array): void {
    this.names.push(name);
    this.values.push(value);
  }

  clone(): Fields {
    return new Fields([...this.names], [...this.values]);
  }
}

/** `incoming-request`: what the node received, with its body already whole. */
export class IncomingRequest {
  consumed = false;
  #headers: Fields | undefined;
  constructor(
    readonly method: string,
    readonly pathWithQuery: string,
    readonly scheme: 'http' | 'https',
    readonly authority: string,
    /** Flat `[name, value, name, value, ...]`, values as latin1 strings. */
    readonly rawHeaders: readonly string[],
    readonly body: Uint8Array | null,
    readonly toBytes: (value: string) => Uint8Array,
  ) {}

  /** The (immutable) headers, built on first use: many guests never look. */
  headers(): Fields {
    if (!this.#headers) {
      const names: string[] = [];
      const values: Uint8Array[] = [];
      for (let i = 0; i + 1 < this.rawHeaders.length; i += 2) {
        names.push(this.rawHeaders[i]!);
        values.push(this.toBytes(this.rawHeaders[i + 1]!));
      }
      this.#headers = new Fields(names, values, true);
    }
    return this.#headers;
  }
}

/** `incoming-body` of a request or response. */
export class IncomingBody {
  streamTaken = false;
  constructor(readonly data: Uint8Array) {}

  stream(): InputStream {
    this.streamTaken = true;
    return new InputStream(this.data);
  }
}

/** `future-trailers`: always resolved (no trailers). */
export class FutureTrailers {
  taken = false;
}

/**
 * `outgoing-body`: collects the bytes the guest writes, counted against the instance's host-bytes
 * budget until they are taken to be sent ({@link bytes}) or the body is dropped unfinished.
 */
export class OutgoingBody implements Disposable {
  readonly chunks: Uint8Array[] = [];
  size = 0;
  /** The bytes counted against the budget are given back (once). */
  #released = false;
  stream: OutputStream | undefined;
  finished = false;
  dropped = false;
  /** Told once: `true` when the guest finished the body, `false` when it dropped it unfinished. */
  onEnd: ((finished: boolean) => void) | undefined;

  constructor(readonly budget?: HostBytes) {}

  /** `outgoing-body.finish`. */
  finish(): void {
    this.finished = true;
    this.onEnd?.(true);
    this.onEnd = undefined;
  }

  /** The body's write stream (once). */
  write(): OutputStream {
    const sink: ByteSink = (bytes) => {
      if (this.finished) return 'the body is already finished';
      if (this.size + bytes.byteLength > MAX_RESPONSE_BODY_BYTES)
        return `body larger than ${MAX_RESPONSE_BODY_BYTES} bytes`;
      if (this.#released) return 'the body was already sent';
      if (this.budget && !this.budget.reserve(bytes.byteLength)) {
        return `the instance's buffered bodies would pass its host memory budget of ${this.budget.limit} bytes`;
      }
      this.chunks.push(bytes);
      this.size += bytes.byteLength;
      return undefined;
    };
    this.stream = new OutputStream(sink);
    return this.stream;
  }

  /** The whole body (one copy at most), taken to be sent: it no longer counts against the budget. */
  bytes(): Uint8Array {
    this.#release();
    if (this.chunks.length === 0) return EMPTY;
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }

  dispose(): void {
    this.dropped = true;
    if (!this.finished) {
      this.#release();
      this.onEnd?.(false);
    }
    this.onEnd = undefined;
  }

  /** Gives the counted bytes back to the budget (their owner dropped them unsent). */
  discard(): void {
    this.#release();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.budget?.release(this.size);
  }
}

/** `outgoing-response`. */
export class OutgoingResponse implements Disposable {
  status = 200;
  body: OutgoingBody | undefined;
  constructor(readonly headers: Fields) {
    headers.immutable = true;
  }

  /** Dropped by the guest, never set as the answer: its body will not be sent. */
  dispose(): void {
    this.body?.discard();
  }
}

/** `response-outparam`: where the guest puts its answer. */
export class ResponseOutparam {
  outcome: { response: OutgoingResponse } | { error: ErrorCode } | undefined;
}

/** `outgoing-request` (a guest's request to another service). */
export class OutgoingRequest {
  method = 'GET';
  pathWithQuery: string | undefined;
  scheme: string | undefined;
  authority: string | undefined;
  body: OutgoingBody | undefined;
  constructor(readonly headers: Fields) {
    headers.immutable = true;
  }

  /** Dropped by the guest, never handed to `handle()`: its body will not be sent. */
  dispose(): void {
    this.body?.discard();
  }
}

/** `request-options`: timeouts in nanoseconds. */
export class RequestOptions {
  connectTimeout: bigint | undefined;
  firstByteTimeout: bigint | undefined;
  betweenBytesTimeout: bigint | undefined;
}

/** `incoming-response` (the answer to a guest's outgoing request). */
export class IncomingResponse {
  consumed = false;
  constructor(
    readonly status: number,
    readonly headers: Fields,
    readonly body: Uint8Array,
  ) {
    headers.immutable = true;
  }
}

/** What an outgoing request ended with. */
export type OutgoingOutcome = { response: IncomingResponse } | { error: ErrorCode };

/** Where a pending {@link FutureIncomingResponse} gets its outcome from (the worker's outgoing client). */
export interface ResponseSource {
  readonly waiter: Waiter;
  /** Takes the replies that have arrived, without blocking. */
  update(): void;
  /** The guest dropped the future before its outcome was taken. */
  abandon(future: FutureIncomingResponse): void;
}

/** `future-incoming-response`: settled at once (a refusal), or later by its source. */
export class FutureIncomingResponse implements Waitable, Disposable {
  taken = false;
  #outcome: OutgoingOutcome | undefined;

  constructor(
    outcome?: OutgoingOutcome,
    readonly source?: ResponseSource,
  ) {
    this.#outcome = outcome;
  }

  get waiter(): Waiter {
    return this.source?.waiter ?? immediate;
  }

  /** The outcome, once there (never blocks). */
  get outcome(): OutgoingOutcome | undefined {
    if (this.#outcome === undefined) this.source?.update();
    return this.#outcome;
  }

  ready(): boolean {
    return this.outcome !== undefined;
  }

  /** Sets the outcome (first one wins). */
  settle(outcome: OutgoingOutcome): void {
    this.#outcome ??= outcome;
  }

  dispose(): void {
    if (this.#outcome === undefined) this.source?.abandon(this);
  }
}

/** The waiter of a future settled from the start: nothing to wait for. */
const immediate: Waiter = { waitUntil: () => undefined };
