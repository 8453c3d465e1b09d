/**
 * `edgectl rollout status deployment/X|daemonset/X`: follows the rollout until it completes (exit 0)
 * or the Deployment reports ProgressDeadlineExceeded (exit 1), printing kubectl's progress lines.
 */
import type { DaemonSet, Deployment, KubeObject, ResourceKind } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';

/** Where a rollout stands: a line to print, and whether it is over (and how). */
export interface RolloutProgress {
  message: string;
  done: boolean;
  failed?: boolean;
}

/** kubectl's DeploymentStatusViewer. */
export function deploymentProgress(d: Deployment): RolloutProgress {
  const name = d.metadata.name ?? '';
  const st = d.status ?? {};
  if ((st.observedGeneration ?? 0) < (d.metadata.generation ?? 1))
    return { message: 'Waiting for deployment spec update to be observed...', done: false };
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { message: `deployment "${name}" exceeded its progress deadline`, done: true, failed: true };
  const want = d.spec.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if (updated < want)
    return {
      message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...`,
      done: false,
    };
  if (total > updated)
    return {
      message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...`,
      done: false,
    };
  if (available < updated)
    return {
      message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
      done: false,
    };
  return { message: `deployment "${name}" successfully rolled out`, done: true };
}

/** kubectl's DaemonSetStatusViewer. */
export function daemonSetProgress(ds: DaemonSet): RolloutProgress {
  const name = ds.metadata.name ?? '';
  const st = ds.status;
  if (!st || (st.observedGeneration ?? 0) < (ds.metadata.generation ?? 1))
    return { message: 'Waiting for daemon set spec update to be observed...', done: false };
  const desired = st.desiredNumberScheduled;
  const updated = st.updatedNumberScheduled ?? 0;
  const available = st.numberAvailable ?? 0;
  if (updated < desired)
    return {
      message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
      done: false,
    };
  if (available < desired)
    return {
      message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`,
      done: false,
    };
  return { message: `daemon set "${name}" successfully rolled out`, done: true };
}

function progressOf(obj: KubeObject): RolloutProgress {
  return obj.kind === 'DaemonSet' ? daemonSetProgress(obj as DaemonSet) : deploymentProgress(obj as Deployment);
}

/** Follows a rollout; returns when it is over. `timeoutMs` 0 waits for ever; `watch` false looks once. */
export async function rolloutStatus(
  ctx: CliContext,
  type: ResourceKind,
  name: string,
  opts: { watch: boolean; timeoutMs: number },
): Promise<void> {
  if (type.kind !== 'Deployment' && type.kind !== 'DaemonSet')
    throw new UsageError(
      `rollout status is supported for deployments and daemonsets, not ${type.plural}`,
      'edgectl rollout status --help',
    );
  const ns = await ctx.namespace();
  const client = await ctx.client();
  const abort = new AbortController();
  const onAbort = (): void => abort.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const timer = opts.timeoutMs > 0 ? setTimeout(() => abort.abort(), opts.timeoutMs) : undefined;
  let last = '';
  const show = (p: RolloutProgress): boolean => {
    if (p.message !== last) {
      (p.failed ? ctx.err.bind(ctx) : ctx.out.bind(ctx))(p.failed ? `error: ${p.message}\n` : `${p.message}\n`);
      last = p.message;
    }
    if (p.failed) ctx.exitCode = 1;
    return p.done;
  };
  try {
    const first = await client.get(type, ns, name, ctx.signal);
    if (show(progressOf(first)) || !opts.watch) return;
    const events = client.watch(type, {
      namespace: ns,
      fieldSelector: `metadata.name=${name}`,
      resourceVersion: first.metadata.resourceVersion,
      signal: abort.signal,
    });
    for await (const ev of events) {
      if (ev.type === 'DELETED') throw new UsageError(`${type.singular} "${name}" was deleted`);
      if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') continue;
      if (show(progressOf(ev.object))) return;
    }
    if (timer && abort.signal.aborted && !ctx.signal.aborted) {
      ctx.err(`error: timed out waiting for the condition\n`);
      ctx.exitCode = 1;
    }
  } finally {
    if (timer) clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
  }
}
