/**
 * Per-user bounds on long-lived streams: concurrent watches, concurrent followed logs (`logs -f`)
 * and concurrent pod streams (`exec`, `attach`, `port-forward`; the nodes also cap the streams they
 * serve, but one user could take all of a node's). Each one holds a store watcher or a node log stream, timers and buffers for as long as the client
 * keeps it open, so one user (or one leaked credential) opening thousands would starve the hub. Past
 * the limit the request gets a 429 TooManyRequests Status naming the limit; a slot is freed when its
 * stream ends, fails or its client goes away.
 */
import type { MiddlewareHandler } from 'hono';
import { EdgeError, StatusReason } from '../../api/index.js';
import type { Principal } from '../auth/index.js';
import { streamSlot } from './streams/stream-env.js';

/** Default concurrent watches per user (`--max-watches-per-user`). */
export const DEFAULT_WATCHES_PER_USER = 100;
/** Default concurrent followed logs per user (`--max-log-follows-per-user`). */
export const DEFAULT_LOG_FOLLOWS_PER_USER = 20;
/**
 * Default concurrent exec/attach/port-forward streams per user (`--max-pod-streams-per-user`): half a
 * node's cap (64), so one user cannot take a whole node's, and enough for a few terminals and tunnels.
 */
export const DEFAULT_POD_STREAMS_PER_USER = 32;

/** The limits, per user identity. */
export interface StreamLimitOptions {
  watchesPerUser: number;
  logFollowsPerUser: number;
  podStreamsPerUser: number;
}

/** The kinds of stream that are counted. */
export type StreamKind = 'watch' | 'logFollow' | 'podStream';

/** Too many concurrent streams of one kind for one user (HTTP 429). */
export class TooManyRequestsError extends EdgeError {
  constructor(message: string) {
    super(StatusReason.TooManyRequests, 429, message, { retryable: true });
  }
}

const FLAG: Record<StreamKind, string> = {
  watch: '--max-watches-per-user',
  logFollow: '--max-log-follows-per-user',
  podStream: '--max-pod-streams-per-user',
};
const NOUN: Record<StreamKind, string> = {
  watch: 'watches',
  logFollow: 'followed logs (logs -f)',
  podStream: 'exec, attach and port-forward streams',
};

/** Counts open streams per user and kind. */
export class StreamLimiter {
  readonly #limits: Record<StreamKind, number>;
  readonly #open = new Map<string, number>();

  constructor(opts: Partial<StreamLimitOptions> = {}) {
    this.#limits = {
      watch: opts.watchesPerUser ?? DEFAULT_WATCHES_PER_USER,
      logFollow: opts.logFollowsPerUser ?? DEFAULT_LOG_FOLLOWS_PER_USER,
      podStream: opts.podStreamsPerUser ?? DEFAULT_POD_STREAMS_PER_USER,
    };
  }

  /** Open streams of `kind` held by `user`. */
  count(kind: StreamKind, user: string): number {
    return this.#open.get(`${kind}|${user}`) ?? 0;
  }

  /** Takes a slot or throws TooManyRequestsError; the returned function frees it (idempotent). */
  acquire(kind: StreamKind, user: string): () => void {
    const key = `${kind}|${user}`;
    const n = this.#open.get(key) ?? 0;
    const limit = this.#limits[kind];
    if (n >= limit) {
      throw new TooManyRequestsError(
        `too many concurrent ${NOUN[kind]} for user "${user}": the limit is ${limit} (${FLAG[kind]}); close one and retry`,
      );
    }
    this.#open.set(key, n + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left > 0) this.#open.set(key, left);
      else this.#open.delete(key);
    };
  }
}

const POD_STREAM_PATH = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/(exec|attach|portforward)$/;
const isTrue = (v: string | undefined): boolean => v === 'true' || v === '1';
const isFlag = (v: string | undefined): boolean => v === 'true' || v === '1' || v === '';

/** Which counted stream a request opens, if any (the same query rules as the watch and log routes). */
export function streamKindOf(
  method: string,
  path: string,
  query: (name: string) => string | undefined,
): StreamKind | undefined {
  // kubectl's streams are upgraded GETs; edgectl's one-shot exec is a POST that lasts as long as its command.
  if ((method === 'GET' || method === 'POST') && POD_STREAM_PATH.test(path)) return 'podStream';
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  if (isTrue(query('watch')) && (path.startsWith('/api/') || path.startsWith('/apis/'))) return 'watch';
  if (path.endsWith('/log') && isFlag(query('follow'))) return 'logFollow';
  return undefined;
}

/** The identity limits are counted against. */
export function userOf(principal: Principal): string {
  return 'name' in principal && typeof principal.name === 'string' ? principal.name : `system:${principal.kind}`;
}

/** Wraps a streaming body so `release` runs once it ends, fails or is cancelled. */
export function releasingBody(body: ReadableStream<Uint8Array>, release: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        try {
          const r = await reader.read();
          if (r.done) {
            release();
            controller.close();
          } else controller.enqueue(r.value);
        } catch (err) {
          release();
          controller.error(err);
        }
      },
      cancel: async (reason) => {
        release();
        await reader.cancel(reason);
      },
    },
    // No buffering of our own: backpressure reaches the inner stream (the watch's own cap applies).
    { highWaterMark: 0 },
  );
}

/**
 * Middleware (after authentication): counts watches and followed logs per user; 429 past the limit.
 * The slot is held until the response body ends or is cancelled, or the client disconnects.
 */
// Typed by the one variable it reads, not by the server's ApiEnv: types.ts names StreamLimiter, so
// importing ApiEnv here would tie the two files in a cycle.
export function limitStreams(limiter: StreamLimiter): MiddlewareHandler<{ Variables: { principal: Principal } }> {
  return async (c, next) => {
    const kind = streamKindOf(c.req.method, c.req.path, (n) => c.req.query(n));
    if (kind === undefined) return next();
    const release = limiter.acquire(kind, userOf(c.var.principal));
    const signal = c.req.raw.signal;
    signal.addEventListener('abort', release, { once: true });
    const done = (): void => {
      signal.removeEventListener('abort', release);
      release();
    };
    try {
      await next();
    } catch (err) {
      done();
      throw err;
    }
    const res = c.res;
    // A streaming upgrade the route accepted: the slot is held until the upgraded connection closes
    // (stream-upgrades.ts), not with this response.
    const slot = streamSlot(c);
    if (slot?.plan !== undefined && res.status < 300) {
      signal.removeEventListener('abort', release);
      slot.release = release;
      return;
    }
    if (res.status !== 200 || res.body === null || signal.aborted) {
      done();
      return;
    }
    if (c.req.method === 'HEAD') {
      // A HEAD answer has no body, so nothing would ever read or cancel this stream: end it (and the
      // store watcher behind it) now rather than when the keep-alive connection closes.
      await res.body.cancel();
      done();
      c.res = new Response(null, res);
      return;
    }
    c.res = new Response(releasingBody(res.body, done), res);
  };
}
