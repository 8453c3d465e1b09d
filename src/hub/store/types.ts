/**
 * The hub's storage contract: exactly what etcd offers (one cluster-wide revision counter, compare-
 * and-swap on modRevision, watch from a revision), so SQLite is the embedded default and etcd a second
 * implementation, not a redesign. Keys look like `/registry/<plural>/<namespace>/<name>` (namespaced)
 * or `/registry/<plural>/<name>` (cluster-scoped). Values are JSON-serialisable objects.
 */

/** A stored value with its revisions. */
export interface StoredValue {
  key: string;
  value: unknown;
  /** Revision of the write that created the key. */
  createRevision: number;
  /** Revision of the last write to the key (the object's resourceVersion). */
  modRevision: number;
}

/** One change, as streamed by `watch`. */
export interface StoreEvent {
  type: 'put' | 'delete';
  key: string;
  /** Value after the change (for `delete`: the last value). */
  value: unknown;
  /** Value before the change, when there was one. */
  prevValue?: unknown;
  /** Revision of this change. */
  revision: number;
  /** True when a `put` created the key. */
  created: boolean;
}

/** Result of a list: the values and the store revision they were read at. */
export interface ListResult {
  items: StoredValue[];
  revision: number;
  /** With a range `limit`: how many keys under the prefix follow the last one returned (unless `count: false`). */
  remaining?: number;
  /** With a range `limit`: whether any key under the prefix follows the last one returned. */
  more?: boolean;
}

/** A ranged read: keys after `after` (exclusive), at most `limit` of them (a page, not a scan). */
export interface ListRange {
  after?: string;
  limit?: number;
  /**
   * With a `limit`: false leaves `remaining` out, answering only `more`. Counting what follows a page
   * reads the rest of the range's keys, for every page of a paged read of a big collection.
   */
  count?: boolean;
}

/** Storage backend. All writes bump the single revision counter by one. */
export interface Store {
  /** Current revision. */
  revision(): Promise<number>;
  get(key: string): Promise<StoredValue | undefined>;
  /** Keys under `prefix` in key order: all of them, or the `range` asked for. */
  list(prefix: string, range?: ListRange): Promise<ListResult>;
  /**
   * Creates `key`; throws AlreadyExistsError if present. Returns the new modRevision. The value is
   * serialized during the call and not held: the caller owns it again at once (the registry stamps
   * the resourceVersion into the object it answers with).
   */
  create(key: string, value: unknown): Promise<number>;
  /**
   * Replaces `key`'s value if its modRevision equals `expectedRevision` (ConflictError otherwise,
   * NotFoundError if missing). Returns the new modRevision. The value is serialized during the call
   * and not held, as `create`'s.
   */
  update(key: string, value: unknown, expectedRevision: number): Promise<number>;
  /** Deletes `key` (if `expectedRevision` given, only at that revision). Returns the deletion revision. */
  delete(key: string, expectedRevision?: number): Promise<number>;
  /**
   * Streams every change under `prefix` with revision > `fromRevision`, in order, then live ones.
   * Throws GoneError if `fromRevision` is older than the retained history.
   * Returns a function that stops the watch.
   *
   * A watch that breaks for good after it started (etcd compacted past the point it must resume
   * from: GoneError) calls `onError` once and delivers nothing more; the caller relists, as a
   * Kubernetes client does on 410. A store whose watches cannot break (SQLite, in-process) never calls it.
   */
  watch(
    prefix: string,
    fromRevision: number,
    onEvent: (e: StoreEvent) => void,
    onError?: (err: Error) => void,
  ): Promise<() => void>;
  /** Oldest revision still watchable (history before it was compacted). */
  compactedRevision(): Promise<number>;
  close(): Promise<void>;
}
