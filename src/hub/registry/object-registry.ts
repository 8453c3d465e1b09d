/**
 * `ObjectAPI` over a `Store`, with Kubernetes semantics: validation and defaulting, uid /
 * generation / resourceVersion, the status subresource, graceful deletion and filtered watches.
 * Generic over kinds: every per-kind rule (defaults, validation, admission, allocation, delete hooks)
 * is the kind's strategy's (`strategies/`). The read-modify-write loop of updates is replace.ts's;
 * a write's managedFields, write-managers.ts's.
 */
import { randomUUID } from 'node:crypto';
import {
  AlreadyExistsError,
  ConflictError,
  InvalidError,
  MethodNotAllowedError,
  NotFoundError,
  rfc3339,
  validateObject,
  validateStatusInput,
  type Clock,
  type KubeObject,
  type Logger,
  type ObjectMeta,
  type ResourceType,
} from '../../api/index.js';
import type { Store } from '../store/index.js';
import { deleteObject, type DeletionDeps } from './deletion.js';
import { objectKey } from './keys.js';
import { omit } from './omit.js';
import { createStrategies, ensureNamespace, type KindStrategy, type StrategyFor } from './strategies/index.js';
import { resourceName, storeError } from './store-errors.js';
import type {
  DeleteOptions,
  ListOptions,
  ObjectAPI,
  ObjectList,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './types.js';
import { mergeUpdate, withGeneration } from './update.js';
import { UPDATE_RETRIES, replaceObject, type ReplaceDeps } from './replace.js';
import { withManagers } from './write-managers.js';
import { listObjects, watchObjects } from './list-watch.js';
import { SharedWatches } from './shared-watches.js';
import { WatchCaches } from '../cache/index.js';
import { stampResourceVersion, withResourceVersion } from './watch-filter.js';

/** Dependencies of `ObjectRegistry`. */
export interface ObjectRegistryDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Random source (generateName suffixes, node-port picks); defaults to Math.random. */
  random?: () => number;
  /** Serve LIST and watches from in-memory watch caches (default; their options), or `false`: the store. */
  watchCache?: false | { history?: number; freshTimeoutMs?: number };
}

// Kubernetes' alphabet for generated suffixes: no vowels (no accidental words), no confusables.
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
/**
 * Tries of a generated name. 5 chars of 27 give 14.3 M names: at 100,000 pods of one owner a try
 * collides with p ≈ 0.7%, so 16 tries all colliding is ~1e-35 — never an error a user sees.
 */
const GENERATE_NAME_TRIES = 16;

/** The Kubernetes object registry. Every writer (HTTP API, controllers, gateway) goes through it. */
export class ObjectRegistry implements ObjectAPI {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #strategyFor: StrategyFor;
  readonly #watches: SharedWatches;
  readonly #caches: WatchCaches | undefined;

