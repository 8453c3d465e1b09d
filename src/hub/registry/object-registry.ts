/**
 * `ObjectAPI` over a `Store`, with Kubernetes semantics: validation and defaulting, uid /
 * generation / resourceVersion, the status subresource, graceful deletion and filtered watches.
 */
import { randomUUID } from 'node:crypto';
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  InvalidError,
  MethodNotAllowedError,
  NotFoundError,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  rfc3339,
  typeByKind,
  validateObject,
  type Clock,
  type FieldCause,
  type KubeObject,
  type Logger,
  type ObjectMeta,
  type ResourceType,
  type Pod,
  type Service,
} from '../../api/index.js';
import type { Store, StoredValue } from '../store/index.js';
import { objectCauses, updateCauses } from './checks.js';
import { admitPodSecurity } from './pod-security.js';
import { defaultSpec, initialStatus } from './defaults.js';
import { awaitsNode, deleteNamespaceContents, deleteObject } from './deletion.js';
import { jsonEqual } from './equality.js';
import { collectionPrefix, objectKey } from './keys.js';
import { NodePortAllocator } from './node-ports.js';
import { resourceName, storeError } from './store-errors.js';
import type { DeleteOptions, ListOptions, ObjectAPI, ObjectList, WatchEvent, WatchOptions } from './types.js';
import { toWatchEvent, withResourceVersion } from './watch-filter.js';

/** Dependencies of `ObjectRegistry`. */
export interface ObjectRegistryDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Random source (generateName suffixes, node-port picks); defaults to Math.random. */
  random?: () => number;
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const UPDATE_RETRIES = 5;
const PROTECTED_NAMESPACES = new Set(['default']);

/** Top-level fields other than identity, metadata and status: what `generation` tracks. */
function bodyOf(obj: KubeObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata: _m, status: _s, ...body } = obj;
  return body;
}

/** The Kubernetes object registry. Every writer (HTTP API, controllers, gateway) goes through it. */
export class ObjectRegistry implements ObjectAPI {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #nodePorts: NodePortAllocator;

