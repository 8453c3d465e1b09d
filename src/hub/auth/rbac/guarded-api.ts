/**
 * The object API as one caller sees it: writes of RBAC objects pass escalation prevention first,
 * and what was written reaches the caches that decide requests at once (`observe`: so the caller's
 * next request, and the escalation check of its next write, see it; a deleted token stops at once).
 * Every other call goes straight through.
 */
import { ForbiddenError, type KubeObject, type ResourceType } from '../../../api/index.js';
import type { DeleteOptions, ObjectAPI, WriteOptions } from '../../registry/index.js';
import { forbiddenMessage, type Authorizer, type RequestAttributes } from '../authorize.js';
import type { Principal } from '../principal.js';
import { checkNoEscalation, isRbacKind } from './escalation.js';
import type { RbacPolicy } from './policy.js';

/** `api` for requests of `who`. */
export function guardRbacWrites(
  api: ObjectAPI,
  policy: RbacPolicy,
  authorize: Authorizer,
  who: Principal,
  observe: (obj: KubeObject, deleted: boolean) => void = (obj, deleted) => policy.observe(obj, deleted),
): ObjectAPI {
  const check = (type: ResourceType, obj: unknown): void => {
    if (!isRbacKind(type.kind)) return;
    // An invalid body is left to the registry, which refuses it with its causes named.
    const parsed = type.schema.safeParse(obj);
    if (parsed.success) checkNoEscalation(policy, authorize, who, parsed.data as KubeObject);
  };
  const mayCreate = (type: ResourceType, obj: unknown): void => {
    const meta = (obj as Partial<KubeObject>).metadata;
    const what: RequestAttributes = {
      kind: 'resource',
      verb: 'create',
      group: type.group,
      resource: type.plural,
      ...(type.namespaced && meta?.namespace !== undefined ? { namespace: meta.namespace } : {}),
    };
    const d = authorize(who, what);
    if (!d.allowed) throw new ForbiddenError(forbiddenMessage(who, what, d.reason));
  };
  const seen = <T extends KubeObject>(obj: T, deleted = false): T => {
    observe(obj, deleted);
    return obj;
  };
  return {
    // A dry run is not seen by the policy: nothing was stored.
    async create<T extends KubeObject>(type: ResourceType, obj: unknown, opts?: WriteOptions): Promise<T> {
      // A server-side apply came in as `patch`; creating the object needs `create` too, as in Kubernetes.
      if (opts?.applied) mayCreate(type, obj);
      check(type, obj);
      const out = await api.create<T>(type, obj, opts);
      return opts?.dryRun ? out : seen(out);
    },
    async update<T extends KubeObject>(type: ResourceType, obj: unknown, opts?: WriteOptions): Promise<T> {
      check(type, obj);
      const out = await api.update<T>(type, obj, opts);
      return opts?.dryRun ? out : seen(out);
    },
    async delete<T extends KubeObject>(
      type: ResourceType,
      namespace: string | undefined,
      name: string,
      opts?: DeleteOptions,
    ): Promise<T> {
      return seen(await api.delete<T>(type, namespace, name, opts), true);
    },
    get: (type, namespace, name) => api.get(type, namespace, name),
    list: (type, opts) => api.list(type, opts),
    updateStatus: (type, obj, opts) => api.updateStatus(type, obj, opts),
    watch: (type, opts, onEvent, onError) => api.watch(type, opts, onEvent, onError),
  };
}
