/** The request options and the open responses of the client's HTTP transport (http.ts). */
import type { IncomingMessage } from 'node:http';

/** Query parameters (undefined values are dropped). */
export type Query = Record<string, string | number | boolean | undefined>;

/** The methods the client sends. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

/** Options of one request. */
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

/** A response body not read yet: iterate it for chunks, or read it whole with `text()`. */
export class ResponseBody implements AsyncIterable<Uint8Array> {
  readonly #res: IncomingMessage;

  constructor(res: IncomingMessage) {
    this.#res = res;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.#res[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  }

  /** The whole body as UTF-8 text. */
  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.#res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Stops reading and closes the connection (a watch or log stream that is not wanted any more). */
  destroy(): void {
    this.#res.destroy();
  }
}

/** A 2xx response whose body has not been read yet. */
export interface OpenResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: ResponseBody;
}
