/**
 * A small client of the Docker Engine HTTP API over a unix socket (undici), as served by dockerd and
 * by `podman system service`: JSON calls, streaming calls (logs, progress, exec output) without a
 * body deadline, and the multiplexed stdout/stderr framing of non-TTY streams.
 */
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import { errorMessage } from '../../api/index.js';

/** The daemon refused a call (`status` is the HTTP status; `message` the daemon's). */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** Options of one call. */
export interface CallOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Deadline for the response headers (0 = none, for long polls). Default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The Engine API client. */
export class EngineClient {
  readonly #pool: Pool;

  constructor(
    readonly socketPath: string,
    private readonly apiVersion = '1.41',
  ) {
    // Several connections: a container's `wait` and `logs` each hold one for its whole life.
    this.#pool = new Pool('http://localhost', { socketPath, connections: null, pipelining: 1 });
  }

  /** Calls and parses the JSON answer (undefined for an empty one); throws EngineError on non-2xx. */
  async call<T>(method: Dispatcher.HttpMethod, path: string, opts: CallOptions = {}): Promise<T | undefined> {
    const res = await this.open(method, path, opts);
    const text = await res.body.text();
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new EngineError(
        `${method} ${path}: the daemon answered something that is not JSON: ${text.slice(0, 200)}`,
        res.statusCode,
      );
    }
  }

  /** Opens a call whose body is read by the caller (streams); throws EngineError on non-2xx. */
  async open(method: Dispatcher.HttpMethod, path: string, opts: CallOptions = {}): Promise<Dispatcher.ResponseData> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) qs.set(k, v);
    const url = `/v${this.apiVersion}${path}${qs.size > 0 ? `?${qs.toString()}` : ''}`;
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const timeout = opts.timeoutMs ?? 30_000;
    let res: Dispatcher.ResponseData;
    try {
      res = await this.#pool.request({
        method,
        path: url,
        headers,
        body,
        signal: opts.signal,
        headersTimeout: timeout,
        bodyTimeout: 0,
      });
    } catch (err) {
      throw new EngineError(
        `${method} ${path}: cannot reach the daemon at ${this.socketPath}: ${errorMessage(err)}`,
        0,
      );
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return res;
    const text = await res.body.text().catch(() => '');
    let message = text.trim();
    try {
      const doc = JSON.parse(text) as { message?: unknown; cause?: unknown };
      if (typeof doc.message === 'string') message = doc.message;
    } catch {
      // not JSON: the text is the message
    }
    throw new EngineError(message || `${method} ${path}: HTTP ${res.statusCode}`, res.statusCode);
  }

  /**
   * POSTs `body` to `path` asking for the connection itself (`Connection: Upgrade`, `Upgrade: tcp`),
   * as the docker CLI does for `exec -i`: the daemon answers `101 UPGRADED` and the socket then
   * carries the process's stdin one way and its output the other (multiplexed unless `Tty`; the
   * answer's Content-Type does not say which before API 1.42). Each
   * hijack is a connection of its own, outside the pool. Throws EngineError when the daemon refuses.
   * Without `body` nothing is sent after the headers: a container attach reads every byte after them
   * as the container's stdin (the docker CLI sends none either).
   */
  hijack(path: string, body: unknown, timeoutMs = 30_000): Promise<HijackedStream> {
    const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        socketPath: this.socketPath,
        method: 'POST',
        path: `/v${this.apiVersion}${path}`,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          'content-length': String(payload.length),
          connection: 'Upgrade',
          upgrade: 'tcp',
        },
        timeout: timeoutMs,
      });
      req.once('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      req.once('upgrade', (_res, socket, head) => {
        socket.setTimeout(0);
        resolve({ socket, head });
      });
      // A daemon that does not upgrade answers a plain response: an error, or (never asked for) the
      // whole output; either way there is no stream to hand over.
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let message = text.trim();
          try {
            const doc = JSON.parse(text) as { message?: unknown };
            if (typeof doc.message === 'string') message = doc.message;
          } catch {
            // not JSON: the text is the message
          }
          reject(
            new EngineError(
              message || `POST ${path}: HTTP ${res.statusCode ?? 0} without an upgrade`,
              res.statusCode ?? 0,
            ),
          );
        });
      });
      req.once('error', (err) =>
        reject(new EngineError(`POST ${path}: cannot reach the daemon at ${this.socketPath}: ${errorMessage(err)}`, 0)),
      );
      req.end(payload);
    });
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}

/** A hijacked connection: the socket, and bytes the daemon sent right after its answer. */
export interface HijackedStream {
  socket: Socket;
  head: Buffer;
}

/**
 * Splits a multiplexed stream (8-byte frame headers: stream id, 3 zero bytes, big-endian size) into
 * stdout and stderr chunks; stream 3 (the daemon's own error) is reported as stderr. A promise
 * `onData` returns is awaited before more is read (backpressure).
 */
export async function demux(
  body: AsyncIterable<Uint8Array>,
  onData: (stream: 'stdout' | 'stderr', data: Buffer) => unknown,
): Promise<void> {
  let buf = Buffer.alloc(0);
  for await (const chunk of body) {
    buf = buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([buf, chunk]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const stream = buf[0] === 1 ? 'stdout' : 'stderr';
      await onData(stream, buf.subarray(8, 8 + size));
      buf = buf.subarray(8 + size);
    }
  }
}
