/**
 * `edgectl apply --prune -l SELECTOR [--prune-allowlist group/version/Kind]`: after applying, delete
 * the objects the set no longer names, with kubectl's semantics adapted to server-side apply. A
 * candidate is an object of an allowlisted kind that matches the selector, lives in a namespace the
 * applied objects use (any, for a cluster-scoped kind) and was applied by edgectl (a managedFields
 * entry of manager `edgectl`, operation Apply: kubectl's "created by apply" test is its
 * last-applied annotation, which server-side apply does not write). Objects controllers create
 * (ReplicaSets, pods) are never candidates, whatever their labels.
 */
import type { KubeObject, ResourceKind } from '../../api/index.js';
import { kindByKind } from '../../api/lite.js';
import type { EdgeClient } from '../client/index.js';
import { UsageError } from '../errors.js';
import type { ValidManifest } from '../manifests/index.js';
import { objectRef } from '../printers/index.js';

/**
 * kubectl's default prune kinds (`prune.go`), those the hub serves: ConfigMap, Endpoints, Namespace,
 * Pod, Secret, Service, Job, DaemonSet, Deployment, ReplicaSet.
 */
const DEFAULT_KINDS: readonly (readonly [string, string])[] = [
  ['v1', 'ConfigMap'],
  ['v1', 'Endpoints'],
  ['v1', 'Namespace'],
  ['v1', 'Pod'],
  ['v1', 'Secret'],
  ['v1', 'Service'],
  ['batch/v1', 'Job'],
  ['apps/v1', 'DaemonSet'],
  ['apps/v1', 'Deployment'],
  ['apps/v1', 'ReplicaSet'],
];

/** `core/v1/ConfigMap`, `apps/v1/Deployment` (kubectl's `--prune-allowlist` form) to a served kind. */
export function allowlistType(entry: string): ResourceKind {
  const parts = entry.split('/');
  const [group, version, kind] = parts.length === 3 ? parts : [];
  const t =
    group !== undefined && version !== undefined && kind !== undefined
      ? kindByKind(group === 'core' || group === '' ? version : `${group}/${version}`, kind)
      : undefined;
  if (!t)
    throw new UsageError(
      `invalid --prune-allowlist entry "${entry}": want group/version/Kind of a served kind (core/v1/ConfigMap, apps/v1/Deployment)`,
      'edgectl apply --help',
    );
  return t;
}

/** Whether manager `manager` applied `obj` (server-side apply), by its managedFields. */
export function appliedBy(obj: KubeObject, manager: string): boolean {
  return (obj.metadata.managedFields ?? []).some((m) => m.manager === manager && m.operation === 'Apply');
}

export interface PruneOptions {
  selector: string;
  allowlist?: readonly string[] | undefined;
  manager: string;
  signal: AbortSignal;
  /** Prints one line (`configmap/old pruned`). */
  out: (line: string) => void;
}

/** Deletes the candidates (see above) that `applied` does not name; returns how many went. */
export async function prune(
  client: EdgeClient,
  applied: readonly ValidManifest[],
  opts: PruneOptions,
): Promise<number> {
  const types = opts.allowlist?.length
    ? opts.allowlist.map(allowlistType)
    : DEFAULT_KINDS.map(([v, k]) => kindByKind(v, k)).filter((t): t is ResourceKind => t !== undefined);
  const keep = new Set(
    applied.map(
      (i) => `${i.type.plural}.${i.type.group}/${i.object.metadata.namespace ?? ''}/${i.object.metadata.name ?? ''}`,
    ),
  );
  const namespaces = [
    ...new Set(applied.filter((i) => i.type.namespaced).map((i) => i.object.metadata.namespace ?? '')),
  ];
  let pruned = 0;
  // Namespaces last: their contents are pruned (or kept) first.
  const ordered = [...new Set(types)].sort((a, b) => Number(a.kind === 'Namespace') - Number(b.kind === 'Namespace'));
  for (const type of ordered) {
    const scopes = type.namespaced ? namespaces : [undefined];
    for (const namespace of scopes) {
      const list = await client.list(type, { namespace, labelSelector: opts.selector, signal: opts.signal });
      for (const obj of list.items) {
        const key = `${type.plural}.${type.group}/${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
        if (keep.has(key) || !appliedBy(obj, opts.manager) || obj.metadata.deletionTimestamp) continue;
        await client.delete(type, obj.metadata.namespace, obj.metadata.name ?? '', { signal: opts.signal });
        opts.out(`${objectRef(type, obj.metadata.name ?? '')} pruned\n`);
        pruned++;
      }
    }
  }
  return pruned;
}

/** The `--prune` help text. */
export const PRUNE_HELP = `after applying, delete the objects matching -l that edgectl applied and the files no longer name (kinds: --prune-allowlist, else ${DEFAULT_KINDS.map(([, k]) => k).join(', ')})`;
