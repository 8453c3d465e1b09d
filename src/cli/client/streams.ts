/** Streaming reads: watch (NDJSON events, with resume) and logs (text chunks). */
import { setTimeout as sleep } from 'node:timers/promises';
import { EdgeError, resourcePath, typeByName, type KubeObject, type ResourceType } from '../../api/index.js';
import { HubUnreachableError, errorFromResponse } from './errors.js';
import type { HttpTransport, OpenResponse } from './http.js';
import type { LogOptions, WatchEvent, WatchOptions } from './types.js';

const EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

function isAbort(err: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (err as { name?: unknown } | null)?.name === 'AbortError';
}

/** Splits a byte stream into lines (UTF-8 safe across chunk borders). */
async function* lines(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body) {
    buf += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line !== '') yield line;
    }
  }
  const rest = (buf + decoder.decode()).trim();
  if (rest !== '') yield rest;
}

/** See `EdgeClient.watch`. */
export async function* watchStream<T extends KubeObject>(
  http: HttpTransport,
  type: ResourceType,
  opts: WatchOptions,
): AsyncGenerator<WatchEvent<T>, void, undefined> {
  const maxReconnects = opts.maxReconnects ?? 5;
  let rv = opts.resourceVersion;
  let failures = 0;
  while (!opts.signal?.aborted) {
    let res: OpenResponse;
    try {
      res = await http.open('GET', resourcePath(type, opts.namespace), {
        query: {
          watch: 'true',
          resourceVersion: rv,
          allowWatchBookmarks: 'true',
          labelSelector: opts.labelSelector || undefined,
          fieldSelector: opts.fieldSelector || undefined,
        },
        signal: opts.signal,
        stream: true,
      });
    } catch (err) {
      if (isAbort(err, opts.signal)) return;
      if (err instanceof HubUnreachableError && failures < maxReconnects) {
        failures++;
        await backoff(failures, opts.signal);
        continue;
      }
      throw err;
    }
    try {
      for await (const line of lines(res.body)) {
        let ev: { type?: unknown; object?: unknown };
        try {
          ev = JSON.parse(line) as typeof ev;
        } catch {
          continue; // a torn line from a dying connection; the resume replays from rv
        }
        if (ev.type === 'ERROR') {
          const status = (ev.object ?? {}) as { code?: unknown };
          throw errorFromResponse(typeof status.code === 'number' ? status.code : 500, JSON.stringify(ev.object ?? {}));
        }
        if (typeof ev.type !== 'string' || !EVENT_TYPES.has(ev.type)) continue;
        const obj = ev.object as T;
        rv = obj?.metadata?.resourceVersion ?? rv;
        failures = 0;
        yield { type: ev.type as WatchEvent<T>['type'], object: obj };
      }
    } catch (err) {
      if (isAbort(err, opts.signal)) return;
      if (err instanceof EdgeError || !(err instanceof Error) || failures >= maxReconnects) throw err;
      // A reset mid-stream: reconnect from the last revision seen.
      failures++;
      await backoff(failures, opts.signal);
    } finally {
      res.body.destroy();
    }
  }
}

async function backoff(attempt: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(Math.min(200 * 2 ** (attempt - 1), 5_000), undefined, { signal });
  } catch {
    // aborted: the loop condition ends the watch
  }
}

/** See `EdgeClient.logs`. */
export async function* streamLogs(
  http: HttpTransport,
  namespace: string,
  pod: string,
  opts: LogOptions,
): AsyncGenerator<string, void, undefined> {
  const podType = typeByName('pods');
  if (!podType) throw new Error('the registry has no pods kind');
  const path = resourcePath(podType, namespace, pod, 'log');
  let res: OpenResponse;
  try {
    res = await http.open('GET', path, {
      query: {
        container: opts.container,
        follow: opts.follow ? 'true' : undefined,
        tailLines: opts.tailLines,
        previous: opts.previous ? 'true' : undefined,
        timestamps: opts.timestamps ? 'true' : undefined,
        sinceSeconds: opts.sinceSeconds,
      },
      signal: opts.signal,
      stream: opts.follow === true,
      accept: 'text/plain, */*',
    });
  } catch (err) {
    if (isAbort(err, opts.signal)) return;
    throw err;
  }
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body) {
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
      if (text !== '') yield text;
    }
    const rest = decoder.decode();
    if (rest !== '') yield rest;
  } catch (err) {
    if (isAbort(err, opts.signal)) return;
    throw err;
  } finally {
    res.body.destroy();
  }
}
