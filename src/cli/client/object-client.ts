/**
 * `ObjectClient`: the object half of the hub's REST API client (`EdgeClient`, client.ts) — get, list,
 * create, update, apply, patch, delete and watch of any registered kind, and the `/status` and `/scale`
 * subresources. URLs come from `resourcePath` of the registry; every answer is validated with the REST
 * schemas of `src/api` (an object's envelope; the hub validated its kind's fields on write).
 */
import type * as Api from '../../api/index.js';
import type {
  KubeObject,
  ObjectEnvelope,
  ObjectList,
  ResourceKind,
  Scale,
  ScaleUpdate,
  WatchEvent,
} from '../../api/index.js';
import { BadRequestError, resourcePath } from '../../api/lite.js';
import { readEnvelope, readList } from './envelope.js';
import { HttpTransport } from './http.js';
import type { DeleteOptions, EdgeClientOptions, ListOptions, WatchOptions } from './types.js';

/**
 * The REST schemas of src/api, loaded on the first call that needs them: `get` and `list` check their
 * answers without zod, so `edgectl get` does not load the schema of every kind (its start-up time).
 */
export const api = (): Promise<typeof Api> => import('../../api/index.js');

/**
 * An object of the kind the caller names. The answer's envelope was validated; its kind's fields were
 * validated by the hub when it was written, so they are taken as the caller's type.
 */
export const asKind = <T extends KubeObject>(obj: ObjectEnvelope): T => obj as T;

/** `watchStream`, its module (and zod, for the watch frames) loaded on first use. */
async function* lazyWatch<T extends KubeObject>(
  http: HttpTransport,
  type: ResourceKind,
  opts: WatchOptions,
): AsyncGenerator<WatchEvent<T>, void, undefined> {
  const { watchStream } = await import('./streams.js');
  yield* watchStream<T>(http, type, opts);
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

/** Objects of the hub's REST API (see the file comment); {@link EdgeClient} adds the rest. */
export class ObjectClient {
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
  update<T extends KubeObject = KubeObject>(type: ResourceKind, obj: KubeObject, signal?: AbortSignal): Promise<T> {
    return this.#put<T>(type, obj, undefined, signal);
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
  updateStatus<T extends KubeObject = KubeObject>(
    type: ResourceKind,
    obj: KubeObject,
    signal?: AbortSignal,
  ): Promise<T> {
    return this.#put<T>(type, obj, 'status', signal);
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

  /** Closes the connection pool (aborting open streams). */
  close(): Promise<void> {
    return this.http.close();
  }

  /** PUTs `obj` (or its `subresource`) where its metadata says. */
  async #put<T extends KubeObject>(
    type: ResourceKind,
    obj: KubeObject,
    subresource: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const { ns, name } = nsName(type, obj);
    return this.http
      .json((await api()).ObjectEnvelope, 'PUT', resourcePath(type, ns, name, subresource), { body: obj, signal })
      .then(asKind<T>);
  }
}
