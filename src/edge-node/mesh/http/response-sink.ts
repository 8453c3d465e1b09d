/**
 * Where a delivered response goes. The NodePort proxy and the mesh server stream it to their own
 * client (`ServerResponseSink`); a pod's outgoing call needs it whole (`BufferingSink`, a
 * `WorkloadResponse`). Delivery writes to this interface only, so both share one code path.
 */
import type { ServerResponse } from 'node:http';
import type { WorkloadResponse } from '../../../api/index.js';
import { sendText, writeWorkloadResponse } from './http-util.js';

/** The receiving side of one response. */
export interface ResponseSink {
  /** The receiver is gone (client disconnected, deadline passed): stop producing. */
  readonly gone: boolean;
  /** A response head was written: the request can no longer be retried elsewhere. */
  readonly started: boolean;
  /** Calls `listener` once when the receiver goes away before the response ended; returns its remover. */
  onGone(listener: () => void): () => void;
  /** The head of a streamed response; headers flat (`[name, value, …]`). */
  start(status: number, headers: readonly string[]): void;
  /** A chunk of the body; false asks the producer to wait for `onDrain`. */
  write(chunk: Buffer): boolean;
  onDrain(listener: () => void): void;
  end(): void;
  /** The upstream broke after `start`: the response is cut short. */
  abort(): void;
  /** A whole response at once (in-process workloads). */
  whole(res: WorkloadResponse): void;
  /** A short plain-text answer made by the node itself. */
  text(status: number, message: string): void;
}

/** Streams into a node:http response. */
export class ServerResponseSink implements ResponseSink {
  constructor(private readonly res: ServerResponse) {}

  get gone(): boolean {
    return this.res.destroyed;
  }

  get started(): boolean {
    return this.res.headersSent;
  }

  onGone(listener: () => void): () => void {
    const onClose = (): void => {
      if (!this.res.writableFinished) listener();
    };
    this.res.once('close', onClose);
    return () => this.res.off('close', onClose);
  }

  start(status: number, headers: readonly string[]): void {
    if (!this.res.destroyed) this.res.writeHead(status, headers as string[]);
  }

  write(chunk: Buffer): boolean {
    return this.res.destroyed || this.res.write(chunk);
  }

  onDrain(listener: () => void): void {
    this.res.once('drain', listener);
  }

  end(): void {
    this.res.end();
  }

  abort(): void {
    this.res.destroy();
  }

  whole(res: WorkloadResponse): void {
    writeWorkloadResponse(this.res, res);
  }

  text(status: number, message: string): void {
    sendText(this.res, status, message);
  }
}

/** Why a buffering sink stopped taking data. */
export type BufferingStop = 'cancelled' | 'too-large' | 'broken';

/** Collects a response in memory, up to `maxBytes` of body. */
export class BufferingSink implements ResponseSink {
  private status = 0;
  private headers: Array<[string, string]> = [];
  private chunks: Buffer[] = [];
  private size = 0;
  private finished = false;
  private stopReason: BufferingStop | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly maxBytes: number) {}

  get gone(): boolean {
    return this.stopReason !== undefined;
  }

  get started(): boolean {
    return this.status !== 0;
  }

  /** Why the response is unusable, if it is. */
  get stopped(): BufferingStop | undefined {
    return this.stopReason;
  }

  /** Stops taking data (the caller's deadline passed); the producer is told to abort. */
  cancel(reason: BufferingStop = 'cancelled'): void {
    if (this.stopReason !== undefined || this.finished) return;
    this.stopReason = reason;
    for (const l of [...this.listeners]) l();
    this.listeners.clear();
  }

  onGone(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(status: number, headers: readonly string[]): void {
    if (this.gone) return;
    this.status = status;
    this.headers = [];
    for (let i = 0; i < headers.length; i += 2) this.headers.push([headers[i]!, headers[i + 1]!]);
  }

  write(chunk: Buffer): boolean {
    if (this.gone) return true;
    this.size += chunk.length;
    if (this.size > this.maxBytes) this.cancel('too-large');
    else this.chunks.push(chunk);
    return true; // memory is the buffer: never asks to pause
  }

  onDrain(): void {
    // write() never returns false.
  }

  end(): void {
    if (!this.gone) this.finished = true;
  }

  abort(): void {
    this.cancel('broken');
  }

  whole(res: WorkloadResponse): void {
    if (this.gone) return;
    if (res.body.byteLength > this.maxBytes) return this.cancel('too-large');
    this.status = res.status;
    this.headers = res.headers;
    this.chunks = [Buffer.from(res.body.buffer, res.body.byteOffset, res.body.byteLength)];
    this.size = res.body.byteLength;
    this.finished = true;
  }

  text(status: number, message: string): void {
    if (this.gone || this.started) return;
    this.status = status;
    this.headers = [['content-type', 'text/plain; charset=utf-8']];
    this.chunks = [Buffer.from(message.endsWith('\n') ? message : `${message}\n`)];
    this.finished = true;
  }

  /** The whole response, once it ended intact; undefined otherwise. */
  response(): WorkloadResponse | undefined {
    if (!this.finished || this.gone) return undefined;
    return {
      status: this.status,
      headers: this.headers,
      body: this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks),
    };
  }
}