  constructor(deps: ObjectRegistryDeps) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#random = deps.random ?? Math.random;
    this.#strategyFor = createStrategies({ ...deps, random: this.#random, namespace: (n) => this.#namespace(n) });
    this.#caches =
      deps.watchCache === false
        ? undefined
        : new WatchCaches({ ...deps.watchCache, store: deps.store, logger: deps.logger });
    this.#watches = new SharedWatches(this.#caches ?? deps.store, deps.logger);
  }

  async create<T extends KubeObject>(type: ResourceType, raw: unknown, opts: WriteOptions = {}): Promise<T> {
    const input = this.#parse(type, raw);
    const meta = input.metadata;
    if (!meta.name && !meta.generateName) {
      throw new InvalidError(type.kind, '', [
        { field: 'metadata.name', message: 'name or generateName is required', reason: 'FieldValueRequired' },
      ]);
    }
    const namespace = type.namespaced ? (meta.namespace ?? 'default') : undefined;
    if (namespace !== undefined) await this.#requireNamespace(namespace);
    const strategy = this.#strategy(type);
    const causes = strategy.validate(input);
    if (causes.length > 0) throw new InvalidError(type.kind, meta.name ?? meta.generateName ?? '', causes);
    await strategy.admit(input, undefined);

    const keep = omit(meta, 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds');
    const status = type.hasStatus ? strategy.statusOnCreate(input) : input.status;
    // The uid is known before defaulting: a Job's generated selector is derived from it.
    const uid = randomUUID();
    const base = strategy.applyDefaults({ ...input, metadata: { ...input.metadata, uid }, status });
    if (status === undefined) delete base.status;

    for (let attempt = 0; ; attempt++) {
      const name = meta.name ?? `${meta.generateName}${this.#suffix()}`;
      const metadata: ObjectMeta = {
        ...keep,
        name,
        ...(namespace !== undefined ? { namespace } : {}),
        uid,
        creationTimestamp: rfc3339(this.#clock.now()),
        generation: 1,
      };
      if (!type.namespaced) delete metadata.namespace;
      let obj: KubeObject = { ...base, metadata };
      const key = objectKey(type, namespace, name);
      try {
        const rev = await strategy.exclusive(async () => {
          obj = withManagers(this.#clock, type, undefined, await strategy.allocate(key, obj, undefined), input, opts);
          return opts.dryRun ? undefined : this.#store.create(key, obj);
        });
        // A dry run is not stored: no resourceVersion, as Kubernetes answers it. The object and its
        // metadata were made for this attempt, so the answer is stamped in place.
        return rev === undefined ? (obj as T) : stampResourceVersion<T>(obj, rev);
      } catch (err) {
        // A generated name that collides is retried with a new suffix, as Kubernetes does.
        if (err instanceof AlreadyExistsError && !meta.name && attempt < GENERATE_NAME_TRIES - 1) continue;
        throw storeError(err, type, name);
      }
    }
  }

  async get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    const sv = await this.#store.get(objectKey(type, namespace, name));
    if (!sv) throw new NotFoundError(resourceName(type), name);
    return withResourceVersion<T>(sv.value, sv.modRevision);
  }

  list<T extends KubeObject>(type: ResourceType, opts: ListOptions = {}): Promise<ObjectList<T>> {
    return listObjects<T>(this.#store, this.#caches, type, opts);
  }

  async update<T extends KubeObject>(type: ResourceType, raw: unknown, opts: WriteOptions = {}): Promise<T> {
    const input = this.#parse(type, raw);
    const strategy = this.#strategy(type);
    return replaceObject<T>(
      this.#replaceDeps(type),
      type,
      input,
      async (cur) => {
        const next = await mergeUpdate(type, strategy, cur, input);
        const key = objectKey(type, next.metadata.namespace, next.metadata.name ?? '');
        return withManagers(
          this.#clock,
          type,
          cur,
          withGeneration(cur, await strategy.allocate(key, next, cur)),
          input,
          opts,
        );
      },
      opts.dryRun === true,
    );
  }

  async updateStatus<T extends KubeObject>(type: ResourceType, raw: unknown, opts: WriteOptions = {}): Promise<T> {
    if (!type.hasStatus) throw new MethodNotAllowedError(`${resourceName(type)} have no status subresource`);
    // The spec is the stored object's (below): an input may leave it out, as in Kubernetes.
    const input = validateStatusInput(type, raw, { compiled: true });
    return replaceObject<T>(
      this.#replaceDeps(type),
      type,
      input,
      (cur) => {
        const next: KubeObject = { ...cur, status: input.status };
        if (input.status === undefined) delete next.status;
        const w = opts.fieldManager === undefined ? {} : { ...opts, subresource: 'status' };
        return Promise.resolve(withManagers(this.#clock, type, cur, next, input, w));
      },
      opts.dryRun === true,
    );
  }

  async delete<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<T> {
    const key = objectKey(type, namespace, name);
    let sv = await this.#store.get(key);
    if (!sv) throw new NotFoundError(resourceName(type), name);
    await this.#strategy(type).beforeDelete(name);
    for (let attempt = 0; ; attempt++) {
      try {
        return (await deleteObject(this.#deletionDeps(), type, sv, opts)) as T;
      } catch (err) {
        // A concurrent write (a controller's status) between the read and the commit: without a
        // resourceVersion precondition the caller asked to delete whatever is current, so re-read.
        const raced = err instanceof ConflictError && err.details === undefined;
        if (!raced || opts.preconditions?.resourceVersion !== undefined || attempt >= UPDATE_RETRIES)
          throw storeError(err, type, name);
      }
      sv = await this.#store.get(key);
      if (!sv) throw new NotFoundError(resourceName(type), name);
    }
  }

  watch<T extends KubeObject>(
    type: ResourceType,
    opts: WatchOptions,
    onEvent: (e: WatchEvent<T>) => void,
    onError?: (err: Error) => void,
  ): Promise<() => void> {
    return watchObjects<T>(this.#store, this.#caches, this.#watches, type, opts, onEvent, onError);
  }

  /** Stops the watch caches' store watch (reads then go to the store). */
  close(): void {
    this.#caches?.close();
  }

  /** Watchers served by shared prefix watches, and the store watches those hold (metrics). */
  get watchStats(): { watchers: number; storeWatches: number } {
    return { watchers: this.#watches.watchers, storeWatches: this.#watches.prefixes };
  }

  /** Creates namespace `name` unless it exists (hub startup: `default`, `edge-system`). */
  ensureNamespace(name: string): Promise<void> {
    return ensureNamespace(this, name);
  }

  /** Validates `raw` against the schema of `type` (which also pins apiVersion and kind). */
  #parse(type: ResourceType, raw: unknown): KubeObject {
    return validateObject(type, raw, { compiled: true });
  }

  #strategy(type: ResourceType): KindStrategy {
    return this.#strategyFor(type.kind);
  }

  #replaceDeps(type: ResourceType): ReplaceDeps {
    const caches = this.#caches;
    return {
      store: this.#store,
      strategy: this.#strategy(type),
      cached: caches && ((key) => caches.loaded(key)?.get(key)),
    };
  }

  #deletionDeps(): DeletionDeps {
    return { store: this.#store, clock: this.#clock, logger: this.#logger, strategyFor: this.#strategyFor };
  }

  async #requireNamespace(namespace: string): Promise<void> {
    if (!(await this.#namespace(namespace))) {
      throw new NotFoundError('namespaces', namespace, `namespaces "${namespace}" not found`);
    }
  }

  /**
   * The Namespace `name`: from the watch cache when it has caught up with the store (every pod create
   * and update asks: two store reads per pod before), else from the store. Caught up, the cache's answer
   * is the store's, a miss included: on SQLite always (the cache is handed each write before its writer
   * is answered, and the store's revision is that of the last write answered); on etcd, asking the
   * revision is a round trip, so this is there for correctness, not speed. The first ask starts loading
   * the namespaces' cache (admission reads it from then on, as Kubernetes' reads a namespace lister).
   */
  async #namespace(name: string): Promise<KubeObject | undefined> {
    const key = `/registry/namespaces/${name}`;
    const caches = this.#caches;
    const cache = caches?.loaded(key);
    if (caches && cache && caches.revisionOf(cache) >= (await this.#store.revision())) return cache.get(key);
    if (caches && !cache && caches.isCached(key)) {
      // Not loaded yet: loading it is the cache's business; a failure leaves this on the store's path.
      caches.cache(key).catch((err: unknown) => this.#logger.debug({ err }, 'namespaces cache not loaded'));
    }
    return (await this.#store.get(key))?.value as KubeObject | undefined;
  }

  #suffix(): string {
    let s = '';
    for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(this.#random() * NAME_CHARS.length)] ?? 'x';
    return s;
  }
}
