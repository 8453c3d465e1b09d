/**
 * The transport under `EdgeClient`: one undici Agent, bearer auth, JSON in and out, and the mapping
 * of failures to errors (transport → HubUnreachableError, 401 → TokenRefusedError, other non-2xx →
 * the EdgeError of the Status body).
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { EdgeError } from '../../api/index.js';
import { InvalidAnswerError, errorFromResponse, transportError } from './errors.js';
import type { EdgeClientOptions } from './types.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query | undefined;
  /** A JSON value (serialised) or raw bytes (sent as application/octet-stream). */
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Streaming responses (watch, follow logs) must not time out between chunks. */
  stream?: boolean | undefined;
  accept?: string | undefined;
  /** The body's media type when it is not JSON's own (a server-side apply: `application/apply-patch+yaml`). */
  contentType?: string | undefined;
}

/** A 2xx response whose body has not been read yet. */
export interface OpenResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

/** Thin HTTP layer: builds URLs, adds auth, turns failures into EdgeErrors. */
export class HttpTransport {
  readonly server: string;
  readonly #base: string;
  readonly #token: string | undefined;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #userAgent: string;

  constructor(opts: EdgeClientOptions) {
    let url: URL;
    try {
      url = new URL(opts.server);
    } catch {
      throw transportError(
        opts.server,
        new Error(`invalid server URL "${opts.server}" (expected http(s)://host:port)`),
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw transportError(opts.server, new Error(`unsupported scheme "${url.protocol}" (use http:// or https://)`));
    }
    this.server = opts.server.replace(/\/+$/, '');
    this.#base = this.server;
    this.#token = opts.token;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#userAgent = opts.userAgent ?? 'edgectl';
    const tls: { ca?: string | Buffer; rejectUnauthorized?: boolean } = {};
    if (opts.ca !== undefined) tls.ca = opts.ca;
    if (opts.insecureSkipTlsVerify) tls.rejectUnauthorized = false;
    this.#agent = new Agent({ connect: tls, keepAliveTimeout: 4_000 });
  }

  /** The absolute URL of `path` with `query` (undefined values dropped). */
  url(path: string, query?: Query): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const s = qs.toString();
    return `${this.#base}${path}${s === '' ? '' : `?${s}`}`;
  }

  /** Sends a request and returns the open 2xx response; throws the mapped error otherwise. */
  async open(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}): Promise<OpenResponse> {
    const headers: Record<string, string> = {
      accept: opts.accept ?? 'application/json',
      'user-agent': this.#userAgent,
    };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let body: string | Uint8Array | undefined;
    if (opts.body instanceof Uint8Array) {
      body = opts.body;
      headers['content-type'] = 'application/octet-stream';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await request(this.url(path, opts.query), {
        method,
        headers,
        body,
        dispatcher: this.#agent,
        signal: opts.signal,
        headersTimeout: opts.stream ? 0 : this.#timeoutMs,
        bodyTimeout: opts.stream ? 0 : this.#timeoutMs,
      });
    } catch (err) {
      throw transportError(this.server, err);
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return res;
    throw await this.#failure(res);
  }

  /** Sends a request and parses the JSON answer, validated with `schema` (the call's REST shape). */
  async json<S extends z.ZodType>(
    schema: S,
    method: Dispatcher.HttpMethod,
    path: string,
    opts: RequestOptions = {},
  ): Promise<z.output<S>> {
    return (await this.jsonWithStatus(schema, method, path, opts)).body;
  }

  /** `json`, with the answer's status code (201 Created vs 200 OK). */
  async jsonWithStatus<S extends z.ZodType>(
    schema: S,
    method: Dispatcher.HttpMethod,
    path: string,
    opts: RequestOptions = {},
  ): Promise<{ statusCode: number; body: z.output<S> }> {
    const res = await this.open(method, path, opts);
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw transportError(this.server, err);
    }
    let body: unknown = {};
    try {
      if (text.trim() !== '') body = JSON.parse(text);
    } catch {
      throw transportError(this.server, new Error(`invalid JSON in the answer to ${method} ${path}`));
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new InvalidAnswerError(`${method} ${path}`, parsed.error.issues);
    return { statusCode: res.statusCode, body: parsed.data };
  }

  async #failure(res: Dispatcher.ResponseData): Promise<EdgeError> {
    let text = '';
    try {
      text = await res.body.text();
    } catch {
      // The body is only a detail; the status code alone still makes an error.
    }
    return errorFromResponse(res.statusCode, text);
  }

  /** Closes idle connections and aborts open streams. */
  async close(): Promise<void> {
    await this.#agent.destroy();
  }
}
