/** `GET …/pods/{name}/log`: text/plain, streamed from the pod's node through a `PodLogSource`. */
import { BadRequestError, typeByKind, type Pod } from '../../api/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { windowed, type LogWindow } from './streams/log-window.js';
import type { PodLogOptions, PodLogSource } from './types.js';

const POD = typeByKind('v1', 'Pod');

function flag(v: string | undefined): boolean | undefined {
  return v === undefined ? undefined : v === 'true' || v === '1' || v === '';
}

/** Parses the query of a log request. */
export function logOptions(query: Record<string, string | undefined>): PodLogOptions {
  const opts: PodLogOptions = {};
  if (query.container) opts.container = query.container;
  if (query.tailLines !== undefined) {
    const n = Number(query.tailLines);
    if (!Number.isInteger(n) || n < 0)
      throw new BadRequestError(`tailLines must be a non-negative integer, got "${query.tailLines}"`);
    opts.tailLines = n;
  }
  for (const k of ['follow', 'previous', 'timestamps'] as const) {
    const v = flag(query[k]);
    if (v !== undefined) opts[k] = v;
  }
  return opts;
}

/**
 * `--previous` of a container that has not terminated: 400 BadRequest with the kubelet's message, read
 * from the pod's status as the kubelet reads it (`lastState.terminated`), rather than a node round trip
 * ending in 503. A pod of several containers without `container` is left to the node's own answer.
 */
function refuseWithoutPrevious(pod: Pod, name: string, container: string | undefined): void {
  const only = pod.spec.containers.length === 1 ? pod.spec.containers[0]?.name : undefined;
  const c = container ?? only;
  if (c === undefined) return;
  const status = pod.status?.containerStatuses?.find((s) => s.name === c);
  if (status?.lastState?.terminated === undefined)
    throw new BadRequestError(`previous terminated container "${c}" in pod "${name}" not found`);
}

/**
 * Streams the log of pod `namespace/name`. Errors before the first chunk become a Status. A `window`
 * (since, limitBytes: ./streams/log-window.ts) is applied here, on what the node sends.
 */
export async function logResponse(
  api: ObjectAPI,
  logs: PodLogSource,
  namespace: string,
  name: string,
  opts: PodLogOptions,
  signal: AbortSignal,
  window?: LogWindow,
): Promise<Response> {
  if (!POD) throw new Error('Pod kind is not registered');
  const pod = await api.get<Pod>(POD, namespace, name);
  if (opts.container !== undefined && !pod.spec.containers.some((c) => c.name === opts.container)) {
    throw new BadRequestError(`container ${opts.container} is not valid for pod ${name}`);
  }
  if (opts.previous) refuseWithoutPrevious(pod, name, opts.container);
  const abort = new AbortController();
  const onAbort = (): void => abort.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  // The node is asked for timestamps when the hub must place lines in time (the window strips them again).
  const nodeOpts = window?.sinceMs !== undefined ? { ...opts, timestamps: true } : opts;
  const source = logs.stream(namespace, name, nodeOpts, abort.signal);
  const it = (window ? windowed(source, window) : source)[Symbol.asyncIterator]();
  const cleanup = (): void => {
    signal.removeEventListener('abort', onAbort);
    abort.abort();
    void it.return?.();
  };
  let first: IteratorResult<string>;
  try {
    first = await it.next();
  } catch (err) {
    cleanup();
    throw err;
  }
  const encoder = new TextEncoder();
  let pending: IteratorResult<string> | undefined = first;
  const body = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      try {
        const r = pending ?? (await it.next());
        pending = undefined;
        if (r.done) {
          cleanup();
          controller.close();
        } else controller.enqueue(encoder.encode(r.value));
      } catch (err) {
        cleanup();
        controller.error(err);
      }
    },
    cancel: cleanup,
  });
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    },
  });
}
