/**
 * The outgoing HTTP calls pending on one executor (main thread): each is handed to the node's
 * handler, bounded by its timeout, and answered exactly once on the executor's reply channel (see
 * outgoing-protocol.ts) — unless the guest gave up on it (dropped its future) or the executor is gone
 * (then it is just forgotten; the handler's late answer goes nowhere).
 *
 * A refusal or failure becomes the `wasi:http` error code the guest sees: `OutgoingHttpError`
 * `denied` → `HTTP-request-denied`, `dns` → `DNS-error`, `connection-refused` → `connection-refused`,
 * `timeout` → `connection-timeout`, `internal` (and any other rejection) → `internal-error` with the
 * message.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { OutgoingHttpError, errorMessage } from '../../api/index.js';
import type { WorkloadRequest, WorkloadResponse } from '../../api/index.js';
import type { ErrorCode } from '../host/http-error-code.js';
import { MAX_CALL_DEPTH, OUTGOING_GRACE_MS, type OutgoingDispatch } from './outgoing-dispatch.js';
import { MAX_TIMER_MS, type OutgoingCall, type OutgoingChannel, type OutgoingReply } from './outgoing-protocol.js';

type Answer = { status: number; headers: string[]; body: Uint8Array } | { error: ErrorCode };

interface Pending {
  call: OutgoingCall;
  timer: NodeJS.Timeout;
}

const EMPTY = new Uint8Array(0);

/** The `wasi:http` error code for a handler's rejection. */
export function errorCodeOf(err: unknown): ErrorCode {
  if (err instanceof OutgoingHttpError) {
    switch (err.failure) {
      case 'denied':
        return { tag: 'HTTP-request-denied' };
      case 'dns':
        return { tag: 'DNS-error' };
      case 'connection-refused':
        return { tag: 'connection-refused' };
      case 'timeout':
        return { tag: 'connection-timeout' };
      case 'internal':
        return { tag: 'internal-error', message: err.message };
    }
  }
  return { tag: 'internal-error', message: errorMessage(err) };
}

function answerOf(res: WorkloadResponse): Answer {
  if (!Number.isInteger(res.status) || res.status < 100 || res.status > 999) {
    return {
      error: {
        tag: 'internal-error',
        message: `the outgoing handler answered with an invalid status ${String(res.status)}`,
      },
    };
  }
  const headers: string[] = [];
  for (const [name, value] of res.headers) headers.push(name, value);
  return { status: res.status, headers, body: res.body };
}

function requestOf(call: OutgoingCall, timeoutMs: number): WorkloadRequest {
  const headers: Array<[string, string]> = [];
  for (let i = 0; i + 1 < call.headers.length; i += 2) headers.push([call.headers[i]!, call.headers[i + 1]!]);
  return {
    method: call.method,
    path: call.path,
    authority: call.authority,
    scheme: call.scheme,
    headers,
    body: call.body ?? EMPTY,
    timeoutMs,
  };
}

/** The pending calls of one executor (see the file comment). */
export class OutgoingCalls {
  /** The worker's end of the reply channel: hand it over in `workerData` (and `transferList`). */
  readonly workerEnd: OutgoingChannel;
  readonly #replies: MessagePort;
  readonly #signal = new Int32Array(new SharedArrayBuffer(4));
  readonly #pending = new Map<number, Pending>();
  /** When the last call of each request was answered (request id → ms), kept {@link RECENT_MS}. */
  readonly #answeredAt = new Map<number, number>();
  #closed = false;

