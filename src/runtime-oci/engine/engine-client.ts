/**
 * A small client of the Docker Engine HTTP API over a unix socket (undici), as served by dockerd and
 * by `podman system service`: JSON calls, streaming calls (logs, progress, exec output) without a
 * body deadline, and the multiplexed stdout/stderr framing of non-TTY streams.
 */
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

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}

/**
 * Splits a multiplexed stream (8-byte frame headers: stream id, 3 zero bytes, big-endian size) into
 * stdout and stderr chunks; stream 3 (the daemon's own error) is reported as stderr.
 */
export async function demux(
  body: AsyncIterable<Uint8Array>,
  onData: (stream: 'stdout' | 'stderr', data: Buffer) => void,
): Promise<void> {
  let buf = Buffer.alloc(0);
  for await (const chunk of body) {
    buf = buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([buf, chunk]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const stream = buf[0] === 1 ? 'stdout' : 'stderr';
      onData(stream, buf.subarray(8, 8 + size));
      buf = buf.subarray(8 + size);
    }
  }
}
