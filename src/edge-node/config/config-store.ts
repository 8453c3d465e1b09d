/**
 * The node's ConfigMaps and Secrets: the ones its pods use, as the hub sent them, kept in memory for
 * the pod workers and sealed on disk (`sealed-object.ts`, one file per object under
 * `<data-dir>/config/objects/`) so that pods restart with them while the hub is away. Objects the
 * hub no longer lists (`configSync`) or deletes (`configDelete`) are removed from both. Writes are
 * serialized and durable (a power cut leaves the old or the new file); a file that does not open (torn,
 * altered, another key) is logged and dropped — the hub's next sync brings the object again.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../api/index.js';
import type { ConfigObject, Logger } from '../../api/index.js';
import { fsyncDir, writeFileDurable } from '../../durable/index.js';
import { objectKey, seal, unseal } from './sealed-object.js';

/** `ConfigMap` or `Secret`. */
export type ConfigKind = ConfigObject['kind'];

/** Read access to the node's config objects (what env and volume resolution need). */
export interface ConfigLookup {
  get(kind: ConfigKind, namespace: string, name: string): ConfigObject | undefined;
}

/** Dependencies of {@link ConfigStore.open}. */
export interface ConfigStoreDeps {
  /** Directory of the sealed files (created 0700). */
  dir: string;
  /** The node key (`node-key.ts`). */
  key: Buffer;
  logger: Logger;
}

const SUFFIX = '.sealed';
/** File name of an object: kinds and DNS names hold no `_`, so the name maps back to its identity. */
const fileName = (key: string): string => key.replaceAll('/', '_') + SUFFIX;
const keyOfFile = (name: string): string | undefined => {
  const parts = name.slice(0, -SUFFIX.length).split('_');
  return parts.length === 3 && (parts[0] === 'ConfigMap' || parts[0] === 'Secret') ? parts.join('/') : undefined;
};

/** The node-local, encrypted store of config objects. */
export class ConfigStore implements ConfigLookup {
  private readonly objects = new Map<string, ConfigObject>();
  private readonly listeners = new Set<(keys: string[]) => void>();
  private chain: Promise<void> = Promise.resolve();

  private constructor(private readonly deps: ConfigStoreDeps) {}

  /** Opens the store and loads what an earlier run kept. */
  static async open(deps: ConfigStoreDeps): Promise<ConfigStore> {
    const store = new ConfigStore(deps);
    await mkdir(deps.dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(deps.dir)) {
      const file = path.join(deps.dir, name);
      const key = name.endsWith(SUFFIX) ? keyOfFile(name) : undefined;
      if (key === undefined) {
        await rm(file, { force: true }); // a temporary a crash left mid-write, or a stray file
        continue;
      }
      try {
        store.objects.set(key, unseal(await readFile(file), deps.key, key));
      } catch (err) {
        deps.logger.warn(
          { object: key, err: errorMessage(err) },
          'kept config object unreadable; dropped (the hub resends it)',
        );
        await rm(file, { force: true });
      }
    }
    return store;
  }

  get(kind: ConfigKind, namespace: string, name: string): ConfigObject | undefined {
    return this.objects.get(objectKey({ kind, namespace, name }));
  }

  /** Number of objects held. */
  get size(): number {
    return this.objects.size;
  }

  /** Calls `listener` with the keys (`kind/namespace/name`) of objects added, changed or removed. */
  onChange(listener: (keys: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The whole set the node needs: objects not in it are removed. */
  async replaceAll(objects: readonly ConfigObject[]): Promise<void> {
    const wanted = new Map(objects.map((o) => [objectKey(o), o]));
    const changed: string[] = [];
    for (const key of [...this.objects.keys()]) if (!wanted.has(key) && (await this.drop(key))) changed.push(key);
    for (const [key, o] of wanted) if (await this.put(key, o)) changed.push(key);
    this.emit(changed);
  }

  /** One object added or changed. */
  async upsert(obj: ConfigObject): Promise<void> {
    const key = objectKey(obj);
    if (await this.put(key, obj)) this.emit([key]);
  }

  /** One object the node no longer needs. */
  async remove(kind: ConfigKind, namespace: string, name: string): Promise<void> {
    const key = objectKey({ kind, namespace, name });
    if (await this.drop(key)) this.emit([key]);
  }

  /** Resolves once every write has landed. */
  async flush(): Promise<void> {
    await this.chain;
  }

  private async put(key: string, obj: ConfigObject): Promise<boolean> {
    const prev = this.objects.get(key);
    if (prev && prev.uid === obj.uid && prev.resourceVersion === obj.resourceVersion) return false;
    this.objects.set(key, obj);
    const sealed = seal(obj, this.deps.key);
    await this.enqueue(() => writeFileDurable(path.join(this.deps.dir, fileName(key)), sealed, { mode: 0o600 }));
    return true;
  }

  private async drop(key: string): Promise<boolean> {
    if (!this.objects.delete(key)) return false;
    await this.enqueue(async () => {
      await rm(path.join(this.deps.dir, fileName(key)), { force: true });
      await fsyncDir(this.deps.dir);
    });
    return true;
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const next = this.chain
      .then(op)
      .catch((err: unknown) => this.deps.logger.error({ err: errorMessage(err) }, 'config store write failed'));
    this.chain = next;
    return next;
  }

  private emit(keys: string[]): void {
    if (keys.length === 0) return;
    for (const l of this.listeners) {
      try {
        l(keys);
      } catch (err) {
        this.deps.logger.warn({ err: errorMessage(err) }, 'config change listener failed');
      }
    }
  }
}
