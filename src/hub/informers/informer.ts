/**
 * A shared informer: list + watch of one kind into an in-memory cache, with event handlers. Like
 * client-go's, it is the only way controllers read: reconcilers look at the cache, never poll the
 * store. Writes a controller makes are fed back with `observe()` so its next reconcile does not act
 * on a stale cache (client-go solves the same race with "expectations").
 */
import type { KubeObject, Logger, ResourceType } from '../../api/index.js';
import { GoneError, errorMessage } from '../../api/index.js';
import type { ObjectAPI, WatchEvent } from '../registry/index.js';
import { Indexer, type IndexFunc } from './indexer.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** Callbacks for cache changes. `old` is the previous cached version. */
export interface InformerHandler<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(old: T, obj: T): void;
  onDelete?(obj: T): void;
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');
}

/** Splits an object key into namespace (maybe undefined) and name. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Objects applied between two yields to the event loop while (re)listing. */
const RELIST_SLICE = 500;
/** Back-off of relists after a broken watch while the store cannot answer. */
const RELIST_RETRY_MIN_MS = 250;
const RELIST_RETRY_MAX_MS = 8_000;

function rv(obj: KubeObject): number {
  return Number(obj.metadata.resourceVersion ?? '0');
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly indexer = new Indexer<T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private stopWatch: (() => void) | undefined;
  private stopped = false;
  private syncedFlag = false;

  constructor(
    private readonly api: ObjectAPI,
    readonly type: ResourceType,
    private readonly logger: Logger,
  ) {}

  /** Lists, fills the cache (firing onAdd), and starts watching. Resolves once synced. */
  async start(): Promise<void> {
    await this.relist();
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch?.();
    this.stopWatch = undefined;
  }

  /** True once the first list has been loaded. */
  get synced(): boolean {
    return this.syncedFlag;
  }

  addHandler(h: InformerHandler<T>): void {
    this.handlers.push(h);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.cache.get(key);
  }

  /**
   * Keeps index `name` of the cache (see indexer.ts; a no-op if it exists already), so `byIndex`
   * answers in O(result) — controllers never scan the whole cache per event.
   */
  addIndex(name: string, fn: IndexFunc): void {
    this.indexer.add(name, fn, this.cache);
  }

  /** The cached objects whose index `name` holds `value` (throws if the index was never added). */
  byIndex(name: string, value: string): T[] {
    const out: T[] = [];
    for (const key of this.indexer.keys(name, value) ?? []) {
      const obj = this.cache.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** Number of cached objects. */
  get size(): number {
    return this.cache.size;
  }

  /** Every cached object, optionally filtered. */
  list(filter?: (obj: T) => boolean): T[] {
    const out: T[] = [];
    for (const o of this.cache.values()) if (!filter || filter(o)) out.push(o);
    return out;
  }

  /**
   * Write-through of an object this process just wrote (or deleted): applied if newer than the
   * cached copy, so the following reconcile sees its own writes even before the watch delivers them.
   */
  observe(obj: T, deleted = false): void {
    this.apply(deleted ? { type: 'DELETED', object: obj } : { type: 'MODIFIED', object: obj });
  }

  private async relist(): Promise<void> {
    const list = await this.api.list<T>(this.type);
    const seen = new Set<string>();
    let sinceYield = 0;
    for (const obj of list.items) {
      seen.add(objectKey(obj));
      this.apply({ type: 'MODIFIED', object: obj }, true);
      // Handlers run per object: a big list is applied in slices, the event loop free in between
      // (the watch below resumes from the list's revision, so nothing is missed meanwhile).
      if (++sinceYield >= RELIST_SLICE) {
        sinceYield = 0;
        await yieldToLoop();
      }
    }
    for (const [key, obj] of [...this.cache]) if (!seen.has(key)) this.apply({ type: 'DELETED', object: obj }, true);
    this.syncedFlag = true;
    if (this.stopped) return;
    try {
      this.stopWatch = await this.api.watch<T>(
        this.type,
        { resourceVersion: list.resourceVersion },
        (e) => this.apply(e),
        (err) => this.onWatchBroken(err),
      );
    } catch (err) {
      if (!(err instanceof GoneError)) throw err;
      this.logger.warn({ kind: this.type.kind }, 'watch history compacted, relisting');
      await this.relist();
    }
  }

  /**
   * The watch broke for good (the store's watch could not resume past an etcd compaction): the cache
   * may have missed changes, so it relists (handlers see the differences) and watches again, retrying
   * while the store cannot answer, as client-go's reflector does after a 410.
   */
  private onWatchBroken(err: Error): void {
    this.stopWatch = undefined;
    if (this.stopped) return;
    this.logger.warn({ kind: this.type.kind, err: err.message }, 'watch broke, relisting');
    const again = (delayMs: number): void => {
      if (this.stopped) return;
      this.relist().catch((e: unknown) => {
        this.logger.warn({ kind: this.type.kind, err: errorMessage(e) }, 'relist failed, retrying');
        setTimeout(() => again(Math.min(delayMs * 2, RELIST_RETRY_MAX_MS)), delayMs).unref();
      });
    };
    again(RELIST_RETRY_MIN_MS);
  }

  private apply(e: WatchEvent<T>, force = false): void {
    if (e.type === 'BOOKMARK') return;
    const key = objectKey(e.object);
    const old = this.cache.get(key);
    try {
      if (e.type === 'DELETED') {
        if (!old) return;
        // A stale delete (of an older incarnation with another uid) must not drop a newer object.
        if (old.metadata.uid !== e.object.metadata.uid && rv(old) > rv(e.object)) return;
        this.cache.delete(key);
        this.indexer.update(key, old, undefined);
        for (const h of this.handlers) {
          try {
            h.onDelete?.(old);
          } catch (err) {
            this.handlerFailed(key, err);
          }
        }
        return;
      }
      if (old && !force && rv(old) >= rv(e.object)) return;
      if (old && force && rv(old) === rv(e.object)) return;
      this.cache.set(key, e.object);
      this.indexer.update(key, old, e.object);
      // Each handler on its own: one that throws is logged and the others still run.
      for (const h of this.handlers) {
        try {
          if (old) h.onUpdate?.(old, e.object);
          else h.onAdd?.(e.object);
        } catch (err) {
          this.handlerFailed(key, err);
        }
      }
    } catch (err) {
      this.logger.error({ kind: this.type.kind, key, err: errorMessage(err) }, 'informer could not apply an event');
    }
  }

  /**
   * A handler threw: logged, and the other handlers still run (a controller that keeps state from its
   * handler, like the DaemonSet's kept node set, must not miss a change for another's bug).
   */
  private handlerFailed(key: string, err: unknown): void {
    this.logger.error({ kind: this.type.kind, key, err: errorMessage(err) }, 'informer handler failed');
  }
}