  constructor(
    private readonly dispatch: OutgoingDispatch | undefined,
    /** The last pending call is settled (the executor may be available again). */
    private readonly onSettled: () => void,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.#replies = port1;
    this.workerEnd = { port: port2, signal: this.#signal.buffer };
  }

  /** Calls waiting for an answer. */
  get size(): number {
    return this.#pending.size;
  }

  /** Whether a call made while serving request `reqId` (or by instance `instanceId`) is pending. */
  has(match: { reqId: number } | { instanceId: number }): boolean {
    for (const { call } of this.#pending.values()) if (matches(call, match)) return true;
    return false;
  }

  /**
   * Whether a call made while serving request `reqId` was answered within the last `ms` (by `now`):
   * its guest may still be handling that answer (see container-deadline.ts).
   */
  answeredWithin(reqId: number, ms: number, now = Date.now()): boolean {
    const at = this.#answeredAt.get(reqId);
    return at !== undefined && now - at <= ms;
  }

  /** Hands `call` to the handler; `depth` is its caller's request depth + 1. */
  start(call: OutgoingCall, depth: number): void {
    if (this.#closed) return;
    const dispatch = this.dispatch;
    if (!dispatch) return this.#reply({ id: call.id, error: { tag: 'HTTP-request-denied' } });
    if (depth > MAX_CALL_DEPTH) return this.#reply({ id: call.id, error: { tag: 'loop-detected' } });
    // Clamped to what a timer holds: a larger delay overflows and fires after 1 ms.
    const timeoutMs = Math.min(MAX_TIMER_MS, Math.max(1, call.timeoutMs ?? dispatch.defaultTimeoutMs));
    const timer = setTimeout(() => this.#settle(call.id, { error: { tag: 'connection-timeout' } }), timeoutMs);
    this.#pending.set(call.id, { call, timer });
    let answer: Promise<WorkloadResponse>;
    try {
      answer = dispatch.deliver(depth, call.caller, requestOf(call, timeoutMs));
    } catch (err) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a throw takes its rejection's path; errorCodeOf reads any reason
      answer = Promise.reject(err);
    }
    answer.then(
      (res) => this.#settle(call.id, answerOf(res)),
      (err: unknown) => this.#settle(call.id, { error: errorCodeOf(err) }),
    );
  }

  /** Answers the matching calls with `error` now (their caller's deadline passed). */
  fail(match: { reqId: number } | { instanceId: number }, error: ErrorCode): void {
    for (const [id, { call }] of [...this.#pending]) if (matches(call, match)) this.#settle(id, { error });
  }

  /** The guest dropped the future of call `id`: no answer wanted. */
  forget(id: number): void {
    const p = this.#pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.onSettled();
  }

  /** The executor is gone: forget every call (the handlers' late answers go nowhere). */
  close(): void {
    this.#closed = true;
    for (const p of this.#pending.values()) clearTimeout(p.timer);
    this.#pending.clear();
    this.#replies.close();
  }

  #noteAnswered(reqId: number): void {
    if (reqId === 0) return;
    const now = Date.now();
    this.#answeredAt.delete(reqId);
    this.#answeredAt.set(reqId, now);
    // Insertion order is answer order: drop what is older than anyone asks about (bounded by the calls of the last RECENT_MS).
    for (const [old, at] of this.#answeredAt) {
      if (now - at <= RECENT_MS) break;
      this.#answeredAt.delete(old);
    }
  }

  /** Posts an answer, then wakes the worker (post first: see outgoing-protocol.ts). */
  #reply(reply: OutgoingReply): void {
    if (this.#closed) return;
    this.#replies.postMessage(reply);
    Atomics.add(this.#signal, 0, 1);
    Atomics.notify(this.#signal, 0);
  }

  #settle(id: number, answer: Answer): void {
    const p = this.#pending.get(id);
    if (!p || this.#closed) return;
    clearTimeout(p.timer);
    this.#pending.delete(id);
    this.#noteAnswered(p.call.reqId);
    this.#reply({ id, ...answer });
    if (this.#pending.size === 0) this.onSettled();
  }
}

/** How long an answered call is remembered for {@link OutgoingCalls.answeredWithin}. */
const RECENT_MS = OUTGOING_GRACE_MS;

function matches(call: OutgoingCall, match: { reqId: number } | { instanceId: number }): boolean {
  return 'reqId' in match ? match.reqId !== 0 && call.reqId === match.reqId : call.instanceId === match.instanceId;
}
