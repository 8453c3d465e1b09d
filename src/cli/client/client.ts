/**
 * `EdgeClient`: a typed client of the hub's Kubernetes-shaped REST API, for edgectl, tests and
 * benchmarks. URLs come from `resourcePath` of the registry; every answer is validated with the REST
 * schemas of `src/api` (an object's envelope; the hub validated its kind's fields on write); failures
 * are EdgeErrors.
 */
import type * as Api from '../../api/index.js';
import type {
  BlobRef,
  KubeObject,
  NodeMetricsList,
  ObjectEnvelope,
  ObjectList,
  PodExecResult,
  PodMetricsList,
  ResourceKind,
  Scale,
  ScaleUpdate,
  SelfSubjectAccessReview,
  ServerVersion,
  WatchEvent,
} from '../../api/index.js';
import { BadRequestError, kindByKind, resourcePath } from '../../api/lite.js';
import { readEnvelope, readList } from './envelope.js';
import type { ExecChannelIO, ExecChannelRequest } from './exec-channel.js';
import { HttpTransport } from './http.js';
import type { SpdyClientSession } from './spdy-client.js';
import type { DeleteOptions, EdgeClientOptions, ListOptions, LogOptions, WatchOptions } from './types.js';

/**
 * The REST schemas of src/api, loaded on the first call that needs them: `get` and `list` check their
 * answers without zod, so `edgectl get` does not load the schema of every kind (its start-up time).
 */
const api = (): Promise<typeof Api> => import('../../api/index.js');

/**
 * An object of the kind the caller names. The answer's envelope was validated; its kind's fields were
 * validated by the hub when it was written, so they are taken as the caller's type.
 */
const asKind = <T extends KubeObject>(obj: ObjectEnvelope): T => obj as T;

/** `watchStream`, its module (and zod, for the watch frames) loaded on first use. */
async function* lazyWatch<T extends KubeObject>(
  http: HttpTransport,
  type: ResourceKind,
  opts: WatchOptions,
): AsyncGenerator<WatchEvent<T>, void, undefined> {
  const { watchStream } = await import('./streams.js');
  yield* watchStream<T>(http, type, opts);
}

/** `streamLogs`, its module loaded on first use. */
async function* lazyLogs(
  http: HttpTransport,
  namespace: string,
  pod: string,
  opts: LogOptions,
): AsyncGenerator<string, void, undefined> {
  const { streamLogs } = await import('./streams.js');
  yield* streamLogs(http, namespace, pod, opts);
}

/** The patch types of `PATCH` (kubectl's `--type`). */
export type PatchType = 'strategic' | 'merge' | 'json';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

/** Namespace and name of an object, from its metadata. */
function nsName(type: ResourceKind, obj: KubeObject, namespace?: string): { ns: string | undefined; name: string } {
  const name = obj.metadata?.name;
  if (!name)
    throw new BadRequestError(`${type.kind} has no metadata.name`, [
      { field: 'metadata.name', message: 'Required value' },
    ]);
  return { ns: type.namespaced ? (namespace ?? obj.metadata.namespace) : undefined, name };
}

/** A client of one hub. Call `close()` when done so idle keep-alive sockets do not linger. */
export class EdgeClient {
  readonly http: HttpTransport;

  constructor(opts: EdgeClientOptions) {
    this.http = new HttpTransport(opts);
  }

  /** The hub URL this client talks to. */
  get server(): string {
    return this.http.server;
  }

  /** GET one object; NotFound is an EdgeError with code `NotFound`. */
  get<T extends KubeObject = KubeObject>(
    type: ResourceKind,
    namespace: string | undefined,
    name: string,
    signal?: AbortSignal,
  ): Promise<T> {
    return this.http.read(readEnvelope, 'GET', resourcePath(type, namespace, name), { signal }).then(asKind<T>);
  }

