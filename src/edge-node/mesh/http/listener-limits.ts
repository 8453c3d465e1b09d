/**
 * Limits every listener of the node that strangers or pods can reach (NodePorts, the mesh server,
 * the local proxy) puts on what one request may cost: a cap on requests in flight per listener (a
 * 503 past it), a largest body (a 413: refused before reading when Content-Length says so, cut off
 * when a chunked body passes it), and timeouts so a client that sends slowly — headers or body —
 * or sits idle cannot hold a connection forever (slowloris).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import { BodyBuffers } from './body-limits.js';

/** Limits of one listener. */
export interface ListenerLimits {
  /** Largest request body accepted (413 above it). */
  maxRequestBodyBytes: number;
  /** Requests in flight at once per listener (503 past it). */
  maxConcurrentRequests: number;
  /** Longest a client may take to send its request headers (Node's `headersTimeout`). */
  headersTimeoutMs: number;
  /**
   * Longest a client may take to send its whole request, body included (Node's `requestTimeout`);
   * also how long a connection may see no traffic at all (a client that stopped reading its answer).
   */
  requestTimeoutMs: number;
  /** How long an idle kept-alive connection stays open (Node's `keepAliveTimeout`). */
  keepAliveTimeoutMs: number;
}

/** Default largest request body: 16 MiB. */
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 16 * 1024 * 1024;
/** Default cap of requests in flight per listener. */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 1024;

/** The defaults: 16 MiB bodies, 1024 requests per listener, 20 s for headers, 120 s for a request, 5 s idle. */
export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  maxRequestBodyBytes: DEFAULT_MAX_REQUEST_BODY_BYTES,
  maxConcurrentRequests: DEFAULT_MAX_CONCURRENT_REQUESTS,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
};

/**
 * The node-wide budget for bodies held whole (requests to in-process Wasm workloads): four largest
 * bodies, at least 64 MiB.
 */
export function defaultBodyBuffers(limits: Pick<ListenerLimits, 'maxRequestBodyBytes'>): BodyBuffers {
  return new BodyBuffers(Math.max(4 * limits.maxRequestBodyBytes, 64 * 1024 * 1024));
}

/** How long a connection answered with 413/503 (its body unread) may linger before it is destroyed. */
const LINGER_MS = 5_000;

/**
 * Applies the timeouts to `server`, and a connection cap: sockets that have not sent a whole request
 * yet do not count against the request cap, so their number is bounded too (four per request slot).
 */
export function applyServerLimits(server: Server, limits: ListenerLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  // Node requires requestTimeout >= headersTimeout (0 would disable it).
  server.requestTimeout = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // A socket with no traffic either way for this long is closed: a client that stops reading its
  // answer (the answer then sits in its send buffer) does not hold its slot forever either.
  server.timeout = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs);
  server.maxConnections = Math.max(4 * limits.maxConcurrentRequests, 256);
  // Node checks the two request timeouts on this interval (default 30 s): finer, so they hold.
  (server as Server & { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.min(
    30_000,
    Math.max(250, Math.floor(limits.headersTimeoutMs / 4)),
  );
}

/**
 * Answers with a short text and closes the connection after it: the request's body (if any) is not
 * read, and must not keep the socket — nor the slot — busy.
 */
export function refuse(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = Buffer.from(text.endsWith('\n') ? text : `${text}\n`);
  res.shouldKeepAlive = false;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    connection: 'close',
    ...extra,
  });
  res.end(body);
  // A client still sending its body gets the answer first (the socket is only half-closed), but not forever.
  const socket = res.req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Admission of one listener's requests: counts those in flight, refuses past the cap (503) and
 * declared bodies past the maximum (413), before anything of the body is read.
 */
export class RequestGate {
  #inFlight = 0;

  constructor(
    private readonly limits: ListenerLimits,
    /** What the listener is, for the 503's text (`node port 30080`, `mesh server`, …). */
    private readonly what: string,
    /** Extra headers of the 503 (the mesh server marks it as retriable elsewhere). */
    private readonly busyHeaders: Record<string, string> = {},
  ) {}

  /** Requests in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Admits `req` (true: the caller serves it; its slot is released when the response closes) or
   * answers it (false).
   */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.#inFlight >= this.limits.maxConcurrentRequests) {
      refuse(
        res,
        503,
        `${this.what} is at its cap of ${this.limits.maxConcurrentRequests} concurrent requests: try again later`,
        { 'retry-after': '1', ...this.busyHeaders },
      );
      return false;
    }
    if (!this.bodyAllowed(req, res)) return false;
    this.#inFlight++;
    res.once('close', () => this.#inFlight--);
    return true;
  }

  /**
   * The 'checkContinue' answer (a client that sent `Expect: 100-continue` waits before sending its
   * body): a declared body past the maximum is refused without it ever being sent.
   */
  checkContinue(
    req: IncomingMessage,
    res: ServerResponse,
    serve: (req: IncomingMessage, res: ServerResponse) => void,
  ): void {
    if (this.#inFlight >= this.limits.maxConcurrentRequests || !this.bodyAllowed(req, res)) {
      // Refused by `serve`'s own admission (503), or already answered (413): nothing to continue.
      if (!res.headersSent) serve(req, res);
      return;
    }
    res.writeContinue();
    serve(req, res);
  }

  private bodyAllowed(req: IncomingMessage, res: ServerResponse): boolean {
    const length = req.headers['content-length'];
    if (
      length !== undefined &&
      req.headers['transfer-encoding'] === undefined &&
      Number(length) > this.limits.maxRequestBodyBytes
    ) {
      refuse(
        res,
        413,
        `request body of ${length} bytes is larger than the maximum of ${this.limits.maxRequestBodyBytes} bytes`,
      );
      return false;
    }
    return true;
  }
}

/**
 * A node:http server for one listener — or node:https with `tls` (the mesh server with mTLS):
 * `limits` applied, every request admitted by `gate` before `handle` sees it, `Expect: 100-continue`
 * answered by the gate, and a malformed or too slow request answered (400, 408, 431) and its
 * connection closed.
 */
export function createLimitedServer(
  limits: ListenerLimits,
  gate: RequestGate,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  tls?: TlsOptions,
): Server {
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    if (gate.admit(req, res)) handle(req, res);
  };
  const server: Server = tls ? createTlsServer(tls, serve) : createServer(serve);
  applyServerLimits(server, limits);
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => gate.checkContinue(req, res, serve));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const status =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    if (
      socket.writable &&
      (socket as Duplex & { bytesWritten?: number }).bytesWritten === 0 &&
      !err.code?.startsWith('ECONN')
    ) {
      socket.write(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    }
    socket.destroy();
  });
  return server;
}

/** Fills in the defaults of a partial `ListenerLimits`. */
export function listenerLimits(partial: Partial<ListenerLimits> = {}): ListenerLimits {
  const out = { ...DEFAULT_LISTENER_LIMITS };
  for (const [k, v] of Object.entries(partial) as Array<[keyof ListenerLimits, number | undefined]>)
    if (v !== undefined) out[k] = v;
  return out;
}
