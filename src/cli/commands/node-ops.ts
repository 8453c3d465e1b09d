/**
 * Node maintenance: `cordon`, `uncordon`, `taint` and `drain`, as kubectl does them. Drain moves pods
 * off a node while keeping each workload available: pods of one ReplicaSet are evicted one at a
 * time, the next only once a replacement is available elsewhere.
 */
import type { Command } from 'commander';
import type { Node, Pod, ReplicaSet, Taint } from '../../api/index.js';
import { isNotFound, parseDurationSeconds, typeByKind } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';

const NODE = typeByKind('v1', 'Node')!;
const POD = typeByKind('v1', 'Pod')!;
const RS = typeByKind('apps/v1', 'ReplicaSet')!;

async function setUnschedulable(ctx: CliContext, names: string[], on: boolean): Promise<void> {
  const client = await ctx.client();
  for (const name of names) {
    const node = await client.get<Node>(NODE, undefined, name, ctx.signal);
    if ((node.spec?.unschedulable ?? false) === on) {
      ctx.out(`node/${name} already ${on ? 'cordoned' : 'uncordoned'}\n`);
      continue;
    }
    await client.update(NODE, { ...node, spec: { ...(node.spec ?? {}), unschedulable: on } }, ctx.signal);
    ctx.out(`node/${name} ${on ? 'cordoned' : 'uncordoned'}\n`);
  }
}

/** Parses `key[=value]:Effect` (add) or `key[:Effect]-` (remove). */
export function parseTaint(spec: string): { remove: boolean; key: string; value?: string; effect?: Taint['effect'] } {
  const remove = spec.endsWith('-');
  const body = remove ? spec.slice(0, -1) : spec;
  const m = /^([^=:]+)(?:=([^:]*))?(?::(NoSchedule|PreferNoSchedule|NoExecute))?$/.exec(body);
  if (!m || (!remove && !m[3]))
    throw new UsageError(
      `invalid taint "${spec}": use key[=value]:NoSchedule|PreferNoSchedule|NoExecute, or key[:effect]- to remove`,
      'edgectl taint --help',
    );
  return {
    remove,
    key: m[1] ?? '',
    ...(m[2] !== undefined ? { value: m[2] } : {}),
    ...(m[3] ? { effect: m[3] as Taint['effect'] } : {}),
  };
}

async function taint(ctx: CliContext, args: string[]): Promise<void> {
  const [kind, name, ...specs] = args;
  if (!kind || !['node', 'nodes', 'no'].includes(kind) || !name || specs.length === 0)
    throw new UsageError(
      'usage: edgectl taint nodes NODE key[=value]:Effect ... | key[:Effect]-',
      'edgectl taint --help',
    );
  const client = await ctx.client();
  const node = await client.get<Node>(NODE, undefined, name, ctx.signal);
  let taints = [...(node.spec?.taints ?? [])];
  for (const s of specs.map(parseTaint)) {
    if (s.remove) {
      const before = taints.length;
      taints = taints.filter((t) => !(t.key === s.key && (s.effect === undefined || t.effect === s.effect)));
      if (taints.length === before) throw new UsageError(`taint "${s.key}${s.effect ? `:${s.effect}` : ''}" not found`);
    } else {
      taints = taints.filter((t) => !(t.key === s.key && t.effect === s.effect));
      taints.push({
        key: s.key,
        ...(s.value !== undefined ? { value: s.value } : {}),
        effect: s.effect!,
        ...(s.effect === 'NoExecute' ? { timeAdded: new Date(ctx.now()).toISOString().replace(/\.\d+Z$/, 'Z') } : {}),
      });
    }
  }
  await client.update(NODE, { ...node, spec: { ...(node.spec ?? {}), taints } }, ctx.signal);
  ctx.out(`node/${name} ${specs.every((s) => s.endsWith('-')) ? 'untainted' : 'tainted'}\n`);
}

interface DrainFlags {
  ignoreDaemonsets?: boolean;
  force?: boolean;
  gracePeriod?: string;
  timeout: string;
}

