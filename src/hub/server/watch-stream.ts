/**
 * Watch responses: newline-delimited JSON `{"type", "object"}` events. A too-old resourceVersion
 * fails before the stream starts (HTTP 410 Status). Idle watches get a BOOKMARK every interval so
 * proxies keep them open; the watch stops when the client goes away or `timeoutSeconds` passes.
 */
import {
  GoneError,
  apiVersionOf,
  toStatus,
  type KubeObject,
  type Logger,
  type ResourceType,
  type Status,
  type WatchFrame,
} from '../../api/index.js';
import type { ListOptions, ObjectAPI, WatchEvent } from '../registry/index.js';
import { WatchEncoder } from './watch-encoder.js';

/**
 * Bytes of events a slow client may fall behind by before its watch is ended with an ERROR (410) event,
 * as the kube-apiserver ends a watcher whose buffer fills; the client relists and watches again. This
 * bounds the hub memory one watch can hold whatever the object sizes (a count of events would not).
 */
export const DEFAULT_MAX_QUEUED_WATCH_BYTES = 16 * 1024 * 1024;
/** Bytes queued before backpressure is signalled (the socket writer takes them as the client reads). */
const HIGH_WATER_BYTES = 256 * 1024;

/** The Status of a watch whose history is gone, worded as the kube-apiserver's `NewResourceExpired`. */
function expiredStatus(): Status {
  return {
    ...toStatus(new GoneError('The resourceVersion for the provided watch is too old.')),
    reason: 'Expired',
  };
}

/** Options of one watch request. */
export interface WatchRequest extends ListOptions {
  resourceVersion?: string;
  timeoutSeconds?: number;
  /** `allowWatchBookmarks=true`: BOOKMARKs carry the revision the watch progressed to. */
  allowWatchBookmarks?: boolean;
}

/** Starts a watch and returns the streaming response. */
export async function watchResponse(
  api: ObjectAPI,
  type: ResourceType,
  req: WatchRequest,
  signal: AbortSignal,
  opts: { bookmarkIntervalMs: number; logger: Logger; encoder?: WatchEncoder; maxQueuedBytes?: number },
): Promise<Response> {
  const encoder = opts.encoder ?? new WatchEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let stop: (() => void) | undefined;
  let closed = false;
  let allowedBacklog = opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_WATCH_BYTES;
  const timers: NodeJS.Timeout[] = [];
  const close = (): void => {
    if (closed) return;
    closed = true;
    stop?.();
    for (const t of timers) clearTimeout(t);
    signal.removeEventListener('abort', close);
    try {
      controller.close();
    } catch {
      // already closed or cancelled by the client
    }
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      cancel: close,
    },
    new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER_BYTES }),
  );
  let listing = false;
  let lastWrite = performance.now();
  const write = (e: WatchFrame): void => {
    if (closed) return;
    lastWrite = performance.now();
    const bytes = encoder.encode(e);
    // The initial list is sent whole (as a list request would be); the cap bounds what follows it.
    if (listing) allowedBacklog += bytes.byteLength;
    controller.enqueue(bytes);
    if ((controller.desiredSize ?? 0) < -allowedBacklog) {
      opts.logger.warn(
        { kind: type.kind, queuedBytes: HIGH_WATER_BYTES - (controller.desiredSize ?? 0) },
        'watch client too slow; ending its watch',
      );
      const gone: WatchFrame = {
        type: 'ERROR',
        object: toStatus(new GoneError('watch client fell too far behind; relist')),
      };
      controller.enqueue(encoder.encode(gone));
      close();
    }
  };

  let lastRV = req.resourceVersion ?? '0';
  const send = (e: WatchEvent<KubeObject>): void => {
    lastRV = e.object.metadata.resourceVersion ?? lastRV;
    write(e);
  };
  const filter: ListOptions = {
    namespace: req.namespace,
    labelSelector: req.labelSelector,
    fieldSelector: req.fieldSelector,
  };
  // Without a resourceVersion the client gets the current state first; listing here (rather than
  // letting the registry do it) tells us the list revision for the bookmarks that follow.
  if (lastRV === '0' || lastRV === '') {
    const list = await api.list(type, filter);
    listing = true;
    for (const object of list.items) write({ type: 'ADDED', object });
    listing = false;
    lastRV = list.resourceVersion;
  }
  try {
    stop = await api.watch(
      type,
      {
        ...filter,
        resourceVersion: lastRV,
        ...(req.allowWatchBookmarks ? { bookmarkIntervalMs: opts.bookmarkIntervalMs } : {}),
      },
      send,
      (err) => {
        // The store's watch broke for good (etcd compacted past where it had to resume): end this one as
        // the kube-apiserver ends a watch whose history is gone, with a 410 ERROR event, so kubectl's
        // reflector and edgectl relist instead of waiting on a stream that will never speak again.
        opts.logger.warn({ kind: type.kind, err: err.message }, 'store watch broke; ending the watch with 410');
        write({ type: 'ERROR', object: expiredStatus() });
        close();
      },
    );
  } catch (err) {
    close();
    throw err;
  }
  if (signal.aborted) close();
  signal.addEventListener('abort', close);
  // Keep-alive for idle watches (proxies cut silent connections): a BOOKMARK at the last revision
  // sent, only when nothing at all was written for a whole interval.
  const bookmark = (): void => {
    if (closed) return;
    const idle = performance.now() - lastWrite;
    if (idle < opts.bookmarkIntervalMs) {
      timers[0] = setTimeout(bookmark, opts.bookmarkIntervalMs - idle).unref();
      return;
    }
    write({
      type: 'BOOKMARK',
      object: { apiVersion: apiVersionOf(type), kind: type.kind, metadata: { resourceVersion: lastRV } },
    });
    timers[0] = setTimeout(bookmark, opts.bookmarkIntervalMs).unref();
  };
  timers[0] = setTimeout(bookmark, opts.bookmarkIntervalMs).unref();
  if (req.timeoutSeconds !== undefined && req.timeoutSeconds > 0)
    timers[1] = setTimeout(close, req.timeoutSeconds * 1000).unref();

  return new Response(stream, {
    status: 200,
    headers: {
      'content-type': 'application/json;stream=watch',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    },
  });
}
