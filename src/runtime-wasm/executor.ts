/**
 * The main thread's handle on one executor worker: posts instantiate/request/run messages, matches
 * the answers, and can kill the worker (the only way to stop a guest that never yields).
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from './worker-entry.js';
import type { FromWorker, InstanceEnd, InstanceExports, InstanceSpec, ToWorker, WireRequest, WireResponse } from './executor-protocol.js';

/** A request failed inside the worker; `end` says whether (and how) the instance ended with it. */
export class GuestRequestError extends Error {
  constructor(message: string, readonly end?: InstanceEnd) {
    super(message);
    this.name = 'GuestRequestError';
  }
}

/** The worker went away (terminated, crashed) while something was pending. */
export class ExecutorLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutorLostError';
  }
}

export interface ExecutorEvents {
  /** Guest stdout/stderr bytes of one instance. */
  onOutput(instanceId: string, stream: 'stdout' | 'stderr', data: Uint8Array): void;
  /** The worker died without `terminate()` being called (crash, out of memory). */
  onLost(message: string): void;
}

interface Pending<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

export class Executor {
  readonly #worker: Worker;
  readonly #events: ExecutorEvents;
  readonly #instantiating = new Map<string, Pending<InstanceExports>>();
  readonly #requests = new Map<number, Pending<WireResponse>>();
  readonly #runs = new Map<string, Pending<InstanceEnd>>();
  #nextReqId = 1;
  #gone: string | undefined;

  private constructor(worker: Worker, events: ExecutorEvents) {
    this.#worker = worker;
    this.#events = events;
    worker.on('message', (msg: FromWorker) => this.#onMessage(msg));
    worker.on('error', (err) => this.#lose(`executor worker crashed: ${err.message}`));
    worker.on('exit', (code) => this.#lose(`executor worker exited with code ${code}`));
  }

  /** Spawns a new executor worker. */
  static start(events: ExecutorEvents): Executor {
    return new Executor(spawnWorker('executor-worker'), events);
  }

  get alive(): boolean {
    return this.#gone === undefined;
  }

  instantiate(spec: InstanceSpec): Promise<InstanceExports> {
    return this.#call(this.#instantiating, spec.instanceId, { type: 'instantiate', spec });
  }

  request(instanceId: string, request: WireRequest): Promise<WireResponse> {
    const reqId = this.#nextReqId++;
    return this.#call(this.#requests, reqId, { type: 'request', instanceId, reqId, request });
  }

  /** Runs a command instance to completion; resolves with how it ended. */
  run(instanceId: string): Promise<InstanceEnd> {
    return this.#call(this.#runs, instanceId, { type: 'run', instanceId });
  }

  /** Kills the worker and whatever guest code it is running. Pending calls reject. Idempotent. */
  async terminate(reason = 'executor terminated'): Promise<void> {
    if (this.#gone === undefined) this.#fail(reason);
    await this.#worker.terminate();
  }

  #call<K, T>(table: Map<K, Pending<T>>, key: K, msg: ToWorker): Promise<T> {
    if (this.#gone !== undefined) return Promise.reject(new ExecutorLostError(this.#gone));
    return new Promise<T>((resolve, reject) => {
      table.set(key, { resolve, reject });
      this.#worker.postMessage(msg);
    });
  }

  #onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case 'instantiated':
        take(this.#instantiating, msg.instanceId)?.resolve(msg.exports);
        return;
      case 'instantiate-failed':
        take(this.#instantiating, msg.instanceId)?.reject(new Error(msg.message));
        return;
      case 'response':
        take(this.#requests, msg.reqId)?.resolve(msg.response);
        return;
      case 'request-failed':
        take(this.#requests, msg.reqId)?.reject(new GuestRequestError(msg.message, msg.end));
        return;
      case 'run-finished':
        take(this.#runs, msg.instanceId)?.resolve(msg.end);
        return;
      case 'output':
        this.#events.onOutput(msg.instanceId, msg.stream, msg.data);
        return;
    }
  }

  #lose(message: string): void {
    if (this.#gone !== undefined) return;
    this.#fail(message);
    this.#events.onLost(message);
  }

  #fail(message: string): void {
    this.#gone = message;
    const err = new ExecutorLostError(message);
    for (const table of [this.#instantiating, this.#requests, this.#runs] as Array<Map<unknown, Pending<never>>>) {
      for (const p of table.values()) p.reject(err);
      table.clear();
    }
  }
}

function take<K, V>(map: Map<K, V>, key: K): V | undefined {
  const v = map.get(key);
  map.delete(key);
  return v;
}
