/**
 * kubectl's "attachable pod" rule for `logs TYPE/NAME` and `exec TYPE/NAME`: a pod is itself; a
 * Deployment, ReplicaSet, DaemonSet, Job or Service stands for the pods its selector picks, of which
 * one is used — a running one, the newest first.
 */
import {
  fromLabelSelector,
  formatSelector,
  typeByName,
  type KubeObject,
  type LabelSelector,
  type Pod,
  type ResourceKind,
} from '../../api/index.js';
import type { EdgeClient } from '../client/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { lookupType } from './resources.js';

const SELECTING = new Set(['Deployment', 'ReplicaSet', 'DaemonSet', 'Job', 'Service']);

/** The registry's pods type. */
export function podType(): ResourceKind {
  const t = typeByName('pods');
  if (!t) throw new Error('the registry has no pods kind');
  return t;
}

/** The label selector (URL syntax) of a workload or Service. */
function selectorOf(obj: KubeObject, type: ResourceKind): string {
  const spec = (obj as { spec?: { selector?: unknown } }).spec;
  if (type.kind === 'Service') {
    const map = (spec?.selector ?? {}) as Record<string, string>;
    return Object.entries(map)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }
  return formatSelector(fromLabelSelector(spec?.selector as LabelSelector | undefined) ?? []);
}

/** Running pods first, then the newest. */
export function rankPods(pods: Pod[]): Pod[] {
  const rank = (p: Pod): number => (p.status?.phase === 'Running' ? 0 : 1);
  return [...pods].sort(
    (a, b) =>
      rank(a) - rank(b) || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  );
}

/**
 * The pod `target` (`NAME`, `pod/NAME`, `deploy/NAME`, `job/NAME`, …) stands for. With several
 * candidates, says which one it uses on stderr, as kubectl does.
 */
export async function podFor(
  ctx: CliContext,
  client: EdgeClient,
  ns: string,
  target: string,
  command: string,
): Promise<string> {
  const slash = target.indexOf('/');
  if (slash < 0) return target;
  const type = lookupType(target.slice(0, slash), command);
  const name = target.slice(slash + 1);
  if (type.kind === 'Pod') return name;
  if (!SELECTING.has(type.kind))
    throw new UsageError(
      `cannot ${command} into ${type.plural}: give a pod, or a workload or service that selects pods`,
    );
  const owner = await client.get(type, ns, name, ctx.signal);
  const selector = selectorOf(owner, type);
  if (selector === '') throw new UsageError(`${type.singular}/${name} selects no pods (it has no selector)`);
  const pods = rankPods(
    (await client.list<Pod>(podType(), { namespace: ns, labelSelector: selector, signal: ctx.signal })).items.filter(
      (p) => !p.metadata.deletionTimestamp,
    ),
  );
  const chosen = pods[0]?.metadata.name;
  if (!chosen) throw new UsageError(`no pods found for ${type.singular}/${name} (selector ${selector})`);
  if (pods.length > 1) ctx.err(`Found ${pods.length} pods, using pod/${chosen}\n`);
  return chosen;
}
