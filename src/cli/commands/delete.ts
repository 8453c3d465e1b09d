/** `edgectl delete TYPE NAME... | TYPE/NAME... | -f FILE | TYPE -l SELECTOR`. */
import type { Command } from 'commander';
import { EdgeError, RESOURCE_TYPES, resolveType, type ResourceType } from '../../api/index.js';
import type { PropagationPolicy } from '../client/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { loadManifests } from '../manifests/index.js';
import { kindNoun } from '../printers/index.js';
import { collect } from './apply.js';
import { parseResourceArgs } from './resources.js';

export interface DeleteFlags {
  filename?: string[];
  selector?: string;
  all?: boolean;
  cascade?: string;
  gracePeriod?: string;
  now?: boolean;
  ignoreNotFound?: boolean;
}

const CASCADE: Record<string, PropagationPolicy> = {
  background: 'Background',
  true: 'Background',
  orphan: 'Orphan',
  false: 'Orphan',
  foreground: 'Foreground',
};

/** Parses `--cascade` (kubectl also accepts the old true/false). */
export function cascadePolicy(value: string | undefined): PropagationPolicy | undefined {
  if (value === undefined) return undefined;
  const p = CASCADE[value.toLowerCase()];
  if (!p)
    throw new UsageError(
      `invalid --cascade value "${value}": must be background, orphan or foreground`,
      'edgectl delete --help',
    );
  return p;
}

function gracePeriod(flags: DeleteFlags): number | undefined {
  if (flags.now) return 1;
  if (flags.gracePeriod === undefined) return undefined;
  const n = Number(flags.gracePeriod);
  if (!Number.isInteger(n))
    throw new UsageError(`invalid --grace-period "${flags.gracePeriod}": must be an integer`, 'edgectl delete --help');
  // -1, kubectl's default, means "the object's own grace period".
  return n < 0 ? undefined : n;
}

interface Target {
  type: ResourceType;
  namespace: string | undefined;
  name: string;
}

async function targets(ctx: CliContext, args: string[], flags: DeleteFlags): Promise<Target[]> {
  const ns = await ctx.namespace();
  if (flags.filename && flags.filename.length > 0) {
    if (args.length > 0)
      throw new UsageError('give either -f or resources to delete, not both', 'edgectl delete --help');
    const manifests = await loadManifests(flags.filename, { cwd: ctx.cwd, readStdin: () => ctx.readStdin() });
    const found = manifests.map((m) => {
      const type = resolveType(m.raw);
      const meta = (m.raw as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
      if (typeof meta?.name !== 'string')
        throw new UsageError(`${m.source} (document ${m.document}): metadata.name is required to delete`);
      return {
        type,
        namespace: type.namespaced ? (typeof meta.namespace === 'string' ? meta.namespace : ns) : undefined,
        name: meta.name,
      };
    });
    // Dependents before what they live in: the reverse of apply's order (namespaces last).
    const rank = (t: Target): number => RESOURCE_TYPES.indexOf(t.type);
    return found
      .map((t, i) => ({ t, i }))
      .sort((a, b) => rank(b.t) - rank(a.t) || a.i - b.i)
      .map((x) => x.t);
  }
  const requests = parseResourceArgs(args, 'delete');
  const out: Target[] = [];
  const client = await ctx.client();
  for (const r of requests) {
    const namespace = r.type.namespaced ? ns : undefined;
    if (r.names.length > 0) {
      out.push(...r.names.map((name) => ({ type: r.type, namespace, name })));
      continue;
    }
    if (!flags.selector && !flags.all) {
      throw new UsageError(
        'resource(s) were provided, but no name was specified (give names, -l SELECTOR or --all)',
        'edgectl delete --help',
      );
    }
    const list = await client.list(r.type, { namespace, labelSelector: flags.selector, signal: ctx.signal });
    out.push(...list.items.map((o) => ({ type: r.type, namespace, name: o.metadata.name ?? '' })));
  }
  return out;
}

/** Runs `delete`. */
export async function runDelete(ctx: CliContext, args: string[], flags: DeleteFlags): Promise<void> {
  const propagationPolicy = cascadePolicy(flags.cascade);
  const gracePeriodSeconds = gracePeriod(flags);
  const list = await targets(ctx, args, flags);
  if (list.length === 0 && !flags.filename) {
    ctx.err(`No resources found\n`);
    return;
  }
  const client = await ctx.client();
  for (const t of list) {
    try {
      await client.delete(t.type, t.namespace, t.name, { propagationPolicy, gracePeriodSeconds, signal: ctx.signal });
      ctx.out(`${kindNoun(t.type)} "${t.name}" deleted\n`);
    } catch (err) {
      if (flags.ignoreNotFound && err instanceof EdgeError && err.code === 'NotFound') continue;
      ctx.report(err);
    }
  }
}

/** Registers `delete` on the program. */
export function registerDelete(program: Command, ctx: CliContext): void {
  program
    .command('delete')
    .description('Delete resources by file names, stdin, resources and names, or by label selector')
    .argument('[resources...]', 'TYPE NAME... | TYPE/NAME...')
    .option('-f, --filename <path>', 'manifest file, directory or - for stdin (repeatable)', collect)
    .option('-l, --selector <selector>', 'delete every object of TYPE matching the label selector')
    .option('--all', 'delete every object of TYPE in the namespace')
    .option('--cascade <policy>', 'background (default), orphan or foreground')
    .option('--grace-period <seconds>', 'seconds given to the workload to stop; 0 = immediately, -1 = its default')
    .option('--now', 'same as --grace-period=1')
    .option('--ignore-not-found', 'treat "not found" as a successful delete')
    .action(async (args: string[], flags: DeleteFlags) => runDelete(ctx, args, flags));
}
