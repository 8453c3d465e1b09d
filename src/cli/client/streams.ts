/** Streaming reads: watch (NDJSON events, with resume) and logs (text chunks). */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  EdgeError,
  WatchEventType,
  issuesToCauses,
  WatchFrame,
  resourcePath,
  typeByName,
  type KubeObject,
  type ResourceKind,
  type WatchEvent,
} from '../../api/index.js';
import { HubUnreachableError, InvalidAnswerError, errorFromResponse } from './errors.js';
import type { HttpTransport, OpenResponse } from './http.js';
import type { LogOptions, WatchOptions } from './types.js';

/** Just enough of a watch line to dispatch on: its type, and an ERROR's HTTP code. */
const FrameHead = z.object({ type: z.string(), object: z.unknown() });
const ErrorCode = z.object({ code: z.number().int() });

/**
 * Reads one watch line: an event to yield, or undefined for a line to skip (a torn line from a dying
 * connection, an event type a newer hub added). An ERROR event is thrown as the EdgeError of its Status;
 * a known event that does not have the REST shape is an InvalidAnswerError.
 */
function readFrame<T extends KubeObject>(line: string, what: string): WatchEvent<T> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined; // a torn line from a dying connection; the resume replays from rv
  }
  const head = FrameHead.safeParse(raw);
  if (!head.success) return undefined;
  if (head.data.type === 'ERROR') {
    const code = ErrorCode.safeParse(head.data.object);
    throw errorFromResponse(code.success ? code.data.code : 500, JSON.stringify(head.data.object ?? {}));
  }
  if (!WatchEventType.safeParse(head.data.type).success) return undefined;
  const frame = WatchFrame.safeParse(raw);
  if (!frame.success) throw new InvalidAnswerError(what, issuesToCauses(frame.error.issues));
  const { type, object } = frame.data;
  if (type === 'ERROR') return undefined; // handled above; narrows the union
  // The envelope is checked; the kind's fields were validated by the hub on write.
  return { type, object: object as T };
}

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
  type: ResourceKind,
  opts: WatchOptions,
): AsyncGenerator<WatchEvent<T>, void, undefined> {
  const maxReconnects = opts.maxReconnects ?? 5;
  let rv = opts.resourceVersion;
  let failures = 0;
  const path = resourcePath(type, opts.namespace);
  while (!opts.signal?.aborted) {
    let res: OpenResponse;
    try {
      res = await http.open('GET', path, {
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
        const ev = readFrame<T>(line, `the watch of ${path}`);
        if (!ev) continue;
        rv = ev.object.metadata.resourceVersion ?? rv;
        failures = 0;
        yield ev;
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
        sinceTime: opts.sinceTime,
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
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
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
