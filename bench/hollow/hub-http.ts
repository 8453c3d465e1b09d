/** Plain HTTPS calls to the hub's API for the driver (admin token, the cluster CA), timed. */
import { Agent, request } from 'undici';

/** The answer of one call, with how long it took to the last byte. */
export interface Timed {
  status: number;
  body: string;
  ms: number;
}

/** A small authenticated HTTP client of one hub. */
export class HubHttp {
  readonly #agent: Agent;

  constructor(
    private readonly url: string,
    private readonly token: string,
    caPem: string,
  ) {
    this.#agent = new Agent({ connect: { ca: caPem }, connections: 16 });
  }

  /** One request; `auth: false` sends no token (`/healthz`). Transport errors reject. */
  async call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    opts: { body?: unknown; contentType?: string; auth?: boolean; timeoutMs?: number } = {},
  ): Promise<Timed> {
    const t0 = performance.now();
    const headers: Record<string, string> = {};
    if (opts.auth !== false) headers.authorization = `Bearer ${this.token}`;
    if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const res = await request(`${this.url}${path}`, {
      method,
      dispatcher: this.#agent,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      headersTimeout: opts.timeoutMs ?? 120_000,
      bodyTimeout: opts.timeoutMs ?? 120_000,
    });
    const body = await res.body.text();
    return { status: res.statusCode, body, ms: performance.now() - t0 };
  }

  /** A JSON call that must succeed (2xx); the error names the status and the hub's message. */
  async json<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const r = await this.call(method, path, body === undefined ? {} : { body });
    if (r.status < 200 || r.status >= 300)
      throw new Error(`${method} ${path}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body) as T;
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}
