/**
 * The garbage collector: an object whose every owner (by `ownerReferences` uid) is gone is deleted,
 * so deleting a Deployment removes its ReplicaSets, and those their pods. Orphaning
 * (`propagationPolicy: Orphan`) is done by the registry, which strips the references first.
 */
import type { Clock, KubeObject, Logger, ResourceType } from '../../api/index.js';
import { NotFoundError } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import { objectKey } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { Controller } from '../reconcile/index.js';

export interface GarbageCollectorDeps {
  api: ObjectAPI;
  /** Informers of every kind that can own or be owned. */
  informers: Informer[];
  clock: Clock;
  logger: Logger;
}

/** Deletes objects whose every owner is gone. Keys are `Kind|namespace/name`. */
export class GarbageCollector extends Controller {
  private readonly byKind = new Map<string, Informer>();
  /** owner uid → dependents (`Kind|ns/name`). */
  private readonly dependents = new Map<string, Set<string>>();

  constructor(private readonly deps: GarbageCollectorDeps) {
    super({ name: 'garbage-collector', logger: deps.logger, clock: deps.clock });
    for (const inf of deps.informers) {
      this.byKind.set(inf.type.kind, inf);
      inf.addHandler({
        onAdd: (o) => this.index(inf.type, o),
        onUpdate: (_old, o) => this.index(inf.type, o),
        onDelete: (o) => this.ownerGone(o),
      });
    }
  }

  /** Every object that has owners. */
  protected *initialKeys(): Iterable<string> {
    for (const inf of this.deps.informers)
      for (const o of inf.list()) if (o.metadata.ownerReferences?.length) yield `${inf.type.kind}|${objectKey(o)}`;
  }

  private index(type: ResourceType, o: KubeObject): void {
    for (const ref of o.metadata.ownerReferences ?? []) {
      let set = this.dependents.get(ref.uid);
      if (!set) this.dependents.set(ref.uid, (set = new Set()));
      set.add(`${type.kind}|${objectKey(o)}`);
    }
  }

  private ownerGone(o: KubeObject): void {
    const uid = o.metadata.uid ?? '';
    const deps = this.dependents.get(uid);
    this.dependents.delete(uid);
    for (const d of deps ?? []) this.queue.add(d);
  }

  private ownerExists(ns: string | undefined, ref: { kind: string; name: string; uid: string }): boolean | undefined {
    const inf = this.byKind.get(ref.kind);
    if (!inf) return undefined; // an owner kind we do not track: never collect on its account
    const owner = inf.get(inf.type.namespaced ? ns : undefined, ref.name);
    return owner !== undefined && owner.metadata.uid === ref.uid;
  }

  protected async reconcile(key: string): Promise<void> {
    const [kind = '', objKey = ''] = key.split('|');
    const inf = this.byKind.get(kind);
    const obj = inf?.getByKey(objKey);
    if (!inf || !obj || obj.metadata.deletionTimestamp) return;
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const states = refs.map((r) => this.ownerExists(obj.metadata.namespace, r));
    if (!states.every((s) => s === false)) return;
    try {
      await this.deps.api.delete(inf.type, obj.metadata.namespace, obj.metadata.name ?? '', {
        propagationPolicy: 'Background',
        preconditions: { uid: obj.metadata.uid },
      });
      this.deps.logger.debug({ kind, key: objKey }, 'garbage-collected');
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}
