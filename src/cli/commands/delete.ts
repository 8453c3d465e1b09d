/** `edgectl delete TYPE NAME... | TYPE/NAME... | -f FILE | TYPE -l SELECTOR`. */
import type { Command } from 'commander';
import { EdgeError, parseDurationSeconds, resolveType, type ResourceKind } from '../../api/index.js';
import { RESOURCE_KINDS } from '../../api/lite.js';
import type { PropagationPolicy } from '../client/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { loadManifests } from '../manifests/index.js';
import { kindNoun } from '../printers/index.js';
import { collect } from './apply.js';
import { parseResourceArgs } from './resources.js';
import { WaitTimeoutError, waitDeleted } from './wait-deleted.js';

export interface DeleteFlags {
  filename?: string[];
  selector?: string;
  all?: boolean;
  cascade?: string;
  gracePeriod?: string;
  now?: boolean;
  ignoreNotFound?: boolean;
  force?: boolean;
  /** `--wait` / `--wait=false` (commander hands the value as a string). */
  wait?: boolean | string;
  timeout?: string;
}

const HELP = 'edgectl delete --help';

/** kubectl's warning for an immediate deletion (`--force --grace-period=0`). */
export const FORCE_WARNING =
  'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.';

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
  if (flags.now) {
    if (flags.gracePeriod !== undefined)
      throw new UsageError('--now and --grace-period cannot be specified together', HELP);
    return 1;
  }
  if (flags.gracePeriod === undefined) return flags.force ? 0 : undefined;
  const n = Number(flags.gracePeriod);
  if (!Number.isInteger(n))
    throw new UsageError(`invalid --grace-period "${flags.gracePeriod}": must be an integer`, HELP);
  // -1, kubectl's default, means "the object's own grace period" (0 with --force).
  if (n < 0) return flags.force ? 0 : undefined;
  // As kubectl: 0 without --force becomes 1, so an accidental 0 does not skip the graceful stop.
  return n === 0 && !flags.force ? 1 : n;
}

/** `--wait` is on by default, as kubectl's `--wait=true`: `delete` returns once the objects are gone. */
function waitFlag(flags: DeleteFlags): boolean {
  if (flags.wait === undefined || flags.wait === true) return true;
  if (flags.wait === false || flags.wait === 'false') return false;
  if (flags.wait === 'true') return true;
  throw new UsageError(`invalid argument "${flags.wait}" for "--wait" flag: must be true or false`, HELP);
}

interface Target {
  type: ResourceKind;
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
    const rank = (t: Target): number => RESOURCE_KINDS.indexOf(t.type);
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
  const wait = waitFlag(flags);
  const timeout = flags.timeout === undefined ? 0 : parseDurationSeconds(flags.timeout);
  if (timeout === undefined) throw new UsageError(`invalid --timeout "${flags.timeout}": a duration such as 30s`, HELP);
  const list = await targets(ctx, args, flags);
  if (list.length === 0 && !flags.filename) {
    ctx.err(`No resources found\n`);
    return;
  }
  const client = await ctx.client();
  const immediate = gracePeriodSeconds === 0 && flags.force === true;
  if (immediate) ctx.err(`${FORCE_WARNING}\n`);
  const deleted: Target[] = [];
  for (const t of list) {
    try {
      await client.delete(t.type, t.namespace, t.name, { propagationPolicy, gracePeriodSeconds, signal: ctx.signal });
      ctx.out(`${kindNoun(t.type)} "${t.name}" ${immediate ? 'force deleted' : 'deleted'}\n`);
      deleted.push(t);
    } catch (err) {
      if (flags.ignoreNotFound && err instanceof EdgeError && err.code === 'NotFound') continue;
      ctx.report(err);
    }
  }
  if (wait && !immediate) await waitAll(ctx, deleted, timeout);
}

/** `--wait`: returns once every deleted object is gone (its finalizers and graceful stop done). */
async function waitAll(ctx: CliContext, deleted: readonly Target[], timeoutSeconds: number): Promise<void> {
  const client = await ctx.client();
  const deadline = timeoutSeconds > 0 ? AbortSignal.timeout(timeoutSeconds * 1000) : undefined;
  const signal = deadline ? AbortSignal.any([ctx.signal, deadline]) : ctx.signal;
  for (const t of deleted) {
    try {
      await waitDeleted(client, t.type, t.namespace, t.name, signal);
    } catch (err) {
      if (deadline?.aborted) throw new WaitTimeoutError(`${t.type.plural}/${t.name}`);
      throw err;
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
    .option('--grace-period <seconds>', 'seconds given to the workload to stop; -1 = its default; 0 = 1 unless --force')
    .option('--now', 'same as --grace-period=1')
    .option('--ignore-not-found', 'treat "not found" as a successful delete')
    .option('--force', 'remove the objects from the API at once, skipping graceful deletion (with --grace-period=0)')
    .option(
      '--wait [bool]',
      'wait until the objects are gone (finalizers run, pods stopped) before returning; --wait=false returns at once',
      true,
    )
    .option('--timeout <duration>', 'with --wait: give up after this long (0 = no limit)')
    .action(async (args: string[], flags: DeleteFlags) => runDelete(ctx, args, flags));
}