async function drain(ctx: CliContext, name: string, flags: DrainFlags): Promise<void> {
  const timeoutS = parseDurationSeconds(flags.timeout);
  if (timeoutS === undefined) throw new UsageError(`invalid --timeout "${flags.timeout}"`, 'edgectl drain --help');
  const deadline = ctx.now() + timeoutS * 1000;
  await setUnschedulable(ctx, [name], true);
  const client = await ctx.client();
  const pods = (
    await client.list<Pod>(POD, { fieldSelector: `spec.nodeName=${name}`, signal: ctx.signal })
  ).items.filter(
    (p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
  );
  const owner = (p: Pod): { kind: string; name: string } | undefined =>
    p.metadata.ownerReferences?.find((o) => o.controller);
  const daemons = pods.filter((p) => owner(p)?.kind === 'DaemonSet');
  const bare = pods.filter((p) => !owner(p));
  if (daemons.length > 0 && !flags.ignoreDaemonsets)
    throw new UsageError(
      `cannot delete DaemonSet-managed pods (use --ignore-daemonsets): ${daemons.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}`,
    );
  if (bare.length > 0 && !flags.force)
    throw new UsageError(
      `cannot delete pods that declare no controller (use --force): ${bare.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}`,
    );
  if (daemons.length > 0)
    ctx.err(
      `Warning: ignoring DaemonSet-managed pods: ${daemons.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}\n`,
    );
  // Group by owner: one group evicts one pod at a time; groups proceed side by side.
  const groups = new Map<string, Pod[]>();
  for (const p of pods.filter((q) => owner(q)?.kind !== 'DaemonSet')) {
    const o = owner(p);
    const key = o ? `${p.metadata.namespace}/${o.kind}/${o.name}` : `${p.metadata.namespace}/Pod/${p.metadata.name}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const grace = flags.gracePeriod === undefined ? undefined : Number(flags.gracePeriod);
  await Promise.all([...groups.entries()].map(([key, group]) => drainGroup(ctx, key, group, grace, deadline)));
  ctx.out(`node/${name} drained\n`);
}

async function drainGroup(
  ctx: CliContext,
  key: string,
  pods: Pod[],
  grace: number | undefined,
  deadline: number,
): Promise<void> {
  const client = await ctx.client();
  const [ns, kind, ownerName] = key.split('/') as [string, string, string];
  for (const pod of pods) {
    ctx.out(`evicting pod ${ns}/${pod.metadata.name}\n`);
    try {
      await client.delete(POD, ns, pod.metadata.name ?? '', {
        ...(grace !== undefined && grace >= 0 ? { gracePeriodSeconds: grace } : {}),
        signal: ctx.signal,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // Wait until the pod is gone and, for a ReplicaSet, until it is fully available again elsewhere.
    await waitUntil(ctx, deadline, `pod ${ns}/${pod.metadata.name} to be evicted`, async () => {
      try {
        const cur = await client.get<Pod>(POD, ns, pod.metadata.name ?? '', ctx.signal);
        if (cur.metadata.uid === pod.metadata.uid) return false;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      if (kind !== 'ReplicaSet') return true;
      const rs = await client.get<ReplicaSet>(RS, ns, ownerName, ctx.signal).catch(() => undefined);
      return !rs || (rs.status?.availableReplicas ?? 0) >= (rs.spec.replicas ?? 1);
    });
    ctx.out(`pod/${pod.metadata.name} evicted\n`);
  }
}

async function waitUntil(
  ctx: CliContext,
  deadline: number,
  what: string,
  check: () => Promise<boolean>,
): Promise<void> {
  for (;;) {
    if (await check()) return;
    if (ctx.signal.aborted) throw new UsageError(`interrupted while waiting for ${what}`);
    if (ctx.now() > deadline) throw new UsageError(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Registers `cordon`, `uncordon`, `taint` and `drain`. */
export function registerNodeOps(program: Command, ctx: CliContext): void {
  program
    .command('cordon')
    .description('Mark nodes unschedulable')
    .argument('<nodes...>')
    .action(async (names: string[]) => setUnschedulable(ctx, names, true));
  program
    .command('uncordon')
    .description('Mark nodes schedulable')
    .argument('<nodes...>')
    .action(async (names: string[]) => setUnschedulable(ctx, names, false));
  program
    .command('taint')
    .description(
      'Add or remove node taints: edgectl taint nodes pi-1 dedicated=edge:NoSchedule | dedicated:NoSchedule-',
    )
    .argument('<args...>', 'nodes NODE key[=value]:Effect... | key[:Effect]-')
    .action(async (args: string[]) => taint(ctx, args));
  program
    .command('drain')
    .description('Cordon a node and move its pods away, keeping each workload available')
    .argument('<node>')
    .option('--ignore-daemonsets', 'leave DaemonSet-managed pods in place')
    .option('--force', 'also delete pods no controller will replace')
    .option('--grace-period <seconds>', "pods' termination grace period (default: their own)")
    .option('--timeout <duration>', 'give up after this long', '5m')
    .action(async (name: string, flags: DrainFlags) => drain(ctx, name, flags));
}
