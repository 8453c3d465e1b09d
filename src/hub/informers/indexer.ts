/**
 * Secondary indexes of an informer's cache (client-go's Indexers): each index maps a value computed
 * from an object (its node, its controller's uid) to the keys of the objects with that value, so a
 * controller asks "the pods of this ReplicaSet" in O(answer) instead of scanning the whole cache.
 */
import type { KubeObject } from '../../api/index.js';

/**
 * The values an object is indexed under (none: not in the index). Over the generic object shape, so
 * an informer of any kind can take it (and stays assignable to an informer of KubeObject).
 */
export type IndexFunc = (obj: KubeObject) => readonly string[];

/** Index of objects by their controller's uid (`ownerReferences[controller=true].uid`). */
export const BY_CONTROLLER_UID = 'controller-uid';
/** Index of pods by `spec.nodeName` (unbound pods are not in it). */
export const BY_NODE_NAME = 'node-name';

/** The index function of {@link BY_CONTROLLER_UID}. */
export const controllerUid = (obj: KubeObject): readonly string[] => {
  const uid = obj.metadata.ownerReferences?.find((r) => r.controller === true)?.uid;
  return uid ? [uid] : [];
};

/** The index function of {@link BY_NODE_NAME}. */
export const nodeNameOf = (obj: KubeObject): readonly string[] => {
  const node = (obj as { spec?: { nodeName?: unknown } }).spec?.nodeName;
  return typeof node === 'string' && node !== '' ? [node] : [];
};

/** One index: value → object keys. */
class Index<T extends KubeObject> {
  readonly #byValue = new Map<string, Set<string>>();

  constructor(readonly fn: IndexFunc) {}

  keys(value: string): ReadonlySet<string> | undefined {
    return this.#byValue.get(value);
  }

  /** Moves `key` from the values of `old` to those of `next` (either may be absent). */
  update(key: string, old: T | undefined, next: T | undefined): void {
    const before = old ? this.fn(old) : [];
    const after = next ? this.fn(next) : [];
    if (before.length === after.length && before.every((v, i) => v === after[i])) return;
    for (const v of before) {
      const set = this.#byValue.get(v);
      set?.delete(key);
      if (set?.size === 0) this.#byValue.delete(v);
    }
    for (const v of after) {
      let set = this.#byValue.get(v);
      if (!set) this.#byValue.set(v, (set = new Set()));
      set.add(key);
    }
  }
}

/** The named indexes of one cache, kept in step with it by the informer. */
export class Indexer<T extends KubeObject> {
  readonly #indexes = new Map<string, Index<T>>();

  /**
   * Adds index `name` (a no-op when it exists: controllers sharing an informer each ask for it) and
   * fills it from `current`.
   */
  add(name: string, fn: IndexFunc, current: Iterable<[string, T]>): void {
    if (this.#indexes.has(name)) return;
    const index = new Index(fn);
    for (const [key, obj] of current) index.update(key, undefined, obj);
    this.#indexes.set(name, index);
  }

  /** Keys of the objects whose index `name` holds `value`; throws for an unknown index. */
  keys(name: string, value: string): ReadonlySet<string> | undefined {
    const index = this.#indexes.get(name);
    if (!index) throw new Error(`no informer index "${name}"`);
    return index.keys(value);
  }

  /** Applies a cache change: `old` replaced by `next` under `key` (undefined: absent). */
  update(key: string, old: T | undefined, next: T | undefined): void {
    for (const index of this.#indexes.values()) index.update(key, old, next);
  }
}
