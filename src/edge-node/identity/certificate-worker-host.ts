/**
 * The agent's side of the certificate worker: one worker thread, started by the first request and
 * ended when the caller releases it. Making a CSR needs the ASN.1 stack and sending it undici, ~20 MB
 * of RSS that the agent's main thread would otherwise hold for as long as it runs after needing them
 * for a second (docs/benchmarks.md, "a lean agent"); a worker gives it all back when it ends.
 *
 * Starting one costs ~0.5 s (loading that stack), more on a busy device. Certificates renewed again
 * within a minute (short lifetimes: tests, strict rotation policies) therefore keep their worker until
 * then (`keepWarmFor`); the usual ones, renewed after days, end it with the answer.
 */
import type { Worker } from 'node:worker_threads';
import { errorMessage } from '../../api/index.js';
import { renewAt } from '../../pki/lite.js';
import { spawnWorker } from '../../platform/index.js';
import type { CertificateRequestAuth } from './certificate-client.js';

/** What one certificate request needs: plain data, so that it can be handed to a worker. */
export interface ObtainRequest {
  hubBase: string;
  nodeName: string;
  /** The node's mesh address, named in the request when set. */
  address?: string;
  /** The pinned hub CA (PEM) the request goes over. */
  caPem: string;
  /** The key the certificate is for. */
  keyPem: string;
  auth: CertificateRequestAuth;
  /**
   * The caller's clock minus the system clock, in ms: the answer's validity is checked at the worker's
   * `Date.now()` plus this, when the answer has come (0 with the system clock). A time taken before the
   * request would find a certificate issued during it not yet valid.
   */
  clockOffsetMs: number;
}

/** What the certificate worker posts back: the certificate, or its error as data. */
export type ObtainOutcome =
  | { ok: true; certPem: string; signerCaPem: string }
  | { ok: false; kind: 'request' | 'identity' | 'other'; message: string; status: number };

/** A renewal due sooner than this after an answer keeps the worker until then. */
const KEEP_WARM_BELOW_MS = 60_000;
/** How long past the next renewal's time a kept worker waits for it. */
const KEEP_SLACK_MS = 10_000;

/** How long to keep the worker after `certPem` was obtained at `nowMs`: until its renewal if that is soon, else 0. */
export function keepWarmFor(certPem: string, nowMs: number): number {
  const next = renewAt(certPem).getTime() - nowMs;
  return next < KEEP_WARM_BELOW_MS ? Math.max(0, next) + KEEP_SLACK_MS : 0;
}

/** Runs certificate requests in a worker thread that lives from a request until it is released. */
export class CertificateWorkerHost {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, (outcome: ObtainOutcome) => void>();
  #nextId = 1;
  #timer: NodeJS.Timeout | undefined;

  /** Whether the worker thread is running (started, not yet ended). */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Runs one request (see `obtainHere`), starting the worker if none is running. */
  request(req: ObtainRequest): Promise<ObtainOutcome> {
    clearTimeout(this.#timer);
    const worker = (this.#worker ??= this.#start());
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      worker.postMessage({ id, req });
    });
  }

  /** Ends the worker once it has no request, after `keepMs` more without one (at once for 0). */
  release(keepMs = 0): void {
    clearTimeout(this.#timer);
    if (this.#worker === undefined || this.#pending.size > 0) return;
    if (keepMs <= 0) return this.#end();
    this.#timer = setTimeout(() => this.#end(), keepMs);
    this.#timer.unref();
  }

  /** Ends the worker now; a request still waiting gets a failure. */
  close(): void {
    clearTimeout(this.#timer);
    this.#end();
  }

  #start(): Worker {
    const worker = spawnWorker(new URL('./certificate-worker.js', import.meta.url));
    // A kept worker waiting for the next renewal must not hold the process open.
    worker.unref();
    worker.on('message', (m: { id: number; outcome: ObtainOutcome }) => {
      this.#pending.get(m.id)?.(m.outcome);
      this.#pending.delete(m.id);
    });
    worker.once('error', (err) => this.#fail(worker, `the certificate worker failed: ${errorMessage(err)}`));
    worker.once('exit', (code) => this.#fail(worker, `the certificate worker ended (code ${code}) without an answer`));
    return worker;
  }

  #fail(worker: Worker, message: string): void {
    if (this.#worker === worker) this.#worker = undefined;
    for (const resolve of this.#pending.values()) resolve({ ok: false, kind: 'request', message, status: 0 });
    this.#pending.clear();
  }

  #end(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) void worker.terminate();
  }
}
