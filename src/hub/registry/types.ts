/**
 * The object API with Kubernetes semantics (defaulting, validation, uid/generation/resourceVersion,
 * status subresource, graceful deletion, watch) on top of a `Store`. The HTTP server and every
 * controller go through it, so an object written by a controller obeys the same rules as one
 * written by `edgectl`.
 */
import type { KubeObject, ManagedFieldsEntry, ResourceType } from '../../api/index.js';

/** Filters for list and watch. Strings use the `labelSelector=`/`fieldSelector=` URL syntax. */
export interface ListOptions {
  /** Restrict to one namespace (ignored for cluster-scoped kinds); all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** List only: at most this many items; the answer's `continue` fetches the rest. */
  limit?: number;
  /** List only: the `continue` token of the previous page. */
  continue?: string;
  /**
   * List only, for the hub's own paged reads: false lets a page read from the store leave out
   * `remainingItemCount`, which costs counting the rest of the collection for every page (the Event
   * expiry sweep pages through every Event each minute). The HTTP API never sets it.
   */
  countRemaining?: boolean;
  /**
   * List: unset = the most recent state (a consistent read), `0` = any state, `N` = not older than N
   * (or exactly N with `resourceVersionMatch=Exact`). Watch: stream changes after this revision;
   * absent or "0" = current state as ADDED events, then changes.
   */
  resourceVersion?: string;
  /** List only: `Exact` or `NotOlderThan` (Kubernetes' resourceVersionMatch); needs resourceVersion. */
  resourceVersionMatch?: string;
}

/** A list result; `resourceVersion` is the store revision to watch from. */
export interface ObjectList<T extends KubeObject = KubeObject> {
  items: T[];
  resourceVersion: string;
  /** Token for the next page (a list with `limit` that stopped early). */
  continue?: string;
  /** Matching items after this page. */
  remainingItemCount?: number;
}

/** A watch event as the API streams it. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: T;
}

export interface WatchOptions extends ListOptions {
  /**
   * Send BOOKMARK events about this often, carrying the revision the watch has progressed to (events
   * filtered out included), so a resumed watch replays nothing it already passed.
   */
  bookmarkIntervalMs?: number;
}

export interface DeleteOptions {
  /** 0 deletes at once; absent uses the object's default (a bound pod's terminationGracePeriodSeconds). */
  gracePeriodSeconds?: number;
  /** `Background` (default: dependents garbage-collected), `Orphan` (dependents keep running, owner refs removed), `Foreground`. */
  propagationPolicy?: 'Background' | 'Orphan' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** Options of a create or update. */
export interface WriteOptions {
  /** `dryRun=All`: everything but the store write; the answer is what would have been stored. */
  dryRun?: boolean;
  /** Records the write in `metadata.managedFields` as an Update by this manager. */
  fieldManager?: string;
  /** Server-side apply: the managedFields it computed, stored as given (no Update is recorded). */
  applied?: { managedFields: ManagedFieldsEntry[] | undefined };
}

/** Who is calling (for audit/authorisation later); controllers pass their own name. */
export interface Caller {
  user: string;
}

export interface ObjectAPI {
  /** Validates, defaults and creates. Namespaced kinds need an existing namespace. */
  create<T extends KubeObject>(type: ResourceType, obj: unknown, opts?: WriteOptions): Promise<T>;
  /** Throws NotFoundError. `namespace` is ignored for cluster-scoped kinds. */
  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T>;
  list<T extends KubeObject>(type: ResourceType, opts?: ListOptions): Promise<ObjectList<T>>;
  /**
   * Replaces spec/metadata (status is kept for kinds with a status subresource). If
   * `metadata.resourceVersion` is set it must match (ConflictError). A spec change bumps
   * `generation`. An update that changes nothing does not write and returns the stored object.
   */
  update<T extends KubeObject>(type: ResourceType, obj: unknown, opts?: WriteOptions): Promise<T>;
  /** Replaces only `status` (with the same resourceVersion rule). */
  updateStatus<T extends KubeObject>(type: ResourceType, obj: unknown, opts?: WriteOptions): Promise<T>;
  /**
   * Deletes. A pod bound to a node is deleted gracefully: `deletionTimestamp` is set and the object
   * stays until its node confirms (then deleted with gracePeriodSeconds 0). Returns the object as
   * it was left (with deletionTimestamp) or as it was before removal.
   */
  delete<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts?: DeleteOptions,
  ): Promise<T>;
  /**
   * Streams changes; throws GoneError when `resourceVersion` is too old. Returns a stop function.
   * A watch that breaks for good after it started (the store's watch could not resume past an etcd
   * compaction) calls `onError` once with a GoneError and delivers nothing more: the caller relists,
   * as a Kubernetes client does on a 410 ERROR event. Without `onError` such a watch just goes quiet.
   */
  watch<T extends KubeObject>(
    type: ResourceType,
    opts: WatchOptions,
    onEvent: (e: WatchEvent<T>) => void,
    onError?: (err: Error) => void,
  ): Promise<() => void>;
}