  /** Lists a collection; `namespace` undefined lists all namespaces. */
  async list<T extends KubeObject = KubeObject>(type: ResourceKind, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const list = await this.http.read(readList, 'GET', resourcePath(type, opts.namespace), {
      query: { labelSelector: opts.labelSelector || undefined, fieldSelector: opts.fieldSelector || undefined },
      signal: opts.signal,
    });
    return { ...list, items: list.items.map(asKind<T>) };
  }

  /** POSTs a new object to its collection (namespace from the argument, else from the object). */
  async create<T extends KubeObject = KubeObject>(
    type: ResourceKind,
    obj: KubeObject,
    opts: { namespace?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const ns = type.namespaced ? (opts.namespace ?? obj.metadata?.namespace) : undefined;
    return this.http
      .json((await api()).ObjectEnvelope, 'POST', resourcePath(type, ns), { body: obj, signal: opts.signal })
      .then(asKind<T>);
  }

  /** PUTs an object; a stale `metadata.resourceVersion` gets a Conflict (409) error. */
  async update<T extends KubeObject = KubeObject>(
    type: ResourceKind,
    obj: KubeObject,
    signal?: AbortSignal,
  ): Promise<T> {
    const { ns, name } = nsName(type, obj);
    return this.http
      .json((await api()).ObjectEnvelope, 'PUT', resourcePath(type, ns, name), { body: obj, signal })
      .then(asKind<T>);
  }

  /**
   * Server-side apply: PATCHes `obj` as `application/apply-patch+yaml` for `fieldManager` (`force`
   * takes fields other managers own). Creates the object when absent (`created`). `dryRun`: the hub
   * validates and merges but stores nothing (`?dryRun=All`).
   */
  async apply<T extends KubeObject = KubeObject>(
    type: ResourceKind,
    obj: KubeObject,
    opts: { fieldManager: string; force?: boolean; dryRun?: boolean; signal?: AbortSignal },
  ): Promise<{ object: T; created: boolean }> {
    const { ns, name } = nsName(type, obj);
    const res = await this.http.jsonWithStatus((await api()).ObjectEnvelope, 'PATCH', resourcePath(type, ns, name), {
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: {
        fieldManager: opts.fieldManager,
        force: opts.force === true ? 'true' : undefined,
        dryRun: opts.dryRun === true ? 'All' : undefined,
      },
      signal: opts.signal,
    });
    return { object: asKind<T>(res.body), created: res.statusCode === 201 };
  }

  /**
   * PATCHes an object: `strategic` (strategic merge patch, kubectl's default), `merge` (RFC 7386)
   * or `json` (RFC 6902). `dryRun`: checked and merged, not stored.
   */
  async patch<T extends KubeObject = KubeObject>(
    type: ResourceKind,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    opts: { patchType?: PatchType; dryRun?: boolean; fieldManager?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    return this.http
      .json((await api()).ObjectEnvelope, 'PATCH', resourcePath(type, type.namespaced ? namespace : undefined, name), {
        body: patch,
        contentType: PATCH_CONTENT_TYPES[opts.patchType ?? 'strategic'],
        query: { dryRun: opts.dryRun === true ? 'All' : undefined, fieldManager: opts.fieldManager },
        signal: opts.signal,
      })
      .then(asKind<T>);
  }

  /** PUTs the `/status` subresource. */
  async updateStatus<T extends KubeObject = KubeObject>(
    type: ResourceKind,
    obj: KubeObject,
    signal?: AbortSignal,
  ): Promise<T> {
    const { ns, name } = nsName(type, obj);
    return this.http
      .json((await api()).ObjectEnvelope, 'PUT', resourcePath(type, ns, name, 'status'), { body: obj, signal })
      .then(asKind<T>);
  }

  /**
   * DELETEs an object. Returns what the hub answers: the object (still present with a
   * deletionTimestamp during graceful deletion, or as it was) or a `Status` of kind Success.
   */
  async delete<T extends KubeObject = KubeObject>(
    type: ResourceKind,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<T> {
    return this.http
      .json((await api()).ObjectEnvelope, 'DELETE', resourcePath(type, namespace, name), {
        query: { propagationPolicy: opts.propagationPolicy, gracePeriodSeconds: opts.gracePeriodSeconds },
        signal: opts.signal,
      })
      .then(asKind<T>);
  }

  /**
   * Watches a collection as an async iterator of events. On a clean end of the stream or a transport
   * error the watch reconnects from the last resourceVersion seen; 410 Gone (and other Status
   * errors) are thrown, so the caller relists. Breaking out of the loop or aborting `signal` ends it.
   */
  watch<T extends KubeObject = KubeObject>(
    type: ResourceKind,
    opts: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>, void, undefined> {
    return lazyWatch<T>(this.http, type, opts);
  }

  /** GET of the `/scale` subresource. */
  async getScale(type: ResourceKind, namespace: string, name: string, signal?: AbortSignal): Promise<Scale> {
    return this.http.json((await api()).Scale, 'GET', resourcePath(type, namespace, name, 'scale'), { signal });
  }

  /** PUT of the `/scale` subresource; pass `resourceVersion` to make it conditional. */
  async setScale(
    type: ResourceKind,
    namespace: string,
    name: string,
    replicas: number,
    opts: { resourceVersion?: string; signal?: AbortSignal } = {},
  ): Promise<Scale> {
    const body: ScaleUpdate = {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name, namespace, ...(opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {}) },
      spec: { replicas },
    };
    return this.http.json((await api()).Scale, 'PUT', resourcePath(type, namespace, name, 'scale'), {
      body,
      signal: opts.signal,
    });
  }

  /** Streams a pod's logs as text chunks (ends when the hub closes; with `follow`, when aborted). */
  logs(namespace: string, pod: string, opts: LogOptions = {}): AsyncGenerator<string, void, undefined> {
    return lazyLogs(this.http, namespace, pod, opts);
  }

  /**
   * Runs `command` in a container of pod `namespace/pod` on its node (non-interactive) and returns
   * its exit code and output. The hub waits at most `timeoutSeconds` for the command.
   */
  async exec(
    namespace: string,
    pod: string,
    opts: { command: readonly string[]; container?: string; timeoutSeconds?: number; signal?: AbortSignal },
  ): Promise<PodExecResult> {
    const qs = new URLSearchParams();
    for (const c of opts.command) qs.append('command', c);
    if (opts.container !== undefined) qs.set('container', opts.container);
    if (opts.timeoutSeconds !== undefined) qs.set('timeoutSeconds', String(opts.timeoutSeconds));
    const type = kindByKind('v1', 'Pod');
    if (!type) throw new BadRequestError('Pod kind is not registered');
    // `stream`: the answer may take as long as the command; the hub bounds it with timeoutSeconds.
    return this.http.json(
      (await api()).PodExecResult,
      'POST',
      `${resourcePath(type, namespace, pod, 'exec')}?${qs.toString()}`,
      {
        signal: opts.signal,
        stream: true,
      },
    );
  }

  /**
   * Runs a command in pod `namespace/pod` over the streaming exec (kubectl's channel WebSocket): stdin
   * (`-i`), a terminal (`-t`) with its sizes, output as it comes. Resolves with the exit code.
   */
  async execStream(namespace: string, pod: string, req: ExecChannelRequest, io: ExecChannelIO): Promise<number> {
    const type = kindByKind('v1', 'Pod');
    if (!type) throw new BadRequestError('Pod kind is not registered');
    const { execChannel } = await import('./exec-channel.js');
    return execChannel(this.http, resourcePath(type, namespace, pod, 'exec'), req, io);
  }

  /**
   * Opens kubectl's port-forward connection to pod `namespace/pod`: a POST upgraded to SPDY/3.1
   * (`portforward.k8s.io`), on which each local connection opens its pair of streams.
   */
  async portForward(namespace: string, pod: string): Promise<SpdyClientSession> {
    const type = kindByKind('v1', 'Pod');
    if (!type) throw new BadRequestError('Pod kind is not registered');
    const { socket, head } = await this.http.upgrade('POST', resourcePath(type, namespace, pod, 'portforward'), {
      upgrade: 'SPDY/3.1',
      'x-stream-protocol-version': 'portforward.k8s.io',
    });
    const { SpdyClientSession } = await import('./spdy-client.js');
    return new SpdyClientSession(socket, head);
  }

  /**
   * Uploads bytes (or the file at `source`) to the hub's content store and returns its digest,
   * checked against the digest computed locally.
   */
  async uploadBlob(source: Uint8Array | string, signal?: AbortSignal): Promise<BlobRef> {
    // fs/promises and crypto load here, not at start-up: only an upload reads a file and hashes.
    const bytes = typeof source === 'string' ? await (await import('node:fs/promises')).readFile(source) : source;
    const { createHash } = await import('node:crypto');
    const local = `sha256:${createHash('sha256').update(bytes).digest('hex')}` as const;
    const ref = await this.http.json((await api()).BlobRef, 'POST', (await api()).BLOB_PATH, { body: bytes, signal });
    if (ref.digest !== local) {
      throw new BadRequestError(`the hub stored the blob as ${ref.digest} but its sha256 is ${local}`);
    }
    return { digest: local, size: ref.size };
  }

  /** Asks the hub whether the caller may do what `spec` says (`kubectl auth can-i`); the answer is in `status`. */
  async accessReview(spec: SelfSubjectAccessReview['spec'], signal?: AbortSignal): Promise<SelfSubjectAccessReview> {
    const body: SelfSubjectAccessReview = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec,
    };
    return this.http.json(
      (await api()).SelfSubjectAccessReview,
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        body,
        signal,
      },
    );
  }

  /** `metrics.k8s.io` NodeMetrics: one node's (`name`), or every node's matching `labelSelector`. */
  async nodeMetrics(
    opts: { name?: string; labelSelector?: string; signal?: AbortSignal } = {},
  ): Promise<NodeMetricsList> {
    const { METRICS_API_VERSION } = await api();
    const base = `/apis/${METRICS_API_VERSION}/nodes`;
    if (opts.name !== undefined)
      return this.http
        .json((await api()).NodeMetrics, 'GET', `${base}/${encodeURIComponent(opts.name)}`, { signal: opts.signal })
        .then((item) => ({ apiVersion: METRICS_API_VERSION, kind: 'NodeMetricsList', metadata: {}, items: [item] }));
    const query = { labelSelector: opts.labelSelector || undefined };
    return this.http.json((await api()).NodeMetricsList, 'GET', base, { query, signal: opts.signal });
  }

  /** `metrics.k8s.io` PodMetrics of a namespace (all when undefined), one pod's, or those matching a selector. */
  async podMetrics(opts: ListOptions & { name?: string } = {}): Promise<PodMetricsList> {
    const { METRICS_API_VERSION } = await api();
    const ns = opts.namespace;
    const base = `/apis/${METRICS_API_VERSION}${ns === undefined ? '' : `/namespaces/${encodeURIComponent(ns)}`}/pods`;
    if (opts.name !== undefined)
      return this.http
        .json((await api()).PodMetrics, 'GET', `${base}/${encodeURIComponent(opts.name)}`, { signal: opts.signal })
        .then((item) => ({ apiVersion: METRICS_API_VERSION, kind: 'PodMetricsList', metadata: {}, items: [item] }));
    const query = { labelSelector: opts.labelSelector || undefined, fieldSelector: opts.fieldSelector || undefined };
    return this.http.json((await api()).PodMetricsList, 'GET', base, { query, signal: opts.signal });
  }

  /** The hub's `/version`. */
  async version(signal?: AbortSignal): Promise<ServerVersion> {
    return this.http.json((await api()).ServerVersion, 'GET', '/version', { signal });
  }

  /** Closes the connection pool (aborting open streams). */
  close(): Promise<void> {
    return this.http.close();
  }
}
