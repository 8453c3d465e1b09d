/**
 * The transport under `EdgeClient`: node's own `http`/`https` with one keep-alive agent, bearer auth,
 * JSON in and out, and the mapping of failures to errors (transport → HubUnreachableError, 401 →
 * TokenRefusedError, other non-2xx → the EdgeError of the Status body).
 *
 * Why not undici: edgectl is a short-lived process, and loading undici cost more CPU at start-up
 * (~250 ms on the 2-core VM, bench/cli-startup.ts) than the whole `get pods` request; node's `http`
 * is part of node's own start-up snapshot and costs a few ms. The client needs nothing undici adds.
 */
import type * as NodeHttp from 'node:http';
import type * as NodeHttps from 'node:https';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { z } from 'zod';
import type { EdgeError } from '../../api/index.js';
import type { Read } from './envelope.js';
import { InvalidAnswerError, errorFromResponse, transportError } from './errors.js';
import type { EdgeClientOptions } from './types.js';
import { ResponseBody, type HttpMethod, type OpenResponse, type Query, type RequestOptions } from './http-response.js';

export { ResponseBody, type HttpMethod, type OpenResponse, type Query, type RequestOptions } from './http-response.js';

type NodeAgent = NodeHttp.Agent;
/** `http.request` or `https.request`, with the agent of this transport. */
interface Lib {
  request: typeof NodeHttp.request;
  agent: NodeAgent;
}

