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

const isReady = (p: Pod): boolean =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const readySince = (p: Pod): string =>
  (p.status?.conditions ?? []).find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime ?? '';
const maxRestarts = (p: Pod): number =>
  Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
const PHASE_RANK: Record<string, number> = { Running: 0, Unknown: 1, Pending: 2 };

/**
 * The pods in the order kubectl picks from (its `sort.Reverse(podutils.ActivePods)`): bound to a
 * node, Running, Ready, not being deleted, Ready the longest, the fewest restarts, the oldest.
 */
export function rankPods(pods: Pod[]): Pod[] {
  // Compares two times as strings (RFC 3339, one format), an empty one last.
  const earlier = (a: string, b: string): number => (a === b ? 0 : a === '' ? 1 : b === '' ? -1 : a < b ? -1 : 1);
  return [...pods].sort(
    (a, b) =>
      Number(!a.spec?.nodeName) - Number(!b.spec?.nodeName) ||
      (PHASE_RANK[a.status?.phase ?? ''] ?? 3) - (PHASE_RANK[b.status?.phase ?? ''] ?? 3) ||
      Number(isReady(b)) - Number(isReady(a)) ||
      Number(!!a.metadata.deletionTimestamp) - Number(!!b.metadata.deletionTimestamp) ||
      (isReady(a) && isReady(b) ? earlier(readySince(a), readySince(b)) : 0) ||
      maxRestarts(a) - maxRestarts(b) ||
      earlier(a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? ''),
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

/** A pod `target` stands for, and the object that selected it (a Service's ports are translated through it). */
export interface TargetPod {
  pod: Pod;
  /** The Service, Deployment, … named by `target`; undefined when it named the pod. */
  owner?: { type: ResourceKind; object: KubeObject } | undefined;
}

/**
 * kubectl's `AttachablePodForObject` (port-forward, attach): the pod itself, or the first pod (as
 * `rankPods` orders them) its workload or Service selects, waiting up to `timeoutMs` for one to
 * exist, as kubectl's `--pod-running-timeout` does.
 */
export async function attachablePod(
  ctx: CliContext,
  client: EdgeClient,
  ns: string,
  target: string,
  command: string,
  timeoutMs: number,
): Promise<TargetPod> {
  const slash = target.indexOf('/');
  const type = slash < 0 ? podType() : lookupType(target.slice(0, slash), command);
  const name = slash < 0 ? target : target.slice(slash + 1);
  if (type.kind === 'Pod') return { pod: await client.get<Pod>(type, ns, name, ctx.signal) };
  if (!SELECTING.has(type.kind))
    throw new UsageError(
      `cannot ${command} into ${type.plural}: give a pod, or a workload or service that selects pods`,
    );
  const object = await client.get(type, ns, name, ctx.signal);
  const selector = selectorOf(object, type);
  if (selector === '') throw new UsageError(`${type.singular}/${name} selects no pods (it has no selector)`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = (await client.list<Pod>(podType(), { namespace: ns, labelSelector: selector, signal: ctx.signal }))
      .items;
    const pod = rankPods(pods)[0];
    if (pod) return { pod, owner: { type, object } };
    // kubectl watches for the first pod; a short poll does the same for a command run by hand.
    if (Date.now() >= deadline || ctx.signal.aborted) throw new UsageError('timed out waiting for the condition');
    await new Promise((r) => setTimeout(r, 500));
  }
}
