/**
 * The outgoing HTTP client of one executor worker (worker side): the policy of every instance there
 * that may call out. A request leaves once its body is finished (at `handle()` when the guest had
 * finished it already, or never wrote one); its `FutureIncomingResponse` settles when the main
 * thread's reply is taken off the reply port (see outgoing-protocol.ts).
 *
 * Replies are only ever taken synchronously (`receiveMessageOnPort`), when the guest asks: `ready()`
 * and `get()` look without blocking; `block()` and `poll()` wait on the shared counter
 * (`Atomics.wait`). While it waits, the worker says so in its activity array: it is still running
 * the request (its deadline counts) but not computing (the main thread does not take it for stalled).
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { OutgoingCaller } from '../../api/index.js';
import {
  MAX_TIMER_MS,
  type OutgoingCall,
  type OutgoingChannel,
  type OutgoingReply,
} from '../outgoing/outgoing-protocol.js';
import { latin1Bytes, latin1String } from './guest-memory.js';
import type { ErrorCode } from './http-error-code.js';
import {
  Fields,
  FutureIncomingResponse,
  IncomingResponse,
  type OutgoingRequest,
  type RequestOptions,
  type ResponseSource,
} from './http-resources.js';
import { monotonicNow, type Waiter } from './io-resources.js';
import type { OutgoingHandleResult, OutgoingHttpPolicy } from './outgoing.js';

/** What the client needs from its worker. */
export interface OutgoingClientHooks {
  /** Posts a call to the main thread (after flushing what the worker has pending for it). */
  post(call: OutgoingCall, transfer: ArrayBuffer[]): void;
  /** Tells the main thread the guest dropped the future of call `id`. */
  cancel(id: number): void;
  /** The request the worker is serving (0 outside a request) and its deadline (`Date.now()` ms). */
  current(): { reqId: number; deadlineAt: number | undefined };
  /** The worker starts (true) or stops (false) waiting for a reply. */
  onWait(waiting: boolean): void;
}

interface Call {
  future: FutureIncomingResponse;
  /** Posted; false while the guest still writes the body. */
  sent: boolean;
}

/** The largest delay setTimeout honours (2^31 - 1 ms), in nanoseconds. */
const MAX_TIMER_NS = BigInt(MAX_TIMER_MS) * 1_000_000n;

const NOT_FINISHED: ErrorCode = {
  tag: 'internal-error',
  message: 'the response was awaited before the request body was finished',
};
const BODY_DROPPED: ErrorCode = {
  tag: 'internal-error',
  message: 'the request body was dropped without being finished',
};
const TIMED_OUT: ErrorCode = { tag: 'connection-timeout' };

/** Sends guests' outgoing requests to the main thread and waits for the answers (see the file comment). */
export class OutgoingClient implements ResponseSource, Waiter {
  readonly #port: MessagePort;
  readonly #signal: Int32Array;
  readonly #hooks: OutgoingClientHooks;
  readonly #calls = new Map<number, Call>();
  readonly #ids = new Map<FutureIncomingResponse, number>();
  #nextId = 1;

  constructor(channel: OutgoingChannel, hooks: OutgoingClientHooks) {
    this.#port = channel.port;
    this.#signal = new Int32Array(channel.signal);
    this.#hooks = hooks;
  }

  get waiter(): Waiter {
    return this;
  }