/** Thin HTTP layer: builds URLs, adds auth, turns failures into EdgeErrors. */
export class HttpTransport {
  readonly server: string;
  readonly #base: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #userAgent: string;
  readonly #tls: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  readonly #secure: boolean;
  /** `node:https` is loaded only for an https hub (it pulls in tls and crypto). */
  #lib: Promise<Lib> | undefined;
  #agent: NodeAgent | undefined;

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
    this.#secure = url.protocol === 'https:';
    this.server = opts.server.replace(/\/+$/, '');
    this.#base = this.server;
    this.#token = opts.token;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#userAgent = opts.userAgent ?? 'edgectl';
    this.#tls = {};
    if (opts.ca !== undefined) this.#tls.ca = opts.ca;
    if (opts.insecureSkipTlsVerify) this.#tls.rejectUnauthorized = false;
  }

  /** The absolute URL of `path` with `query` (undefined values dropped). */
  url(path: string, query?: Query): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const s = qs.toString();
    return `${this.#base}${path}${s === '' ? '' : `?${s}`}`;
  }

  #load(): Promise<Lib> {
    // Idle keep-alive sockets are unref'd by node's agent, so they never hold the process open.
    this.#lib ??= (async (): Promise<Lib> => {
      if (this.#secure) {
        const https: typeof NodeHttps = await import('node:https');
        this.#agent = new https.Agent({ keepAlive: true, ...this.#tls });
        return { request: https.request, agent: this.#agent };
      }
      const http: typeof NodeHttp = await import('node:http');
      this.#agent = new http.Agent({ keepAlive: true });
      return { request: http.request, agent: this.#agent };
    })();
    return this.#lib;
  }

  /** Sends a request and returns the open 2xx response; throws the mapped error otherwise. */
  async open(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<OpenResponse> {
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
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    let res: NodeHttp.IncomingMessage;
    try {
      const { request, agent } = await this.#load();
      res = await new Promise<NodeHttp.IncomingMessage>((resolve, reject) => {
        const req = request(this.url(path, opts.query), { method, headers, agent, signal: opts.signal });
        req.on('response', resolve);
        req.on('error', reject);
        if (!opts.stream) {
          // No byte for this long (headers or body) ends the request, as undici's timeouts did.
          req.setTimeout(this.#timeoutMs, () =>
            req.destroy(new Error(`no answer from the hub within ${this.#timeoutMs / 1000}s`)),
          );
        }
        req.end(body);
      });
    } catch (err) {
      throw transportError(this.server, err);
    }
    const statusCode = res.statusCode ?? 0;
    const answer: OpenResponse = { statusCode, headers: res.headers, body: new ResponseBody(res) };
    if (statusCode >= 200 && statusCode < 300) return answer;
    throw await this.#failure(answer);
  }

  /** Sends a request and parses the JSON answer, validated with `schema` (the call's REST shape). */
  async json<S extends z.ZodType>(
    schema: S,
    method: HttpMethod,
    path: string,
    opts: RequestOptions = {},
  ): Promise<z.output<S>> {
    return (await this.jsonWithStatus(schema, method, path, opts)).body;
  }

  /** `json`, with the answer's status code (201 Created vs 200 OK). */
  async jsonWithStatus<S extends z.ZodType>(
    schema: S,
    method: HttpMethod,
    path: string,
    opts: RequestOptions = {},
  ): Promise<{ statusCode: number; body: z.output<S> }> {
    const { statusCode, body } = await this.#readJson(method, path, opts);
    const parsed = schema.safeParse(body);
    if (parsed.success) return { statusCode, body: parsed.data };
    // zod is loaded already (the schema is one); the barrel's issue wording comes with it.
    const { issuesToCauses } = await import('../../api/index.js');
    throw new InvalidAnswerError(`${method} ${path}`, issuesToCauses(parsed.error.issues));
  }

  /** Sends a request and reads the JSON answer with `read` (a zod-free check of the call's shape). */
  async read<T>(
    read: (body: unknown) => Read<T>,
    method: HttpMethod,
    path: string,
    opts: RequestOptions = {},
  ): Promise<T> {
    const { body } = await this.#readJson(method, path, opts);
    const r = read(body);
    if (!r.ok) throw new InvalidAnswerError(`${method} ${path}`, r.causes);
    return r.value;
  }

  async #readJson(
    method: HttpMethod,
    path: string,
    opts: RequestOptions,
  ): Promise<{ statusCode: number; body: unknown }> {
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
    return { statusCode: res.statusCode, body };
  }

  async #failure(res: OpenResponse): Promise<EdgeError> {
    let text = '';
    try {
      text = await res.body.text();
    } catch {
      // The body is only a detail; the status code alone still makes an error.
    }
    return errorFromResponse(res.statusCode, text);
  }

  /**
   * Sends `method path` asking to upgrade the connection (`headers` name the protocol, e.g. SPDY/3.1)
   * and returns the upgraded socket with the bytes read past the answer. A refusal is the EdgeError
   * of the hub's Status.
   */
  async upgrade(
    method: HttpMethod,
    path: string,
    headers: Record<string, string>,
  ): Promise<{ socket: Duplex; head: Buffer }> {
    const all: Record<string, string> = { 'user-agent': this.#userAgent, connection: 'Upgrade', ...headers };
    if (this.#token) all.authorization = `Bearer ${this.#token}`;
    const { request } = await this.#load();
    return new Promise((resolve, reject) => {
      // No agent: an upgraded socket leaves HTTP for good, it must not come back to a keep-alive pool.
      const req = request(this.url(path), { method, headers: all, agent: false, ...this.#tls });
      req.setTimeout(this.#timeoutMs, () =>
        req.destroy(new Error(`no answer from the hub within ${this.#timeoutMs / 1000}s`)),
      );
      req.once('upgrade', (res, socket, head) => {
        req.setTimeout(0);
        socket.setTimeout(0);
        resolve({ socket, head });
      });
      req.once('response', (res) => void this.#refusal(res).then(reject));
      req.once('error', (err) => reject(transportError(this.server, err)));
      req.end();
    });
  }

  /**
   * Opens a WebSocket to `path` (an upgrade of the API's streaming subresources: exec, port-forward)
   * offering `protocols`, with this transport's auth and TLS. A refused upgrade is the EdgeError of
   * the hub's Status; a hub out of reach, a HubUnreachableError. `ws` loads here, on first use.
   */
  async webSocket(path: string, query: URLSearchParams, protocols: readonly string[]): Promise<WebSocket> {
    const { WebSocket: Ws } = await import('ws');
    const qs = query.toString();
    const url = `${this.#base.replace(/^http/, 'ws')}${path}${qs === '' ? '' : `?${qs}`}`;
    const headers: Record<string, string> = { 'user-agent': this.#userAgent };
    // In a header only: a token is never part of a URL (logs, proxies and errors print those).
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const ws = new Ws(url, [...protocols], {
      headers,
      perMessageDeflate: false,
      handshakeTimeout: this.#timeoutMs,
      ...this.#tls,
    });
    return new Promise<WebSocket>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      ws.once('open', () => {
        settled = true;
        resolve(ws);
      });
      ws.on('error', (err) => fail(transportError(this.server, err)));
      ws.once(
        'unexpected-response',
        (req, res) =>
          void this.#refusal(res).then((err) => {
            fail(err);
            req.destroy();
          }),
      );
    });
  }

  /** The error of a refused upgrade: the EdgeError of the hub's Status, or the transport's failure. */
  #refusal(res: NodeHttp.IncomingMessage): Promise<EdgeError> {
    return new ResponseBody(res).text().then(
      (text) => errorFromResponse(res.statusCode ?? 0, text),
      (err: unknown) => transportError(this.server, err),
    );
  }

  /** Closes idle connections and aborts open streams. */
  async close(): Promise<void> {
    this.#agent?.destroy();
    await Promise.resolve();
  }
}
