/**
 * The `pods/binding` subresource: how a scheduler other than the hub's puts a pod on a node
 * (`spec.schedulerName` names it; the hub's scheduler leaves such pods alone). As in Kubernetes, a
 * binding sets the pod's `spec.nodeName` once: a pod already bound, or being deleted, is a conflict.
 * Whether the node exists is not checked here, as Kubernetes does not: a pod bound to no node waits.
 */
import {
  Binding,
  ConflictError,
  InvalidError,
  issuesToCauses,
  typeByKind,
  type Pod,
  type ResourceType,
} from '../../api/index.js';
import type { ObjectAPI, WriteOptions } from './types.js';

const POD = typeByKind('v1', 'Pod') as ResourceType;
const UPDATE_RETRIES = 5;

/** Validates a Binding body for pod `name` (422 naming the field; the body may not name another pod). */
export function parseBinding(name: string, raw: unknown): Binding {
  const r = Binding.safeParse(raw);
  if (!r.success) throw new InvalidError('Binding', name, issuesToCauses(r.error.issues));
  const named = r.data.metadata?.name;
  if (named !== undefined && named !== name)
    throw new InvalidError('Binding', named, [
      {
        field: 'metadata.name',
        message: `Invalid value: "${named}": must be the pod's name, "${name}"`,
        reason: 'FieldValueInvalid',
      },
    ]);
  return r.data;
}

/**
 * Binds pod `namespace/name` to `binding.target`; resolves with the bound pod (with `dryRun`, the pod as
 * it would be bound: every check made, nothing written).
 */
export async function bindPod(
  api: ObjectAPI,
  namespace: string,
  name: string,
  binding: Binding,
  opts: WriteOptions = {},
): Promise<Pod> {
  const node = binding.target.name;
  for (let attempt = 0; ; attempt++) {
    const pod = await api.get<Pod>(POD, namespace, name);
    const bound = pod.spec.nodeName;
    if (bound !== undefined)
      throw new ConflictError(
        `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${bound}"`,
      );
    if (pod.metadata.deletionTimestamp !== undefined)
      throw new ConflictError(`Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is being deleted`);
    try {
      // The read's resourceVersion is the write's precondition: a binding racing another is a conflict.
      return await api.update<Pod>(POD, { ...pod, spec: { ...pod.spec, nodeName: node } }, opts);
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= UPDATE_RETRIES) throw err;
    }
  }
}
