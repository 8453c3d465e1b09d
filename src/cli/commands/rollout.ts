/**
 * `edgectl rollout status|history|undo|pause|resume|restart TYPE/NAME`, kubectl's rollout verbs over
 * Deployments (status also for DaemonSets). History is the Deployment's ReplicaSets and their
 * `deployment.kubernetes.io/revision` annotations; undo copies a revision's template back.
 */
import type { Command } from 'commander';
import type { Deployment, PodTemplateSpec, ReplicaSet, ResourceKind } from '../../api/index.js';
import { parseDurationSeconds, typeByKind } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { objectRef } from '../printers/index.js';
import { parseResourceArgs } from './resources.js';
import { rolloutStatus } from './rollout-status.js';

const RS = typeByKind('apps/v1', 'ReplicaSet')!;
const REVISION = 'deployment.kubernetes.io/revision';
const CHANGE_CAUSE = 'kubernetes.io/change-cause';
const HASH = 'pod-template-hash';
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

function target(args: string[], verb: string): { type: ResourceKind; name: string } {
  const reqs = parseResourceArgs(args, `rollout ${verb}`);
  const r = reqs[0];
  const name = r?.names[0];
  if (!r || !name || reqs.length > 1 || r.names.length > 1)
    throw new UsageError(`give exactly one resource, e.g. deployment/web`, `edgectl rollout ${verb} --help`);
  if (verb !== 'status' && r.type.kind !== 'Deployment')
    throw new UsageError(
      `rollout ${verb} is supported for deployments, not ${r.type.plural}`,
      `edgectl rollout ${verb} --help`,
    );
  return { type: r.type, name };
}

/** The Deployment's ReplicaSets, by revision. */
async function revisions(ctx: CliContext, d: Deployment): Promise<Array<{ revision: number; rs: ReplicaSet }>> {
  const client = await ctx.client();
  const list = await client.list<ReplicaSet>(RS, { namespace: d.metadata.namespace, signal: ctx.signal });
  return list.items
    .filter((rs) => rs.metadata.ownerReferences?.some((o) => o.uid === d.metadata.uid))
    .map((rs) => ({ revision: Number(rs.metadata.annotations?.[REVISION] ?? '0'), rs }))
    .sort((a, b) => a.revision - b.revision);
}

function stripHash(t: PodTemplateSpec): PodTemplateSpec {
  const labels = { ...(t.metadata?.labels ?? {}) };
  delete labels[HASH];
  return { ...t, metadata: { ...(t.metadata ?? {}), labels } };
}

async function history(ctx: CliContext, args: string[], flags: { revision?: string }): Promise<void> {
  const { type, name } = target(args, 'history');
  const client = await ctx.client();
  const d = await client.get<Deployment>(type, await ctx.namespace(), name, ctx.signal);
  const revs = await revisions(ctx, d);
  if (flags.revision !== undefined) {
    const want = Number(flags.revision);
    const hit = revs.find((r) => r.revision === want);
    if (!hit) throw new UsageError(`unable to find the specified revision ${flags.revision}`);
    const t = hit.rs.spec.template;
    ctx.out(
      `${objectRef(type, name)} with revision #${want}\nPod Template:\n  Labels:\t${Object.entries(
        t.metadata?.labels ?? {},
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}\n`,
    );
    for (const c of t.spec.containers) ctx.out(`  Containers:\n   ${c.name}:\n    Image:\t${c.image}\n`);
    return;
  }
  ctx.out(`${objectRef(type, name)}\nREVISION  CHANGE-CAUSE\n`);
  for (const r of revs)
    ctx.out(`${String(r.revision).padEnd(10)}${r.rs.metadata.annotations?.[CHANGE_CAUSE] ?? '<none>'}\n`);
}