  constructor(deps: ObjectRegistryDeps) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#random = deps.random ?? Math.random;
    this.#nodePorts = new NodePortAllocator(deps.store, this.#random);
  }

  async create<T extends KubeObject>(type: ResourceType, raw: unknown): Promise<T> {
    const input = this.#parse(type, raw);
    const meta = input.metadata;
    if (!meta.name && !meta.generateName) {
      throw new InvalidError(type.kind, '', [
        { field: 'metadata.name', message: 'name or generateName is required', reason: 'FieldValueRequired' },
      ]);
    }
    const namespace = type.namespaced ? (meta.namespace ?? 'default') : undefined;
    if (namespace !== undefined) await this.#requireNamespace(namespace);
    const causes = objectCauses(input);
    if (causes.length > 0) throw new InvalidError(type.kind, meta.name ?? meta.generateName ?? '', causes);
    if (type.kind === 'Pod') await this.#admitPod(input, undefined);

    const { resourceVersion: _rv, deletionTimestamp: _dt, deletionGracePeriodSeconds: _dg, ...keep } = meta;
    // Nodes register with their status (as in Kubernetes); other kinds start from a clean one.
    const status = type.hasStatus && type.kind !== 'Node' ? initialStatus(input) : input.status;
    // The uid is known before defaulting: a Job's generated selector is derived from it.
    const uid = randomUUID();
    const base = defaultSpec({ ...input, metadata: { ...input.metadata, uid }, status });
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
        const rev = await this.#withServiceLock(type, async () => {
          obj = await this.#assignNodePorts(type, key, obj, undefined);
          return this.#store.create(key, obj);
        });
        return withResourceVersion<T>(obj, rev);
      } catch (err) {
        // A generated name that collides is retried with a new suffix, as Kubernetes does.
        if (err instanceof AlreadyExistsError && !meta.name && attempt < 4) continue;
        throw storeError(err, type, name);
      }
    }
  }

  async get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    const sv = await this.#store.get(objectKey(type, namespace, name));
    if (!sv) throw new NotFoundError(resourceName(type), name);
    return withResourceVersion<T>(sv.value, sv.modRevision);
  }

  async list<T extends KubeObject>(type: ResourceType, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const matches = this.#matcher(opts);
    const res = await this.#store.list(collectionPrefix(type, opts.namespace));
    const items = res.items.map((sv) => withResourceVersion<T>(sv.value, sv.modRevision)).filter(matches);
    return { items, resourceVersion: String(res.revision) };
  }

  async update<T extends KubeObject>(type: ResourceType, raw: unknown): Promise<T> {
    const input = this.#parse(type, raw);
    return this.#replace<T>(type, input, (cur) => this.#mergeUpdate(type, cur, input));
  }

  async updateStatus<T extends KubeObject>(type: ResourceType, raw: unknown): Promise<T> {
    if (!type.hasStatus) throw new MethodNotAllowedError(`${resourceName(type)} have no status subresource`);
    const input = this.#parse(type, raw);
    return this.#replace<T>(type, input, async (cur) => {
      const next: KubeObject = { ...cur, status: input.status };
      if (input.status === undefined) delete next.status;
      return next;
    });
  }

  async delete<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<T> {
    const sv = await this.#store.get(objectKey(type, namespace, name));
    if (!sv) throw new NotFoundError(resourceName(type), name);
    const deps = { store: this.#store, clock: this.#clock, logger: this.#logger };
    if (type.kind === 'Namespace') {
      if (PROTECTED_NAMESPACES.has(name))
        throw new ForbiddenError(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
      await deleteNamespaceContents(deps, name);
    }
    try {
      return (await deleteObject(deps, type, sv, opts)) as T;
    } catch (err) {
      throw storeError(err, type, name);
    }
  }

  async watch<T extends KubeObject>(
    type: ResourceType,
    opts: WatchOptions,
    onEvent: (e: WatchEvent<T>) => void,
  ): Promise<() => void> {
    const matches = this.#matcher(opts);
    const prefix = collectionPrefix(type, opts.namespace);
    const rv = opts.resourceVersion;
    let from: number;
    if (rv === undefined || rv === '' || rv === '0') {
      const res = await this.#store.list(prefix);
      for (const sv of res.items) {
        const object = withResourceVersion<T>(sv.value, sv.modRevision);
        if (matches(object)) onEvent({ type: 'ADDED', object });
      }
      from = res.revision;
    } else if (/^\d+$/.test(rv)) {
      from = Number(rv);
    } else {
      throw new BadRequestError(`invalid resourceVersion "${rv}": must be a non-negative integer`);
    }
    return this.#store.watch(prefix, from, (e) => {
      const we = toWatchEvent<T>(e, matches);
      if (we) onEvent(we);
    });
  }

  /** Creates namespace `name` unless it exists (hub startup: `default`, `edge-system`). */
  async ensureNamespace(name: string): Promise<void> {
    const ns = typeByKind('v1', 'Namespace');
    if (!ns) throw new Error('Namespace kind is not registered');
    try {
      await this.create(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }

  /** Validates `raw` against the schema of `type` (which also pins apiVersion and kind). */
  #parse(type: ResourceType, raw: unknown): KubeObject {
    return validateObject(type, raw);
  }

  /** Pod Security admission against the pod's namespace's `pod-security.kubernetes.io/*` labels. */
  async #admitPod(pod: KubeObject, cur: KubeObject | undefined): Promise<void> {
    const ns = await this.#store.get(`/registry/namespaces/${pod.metadata.namespace ?? 'default'}`);
    admitPodSecurity((ns?.value as KubeObject | undefined)?.metadata.labels, pod as Pod, cur as Pod | undefined);
  }

  async #requireNamespace(namespace: string): Promise<void> {
    if (!(await this.#store.get(`/registry/namespaces/${namespace}`))) {
      throw new NotFoundError('namespaces', namespace, `namespaces "${namespace}" not found`);
    }
  }

  /**
   * The read-modify-write loop of update and updateStatus: a `metadata.resourceVersion` in the
   * input is a precondition; without one the write is retried on a concurrent change.
   */
  async #replace<T extends KubeObject>(
    type: ResourceType,
    input: KubeObject,
    build: (cur: KubeObject) => Promise<KubeObject>,
  ): Promise<T> {
    const name = input.metadata.name;
    if (!name)
      throw new InvalidError(type.kind, '', [
        { field: 'metadata.name', message: 'Required value', reason: 'FieldValueRequired' },
      ]);
    const namespace = type.namespaced ? (input.metadata.namespace ?? 'default') : undefined;
    const key = objectKey(type, namespace, name);
    const wantRV = input.metadata.resourceVersion;
    for (let attempt = 0; ; attempt++) {
      const sv = await this.#store.get(key);
      if (!sv) throw new NotFoundError(resourceName(type), name);
      const cur = withResourceVersion<KubeObject>(sv.value, sv.modRevision);
      this.#checkPreconditions(type, cur, input);
      try {
        return await this.#withServiceLock(type, async () => {
          const next = await build(cur);
          if (jsonEqual(next, cur)) return cur as T;
          return this.#write<T>(key, sv, next);
        });
      } catch (err) {
        if (err instanceof ConflictError && wantRV === undefined && attempt < UPDATE_RETRIES) continue;
        throw storeError(err, type, name);
      }
    }
  }

  #checkPreconditions(type: ResourceType, cur: KubeObject, input: KubeObject): void {
    const { resourceVersion, uid } = input.metadata;
    if (
      (resourceVersion !== undefined && resourceVersion !== cur.metadata.resourceVersion) ||
      (uid !== undefined && uid !== cur.metadata.uid)
    ) {
      throw new ConflictError(
        `Operation cannot be fulfilled on ${resourceName(type)} "${cur.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        { kind: resourceName(type), name: cur.metadata.name ?? '' },
      );
    }
  }

  /** Writes `next`, or deletes it when its last finalizer went away during deletion. */
  async #write<T extends KubeObject>(key: string, sv: StoredValue, next: KubeObject): Promise<T> {
    const { resourceVersion: _rv, ...metadata } = next.metadata;
    const stored = { ...next, metadata };
    const had = ((sv.value as KubeObject).metadata.finalizers ?? []).length > 0;
    const finalized =
      had && metadata.deletionTimestamp !== undefined && (metadata.finalizers ?? []).length === 0 && !awaitsNode(next);
    if (finalized) {
      const rev = await this.#store.delete(key, sv.modRevision);
      return withResourceVersion<T>(stored, rev);
    }
    return withResourceVersion<T>(stored, await this.#store.update(key, stored, sv.modRevision));
  }

  /** The object an update of `cur` with `input` results in (defaulted, checked, generation set). */
  async #mergeUpdate(type: ResourceType, cur: KubeObject, input: KubeObject): Promise<KubeObject> {
    const m = input.metadata;
    const metadata: ObjectMeta = { ...cur.metadata };
    for (const f of ['labels', 'annotations', 'ownerReferences', 'finalizers'] as const) {
      if (m[f] === undefined) delete metadata[f];
      else (metadata as Record<string, unknown>)[f] = m[f];
    }
    let next: KubeObject = defaultSpec({
      apiVersion: cur.apiVersion,
      kind: cur.kind,
      metadata,
      ...this.#carryOver(cur, input),
    });
    if (type.hasStatus) {
      if (cur.status !== undefined) next.status = cur.status;
    } else if (input.status !== undefined) next.status = input.status;
    const causes: FieldCause[] = [...objectCauses(next), ...updateCauses(cur, next)];
    if (causes.length > 0) throw new InvalidError(type.kind, metadata.name ?? '', causes);
    if (type.kind === 'Pod') await this.#admitPod(next, cur);
    next = await this.#assignNodePorts(type, objectKey(type, metadata.namespace, metadata.name ?? ''), next, cur);
    if (!jsonEqual(bodyOf(cur), bodyOf(next)))
      next.metadata = { ...next.metadata, generation: (cur.metadata.generation ?? 0) + 1 };
    return next;
  }

  /** The input's body, keeping what a manifest omits but the server set (a pod's binding). */
  #carryOver(cur: KubeObject, input: KubeObject): Record<string, unknown> {
    const body = bodyOf(input);
    if (cur.kind === 'Pod') {
      const was = (cur.spec as { nodeName?: string }).nodeName;
      const spec = body.spec as { nodeName?: string };
      if (was !== undefined && spec.nodeName === undefined) body.spec = { ...spec, nodeName: was };
    }
    return body;
  }

  async #assignNodePorts(
    type: ResourceType,
    key: string,
    obj: KubeObject,
    cur: KubeObject | undefined,
  ): Promise<KubeObject> {
    if (type.kind !== 'Service') return obj;
    const { service, causes } = await this.#nodePorts.assign(key, obj as Service, cur as Service | undefined);
    if (causes.length > 0) throw new InvalidError(type.kind, obj.metadata.name ?? '', causes);
    return service as KubeObject;
  }

  #withServiceLock<R>(type: ResourceType, fn: () => Promise<R>): Promise<R> {
    return type.kind === 'Service' ? this.#nodePorts.exclusive(fn) : fn();
  }

  #matcher(opts: ListOptions): (obj: KubeObject) => boolean {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector);
    return (obj) => matchesLabels(labels, obj.metadata.labels) && matchesFields(fields, obj);
  }

  #suffix(): string {
    let s = '';
    for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(this.#random() * NAME_CHARS.length)] ?? 'x';
    return s;
  }
}
