/** The undici dispatch handler that writes one upstream response into a `ResponseSink`. */
import type { Dispatcher } from 'undici';
import { upstreamHeaders } from '../http/http-util.js';
import type { ResponseSink } from '../http/response-sink.js';
import { MESH_ERROR_HEADER } from '../protocol.js';
import { UpstreamUnreachableError, isRetriableSocketError, isTlsHandshakeError } from './upstream-error.js';

/**
 * Writes one upstream response into a sink. Settles once: resolves with the status when the
 * response is written (or broke after it started: nothing left to answer; resolves 502 then, for
 * the balancer's books), rejects before anything was written (connect failure:
 * UpstreamUnreachableError; a mesh error header: likewise, so the caller can retry).
 */
export class SinkHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #meshError: string | undefined;
  #status = 0;
  #settled = false;
  readonly #offGone: () => void;
  #deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: ResponseSink,
    private readonly origin: string,
    private readonly viaMesh: boolean,
    private readonly idempotent: boolean,
    private readonly resolve: (status: number) => void,
    private readonly reject: (err: Error) => void,
  ) {
    this.#offGone = sink.onGone(() => this.#controller?.abort(new Error('client went away')));
  }

  /**
   * Aborts the request with `err` at `ms` (undici's own timeouts fire up to ~1 s late: its timers
   * tick coarsely). Before the answer's headers the caller gets `err`; after, the answer is cut.
   */
  abortAfter(ms: number, err: Error): this {
    this.#deadline = setTimeout(() => this.#controller?.abort(err), ms);
    return this;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.sink.gone) controller.abort(new Error('client went away'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // informational: not forwarded
    const meshError = this.viaMesh ? headers[MESH_ERROR_HEADER] : undefined;
    if (meshError !== undefined) {
      this.#meshError = String(meshError);
      return;
    }
    this.#status = statusCode;
    this.sink.start(statusCode, upstreamHeaders(headers));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#meshError !== undefined || this.sink.gone) return;
    if (!this.sink.write(chunk)) {
      controller.pause();
      this.sink.onDrain(() => controller.resume());
    }
  }

  onResponseEnd(): void {
    if (this.#meshError !== undefined)
      return this.#fail(new UpstreamUnreachableError(`${this.origin}: ${this.#meshError}`, false, this.#meshError));
    this.sink.end();
    this.#done(this.#status);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#status !== 0) {
      // The upstream broke mid-body (or the client left): nothing left to answer.
      this.sink.abort();
      return this.#done(502);
    }
    const code = (err as { code?: string }).code ?? '';
    const retriable = isRetriableSocketError(code, this.idempotent);
    // A refused TLS handshake says why (the peer is another node, its certificate expired, …).
    const why = isTlsHandshakeError(code) ? `${code} (${err.message})` : code;
    this.#fail(retriable ? new UpstreamUnreachableError(`${this.origin}: ${why}`, true, code) : err);
  }

  #done(status: number): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#deadline);
    this.#offGone();
    this.resolve(status);
  }

  #fail(err: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#deadline);
    this.#offGone();
    this.reject(err);
  }
}
