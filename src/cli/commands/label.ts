/**
 * `edgectl label` and `edgectl annotate`: `TYPE NAME... | TYPE/NAME... | TYPE -l SEL | TYPE --all`,
 * then `KEY=VALUE` to set and `KEY-` to remove; an existing different value needs `--overwrite`.
 * Sent as a JSON merge patch of `metadata.labels` / `metadata.annotations`.
 */
import type { Command } from 'commander';
import type { KubeObject, ResourceKind } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { objectRef } from '../printers/index.js';
import { dryRunMode, dryRunSuffix } from './dry-run.js';
import { parseResourceArgs } from './resources.js';

interface MetaFlags {
  overwrite?: boolean;
  selector?: string;
  all?: boolean;
  dryRun?: string;
  resourceVersion?: string;
}

type Field = 'labels' | 'annotations';

const VERB: Record<Field, { cmd: string; done: string; undone: string; none: string }> = {
  labels: { cmd: 'label', done: 'labeled', undone: 'unlabeled', none: 'not labeled' },
  annotations: { cmd: 'annotate', done: 'annotated', undone: 'annotated', none: 'annotated' },
};

/** Splits the arguments into resources and `KEY=VALUE` / `KEY-` changes. */
export function parseChanges(
  args: readonly string[],
  cmd: string,
): { resources: string[]; set: Map<string, string>; remove: string[] } {
  const resources: string[] = [];
  const set = new Map<string, string>();
  const remove: string[] = [];
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq > 0) {
      const key = a.slice(0, eq);
      if (set.has(key)) throw new UsageError(`can not modify "${key}" twice`, `edgectl ${cmd} --help`);
      set.set(key, a.slice(eq + 1));
    } else if (a.endsWith('-') && a.length > 1 && resources.length > 0) remove.push(a.slice(0, -1));
    else resources.push(a);
  }
  for (const k of remove)
    if (set.has(k)) throw new UsageError(`can not both modify and remove "${k}" in the same command`);
  if (set.size === 0 && remove.length === 0)
    throw new UsageError(`at least one ${cmd === 'label' ? 'label' : 'annotation'} update is required`);
  return { resources, set, remove };
}

async function targets(
  ctx: CliContext,
  resources: string[],
  flags: MetaFlags,
  cmd: string,
): Promise<{ type: ResourceKind; obj: KubeObject }[]> {
  const client = await ctx.client();
  const ns = await ctx.namespace();
  const out: { type: ResourceKind; obj: KubeObject }[] = [];
  for (const r of parseResourceArgs(resources, cmd)) {
    const namespace = r.type.namespaced ? ns : undefined;
    if (r.names.length > 0) {
      for (const name of r.names)
        out.push({ type: r.type, obj: await client.get(r.type, namespace, name, ctx.signal) });
      continue;
    }
    if (!flags.selector && !flags.all)
      throw new UsageError(`resource(s) were provided, but no name was specified`, `edgectl ${cmd} --help`);
    const list = await client.list(r.type, { namespace, labelSelector: flags.selector, signal: ctx.signal });
    out.push(...list.items.map((obj) => ({ type: r.type, obj })));
  }
  return out;
}

/** Runs `label` (field `labels`) or `annotate` (field `annotations`). */
export async function runMeta(ctx: CliContext, field: Field, args: string[], flags: MetaFlags): Promise<void> {
  const verb = VERB[field];
  const { resources, set, remove } = parseChanges(args, verb.cmd);
  const dryRun = dryRunMode(flags.dryRun, verb.cmd);
  const client = await ctx.client();
  for (const { type, obj } of await targets(ctx, resources, flags, verb.cmd)) {
    const current = obj.metadata[field] ?? {};
    const changes: Record<string, string | null> = {};
    for (const [k, v] of set) {
      const had = current[k];
      if (had !== undefined && had !== v && !flags.overwrite)
        throw new UsageError(`'${k}' already has a value (${had}), and --overwrite is false`);
      if (had !== v) changes[k] = v;
    }
    for (const k of remove) {
      if (current[k] !== undefined) changes[k] = null;
      // kubectl says so on stdout and carries on.
      else if (field === 'labels') ctx.out(`label "${k}" not found.\n`);
    }
    const ref = objectRef(type, obj.metadata.name ?? '');
    const removedOnly = Object.values(changes).every((v) => v === null);
    const msg = Object.keys(changes).length === 0 ? verb.none : removedOnly ? verb.undone : verb.done;
    if (Object.keys(changes).length > 0 && dryRun !== 'client') {
      const metadata: Record<string, unknown> = { [field]: changes };
      if (flags.resourceVersion) metadata.resourceVersion = flags.resourceVersion;
      await client.patch(
        type,
        obj.metadata.namespace,
        obj.metadata.name ?? '',
        { metadata },
        {
          patchType: 'merge',
          dryRun: dryRun === 'server',
          signal: ctx.signal,
        },
      );
    }
    ctx.out(`${ref} ${msg}${dryRunSuffix(dryRun)}\n`);
  }
}

function register(program: Command, ctx: CliContext, field: Field, description: string, example: string): void {
  const verb = VERB[field];
  program
    .command(verb.cmd)
    .description(description)
    .argument('<args...>', example)
    .option('--overwrite', `allow changing a ${field === 'labels' ? 'label' : 'annotation'} that has another value`)
    .option('-l, --selector <selector>', 'act on every object of TYPE matching this label selector')
    .option('--all', 'act on every object of TYPE in the namespace')
    .option('--resource-version <rv>', 'only change the object if it is still at this resourceVersion')
    .option('--dry-run [mode]', 'none (default), client or server')
    .action(async (args: string[], flags: MetaFlags) => runMeta(ctx, field, args, flags));
}

/** Registers `label` and `annotate`. */
export function registerLabel(program: Command, ctx: CliContext): void {
  register(
    program,
    ctx,
    'labels',
    'Update the labels on a resource',
    'TYPE NAME | TYPE/NAME ... KEY_1=VAL_1 ... KEY_N- (a trailing - removes the label)',
  );
  register(
    program,
    ctx,
    'annotations',
    'Update the annotations on a resource',
    'TYPE NAME | TYPE/NAME ... KEY_1=VAL_1 ... KEY_N- (a trailing - removes the annotation)',
  );
}