async function undo(ctx: CliContext, args: string[], flags: { toRevision?: string }): Promise<void> {
  const { type, name } = target(args, 'undo');
  const client = await ctx.client();
  const d = await client.get<Deployment>(type, await ctx.namespace(), name, ctx.signal);
  const revs = await revisions(ctx, d);
  let to = flags.toRevision === undefined ? 0 : Number(flags.toRevision);
  if (!Number.isInteger(to) || to < 0)
    throw new UsageError(`invalid --to-revision "${flags.toRevision}"`, 'edgectl rollout undo --help');
  if (to === 0) {
    // The previous revision: the highest one below the current (the newest).
    if (revs.length < 2) throw new UsageError(`no rollout history found for ${objectRef(type, name)}`);
    to = revs[revs.length - 2]!.revision;
  }
  const hit = revs.find((r) => r.revision === to);
  if (!hit) throw new UsageError(`unable to find specified revision ${to} in history`);
  const template = stripHash(hit.rs.spec.template);
  if (JSON.stringify(template) === JSON.stringify(stripHash(d.spec.template))) {
    ctx.out(`${objectRef(type, name)} skipped rollback (current template already matches revision ${to})\n`);
    return;
  }
  await client.update(type, { ...d, spec: { ...d.spec, template } }, ctx.signal);
  ctx.out(`${objectRef(type, name)} rolled back\n`);
}

async function mutate(ctx: CliContext, args: string[], verb: 'pause' | 'resume' | 'restart'): Promise<void> {
  const { type, name } = target(args, verb);
  const client = await ctx.client();
  const d = await client.get<Deployment>(type, await ctx.namespace(), name, ctx.signal);
  let next: Deployment;
  if (verb === 'restart') {
    const tpl = d.spec.template;
    const annotations = { ...(tpl.metadata?.annotations ?? {}), [RESTARTED_AT]: new Date(ctx.now()).toISOString() };
    next = { ...d, spec: { ...d.spec, template: { ...tpl, metadata: { ...(tpl.metadata ?? {}), annotations } } } };
  } else {
    const paused = verb === 'pause';
    if ((d.spec.paused ?? false) === paused) {
      throw new UsageError(`${objectRef(type, name)} is ${paused ? 'already paused' : 'not paused'}`);
    }
    next = { ...d, spec: { ...d.spec, paused } };
  }
  await client.update(type, next, ctx.signal);
  ctx.out(`${objectRef(type, name)} ${verb === 'pause' ? 'paused' : verb === 'resume' ? 'resumed' : 'restarted'}\n`);
}

/** Registers `rollout` and its subcommands. */
export function registerRollout(program: Command, ctx: CliContext): void {
  const rollout = program.command('rollout').description('Manage the rollout of a deployment');
  rollout
    .command('status')
    .description('Show the status of the rollout; exits 0 when complete, 1 when it exceeded its progress deadline')
    .argument('<resource...>', 'TYPE/NAME or TYPE NAME')
    .option('-w, --watch', 'watch the status until the rollout ends', true)
    .option('--no-watch', 'print the status once')
    .option('--timeout <duration>', 'give up after this long (e.g. 2m); 0 waits for ever', '0s')
    .action(async (args: string[], flags: { watch: boolean; timeout: string }) => {
      const seconds = parseDurationSeconds(flags.timeout);
      if (seconds === undefined)
        throw new UsageError(`invalid --timeout "${flags.timeout}"`, 'edgectl rollout status --help');
      const { type, name } = target(args, 'status');
      await rolloutStatus(ctx, type, name, { watch: flags.watch, timeoutMs: seconds * 1000 });
    });
  rollout
    .command('history')
    .description('View the revisions of a deployment')
    .argument('<resource...>', 'TYPE/NAME or TYPE NAME')
    .option('--revision <n>', 'show the details of one revision')
    .action(async (args: string[], flags: { revision?: string }) => history(ctx, args, flags));
  rollout
    .command('undo')
    .description('Roll back to the previous revision, or to --to-revision')
    .argument('<resource...>', 'TYPE/NAME or TYPE NAME')
    .option('--to-revision <n>', 'the revision to roll back to (default: the previous one)')
    .action(async (args: string[], flags: { toRevision?: string }) => undo(ctx, args, flags));
  for (const verb of ['pause', 'resume', 'restart'] as const) {
    rollout
      .command(verb)
      .description(
        verb === 'restart'
          ? 'Restart every pod of the deployment with a rolling update'
          : `${verb === 'pause' ? 'Pause' : 'Resume'} the rollout of a deployment`,
      )
      .argument('<resource...>', 'TYPE/NAME or TYPE NAME')
      .action(async (args: string[]) => mutate(ctx, args, verb));
  }
}
