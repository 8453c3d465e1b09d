/**
 * Outgoing HTTP calls between an executor worker (where a guest called
 * `wasi:http/outgoing-handler.handle`) and the main thread (where the node's handler delivers them).
 *
 * A guest cannot be suspended on Node 20, so the worker blocks while it waits. The call goes to the
 * main thread with the worker's other messages (`FromWorker` `outgoing`); the reply comes back on a
 * MessagePort of its own that the worker never listens on: it takes replies synchronously with
 * `receiveMessageOnPort`, after `Atomics.wait` on a shared counter that the main thread bumps (and
 * notifies) after posting each reply. Post first, bump second: a worker that sees the new count
 * finds the message on the port.
 */
import type { MessagePort } from 'node:worker_threads';
import type { OutgoingCaller } from '../../api/index.js';
import type { ErrorCode } from '../host/http-error-code.js';

/** The largest delay setTimeout honours (2^31 - 1 ms); a larger one overflows and fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A guest's request, as the worker posts it once its body is finished. */
export interface OutgoingCall {
  /** Unique per worker. */
  id: number;
  /** The instance that made it, and the request it was serving then (0 outside a request). */
  instanceId: number;
  reqId: number;
  /** Who is calling (from the instance's spec). */
  caller: OutgoingCaller;
  method: string;
  scheme: 'http' | 'https';
  /** `host[:port]` as the guest set it. */
  authority: string;
  /** Path and query (`/` when the guest set none). */
  path: string;
  /** Flat `[name, value, ...]`, values as latin1 strings. */
  headers: string[];
  body: Uint8Array | null;
  /**
   * The smaller of the guest's request-options timeouts and what is left of the deadline of the
   * request it serves; absent when neither bounds it (the main thread applies a default).
   */
  timeoutMs?: number;
}

/** The main thread's answer to one call. */
export type OutgoingReply =
  { id: number; status: number; headers: string[]; body: Uint8Array } | { id: number; error: ErrorCode };

/** What the worker gets at start (in `workerData.outgoing`). */
export interface OutgoingChannel {
  /** Where replies arrive (transferred to the worker; read only with `receiveMessageOnPort`). */
  port: MessagePort;
  /** An `Int32Array` of one element, bumped after every reply. */
  signal: SharedArrayBuffer;
}