  /** The policy of an instance whose calls come from `caller`. */
  policyFor(instanceId: number, caller: OutgoingCaller): OutgoingHttpPolicy {
    return { handle: (request, options) => this.#handle(instanceId, caller, request, options) };
  }

  /** Takes every reply that has arrived (never blocks). */
  update(): void {
    for (;;) {
      const got = receiveMessageOnPort(this.#port);
      if (!got) return;
      this.#settle(got.message as OutgoingReply);
    }
  }

  abandon(future: FutureIncomingResponse): void {
    const id = this.#ids.get(future);
    if (id === undefined) return;
    const call = this.#calls.get(id);
    this.#forget(id);
    if (call?.sent) this.#hooks.cancel(id);
  }

  waitUntil(untilNs: bigint | undefined, done: () => boolean): void {
    for (;;) {
      // Read the counter before looking: a reply posted after the look bumps it, so the wait below
      // returns at once instead of sleeping through it.
      const seen = Atomics.load(this.#signal, 0);
      this.update();
      if (done()) return;
      let timeoutMs = Infinity;
      if (untilNs !== undefined) {
        const left = untilNs - monotonicNow();
        if (left <= 0n) return;
        timeoutMs = Math.max(1, Math.ceil(Number(left) / 1e6));
      }
      if (untilNs === undefined && ![...this.#calls.values()].some((c) => c.sent)) {
        // Nothing in flight can wake us: only futures whose body the (blocked) guest has not
        // finished are left, and they never will be. Fail them rather than wait forever.
        for (const call of [...this.#calls.values()]) this.#fail(call.future, NOT_FINISHED);
        return;
      }
      this.#hooks.onWait(true);
      try {
        Atomics.wait(this.#signal, 0, seen, timeoutMs);
      } finally {
        this.#hooks.onWait(false);
      }
    }
  }

  #handle(
    instanceId: number,
    caller: OutgoingCaller,
    request: OutgoingRequest,
    options: RequestOptions | undefined,
  ): OutgoingHandleResult {
    const scheme = (request.scheme ?? 'http').toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') return { tag: 'err', val: { tag: 'HTTP-protocol-error' } };
    const authority = request.authority;
    if (!authority) return { tag: 'err', val: { tag: 'HTTP-request-URI-invalid' } };
    const { reqId, deadlineAt } = this.#hooks.current();
    const future = new FutureIncomingResponse(undefined, this);
    const id = this.#nextId++;
    const call: Call = { future, sent: false };
    this.#calls.set(id, call);
    this.#ids.set(future, id);
    const send = (): void => {
      if (this.#calls.get(id) !== call) return; // abandoned meanwhile
      const timeoutMs = minDefined(
        optionsTimeoutMs(options),
        deadlineAt === undefined ? undefined : deadlineAt - Date.now(),
      );
      if (timeoutMs !== undefined && timeoutMs <= 0) return this.#fail(future, TIMED_OUT);
      const body = request.body && request.body.size > 0 ? request.body.bytes() : null;
      const headers: string[] = [];
      const { names, values } = request.headers;
      for (let i = 0; i < names.length; i++) headers.push(names[i]!, latin1String(values[i]!));
      const msg: OutgoingCall = {
        id,
        instanceId,
        reqId,
        caller,
        method: request.method,
        scheme,
        authority,
        path: request.pathWithQuery ?? '/',
        headers,
        body,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      };
      call.sent = true;
      // The body is ours (copied out of the guest): hand its buffer over rather than copy it again.
      const own =
        body !== null &&
        body.byteOffset === 0 &&
        body.byteLength === body.buffer.byteLength &&
        body.buffer instanceof ArrayBuffer;
      this.#hooks.post(msg, own ? [body.buffer] : []);
    };
    const body = request.body;
    if (!body || body.finished) send();
    else if (body.dropped) this.#fail(future, BODY_DROPPED);
    else body.onEnd = (finished) => (finished ? send() : this.#fail(future, BODY_DROPPED));
    return { tag: 'ok', val: future };
  }

  #settle(reply: OutgoingReply): void {
    const call = this.#calls.get(reply.id);
    if (!call) return; // abandoned by the guest
    if ('error' in reply) return this.#fail(call.future, reply.error);
    const names: string[] = [];
    const values: Uint8Array[] = [];
    for (let i = 0; i + 1 < reply.headers.length; i += 2) {
      names.push(reply.headers[i]!);
      values.push(latin1Bytes(reply.headers[i + 1]!));
    }
    call.future.settle({ response: new IncomingResponse(reply.status, new Fields(names, values), reply.body) });
    this.#forget(reply.id);
  }

  #fail(future: FutureIncomingResponse, error: ErrorCode): void {
    future.settle({ error });
    const id = this.#ids.get(future);
    if (id !== undefined) this.#forget(id);
  }

  #forget(id: number): void {
    const call = this.#calls.get(id);
    if (!call) return;
    this.#calls.delete(id);
    this.#ids.delete(call.future);
  }
}

/**
 * The guest's request-options as one bound on the whole exchange (bodies arrive whole, so only
 * "connected and answered within connect + first-byte" can be honoured; between-bytes cannot).
 */
function optionsTimeoutMs(options: RequestOptions | undefined): number | undefined {
  if (!options || (options.connectTimeout === undefined && options.firstByteTimeout === undefined)) return undefined;
  // u64 nanoseconds, but jco's lowering hands values past 2^63 over as negative i64: read them unsigned.
  const ns = BigInt.asUintN(64, options.connectTimeout ?? 0n) + BigInt.asUintN(64, options.firstByteTimeout ?? 0n);
  // A bound past what a timer can hold (~24.8 days) is no bound at all: setTimeout would overflow
  // it and fire after 1 ms. Such a guest gets the node's default bound instead.
  if (ns > MAX_TIMER_NS) return undefined;
  return Math.ceil(Number(ns) / 1e6);
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}
