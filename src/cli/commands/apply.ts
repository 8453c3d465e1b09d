/**
 * `edgectl apply -f`: validate every manifest locally, upload local Wasm images, then server-side
 * apply each (namespaces first) as field manager `edgectl`, printing `created|configured|unchanged`;
 * with `--prune -l`, then delete what edgectl applied before and the files no longer name.
 */
import type { Command } from 'commander';
import { EdgeError, type KubeObject } from '../../api/index.js';
import { RESOURCE_KINDS } from '../../api/lite.js';
import type { EdgeClient } from '../client/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import {
  loadManifests,
  localDigest,
  rewriteLocalImages,
  validateManifest,
  type ValidManifest,
} from '../manifests/index.js';
import { objectRef } from '../printers/index.js';
import { PRUNE_HELP, prune } from './apply-prune.js';
import { dryRunMode, dryRunSuffix, type DryRun } from './dry-run.js';

export interface ApplyFlags {
  filename?: string[];
  recursive?: boolean;
  prune?: boolean;
  selector?: string;
  pruneAllowlist?: string[];
  dryRun?: string;
  serverSide?: boolean;
  forceConflicts?: boolean;
  fieldManager?: string;
}

const HELP = 'edgectl apply --help';

/** Collects repeatable `-f` values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

type Outcome = 'created' | 'configured' | 'unchanged' | 'serverside-applied';

/** The field manager edgectl applies as (server-side apply). */
export const EDGECTL_FIELD_MANAGER = 'edgectl';

/** What decides "unchanged": the object without the bookkeeping a write or a dry run moves. */
function comparable(obj: KubeObject): string {
  const metadata = { ...obj.metadata };
  delete metadata.resourceVersion;
  delete metadata.managedFields;
  delete metadata.generation;
  return JSON.stringify({ ...obj, metadata });
}

interface ApplyMode {
  dryRun: DryRun;
  serverSide: boolean;
  force: boolean;
  fieldManager: string;
}

/**
 * Applies one manifest with server-side apply: the hub merges it by field ownership (a field
 * dropped from the manifest is removed, one another writer owns alone is kept). Plain `apply`
 * forces conflicts, so the manifest wins where it names a field (what edgectl apply always did);
 * `--server-side` without `--force-conflicts` reports them, as kubectl does. The GET before only
 * tells `configured` from `unchanged` (and answers a client dry run).
 */
async function applyOne(
  client: EdgeClient,
  item: ValidManifest,
  mode: ApplyMode,
  signal: AbortSignal,
): Promise<Outcome> {
  const { type, object } = item;
  let before: KubeObject | undefined;
  try {
    before = await client.get(type, object.metadata.namespace, object.metadata.name ?? '', signal);
  } catch (err) {
    if (!(err instanceof EdgeError && err.code === 'NotFound')) throw err;
  }
  if (mode.dryRun === 'client') return before ? 'configured' : 'created';
  const done = await client.apply(type, object, {
    fieldManager: mode.fieldManager,
    force: mode.force,
    dryRun: mode.dryRun === 'server',
    signal,
  });
  if (mode.serverSide) return 'serverside-applied';
  if (done.created || !before) return 'created';
  if (mode.dryRun === 'server') return comparable(done.object) === comparable(before) ? 'unchanged' : 'configured';
  return done.object.metadata.resourceVersion === before.metadata.resourceVersion ? 'unchanged' : 'configured';
}

/** Runs `apply`. */
export async function runApply(ctx: CliContext, flags: ApplyFlags): Promise<void> {
  const files = flags.filename ?? [];
  if (files.length === 0) throw new UsageError('must specify one of -f or --filename', HELP);
  const dryRun = dryRunMode(flags.dryRun, 'apply');
  if (flags.prune && !flags.selector)
    throw new UsageError('--prune needs a label selector (-l): only the objects it selects are pruned', HELP);
  if (!flags.prune && flags.pruneAllowlist?.length) throw new UsageError('--prune-allowlist is only for --prune', HELP);
  if (flags.forceConflicts && !flags.serverSide)
    throw new UsageError('--force-conflicts only works with --server-side', HELP);
  const mode: ApplyMode = {
    dryRun,
    serverSide: flags.serverSide === true,
    force: flags.serverSide ? flags.forceConflicts === true : true,
    fieldManager: flags.fieldManager ?? EDGECTL_FIELD_MANAGER,
  };
  const conn = await ctx.connection();
  const manifests = await loadManifests(files, {
    cwd: ctx.cwd,
    readStdin: () => ctx.readStdin(),
    recursive: flags.recursive === true,
  });
  if (manifests.length === 0) throw new UsageError('no objects passed to apply');
  const items = manifests.map(validateManifest);
  for (const item of items) {
    if (!item.type.namespaced) {
      delete item.object.metadata.namespace;
      continue;
    }
    const ns = item.object.metadata.namespace;
    if (ns && conn.namespaceExplicit && ns !== conn.namespace) {
      throw new UsageError(
        `the namespace from the provided object "${ns}" does not match the namespace "${conn.namespace}". You must pass '--namespace=${ns}' to perform this operation.`,
      );
    }
    item.object.metadata.namespace = ns ?? conn.namespace;
  }
  const client = await ctx.client();
  // A dry run uploads nothing: its images name the digests an apply would upload (hashed here).
  await rewriteLocalImages(items, dryRun === 'none' ? (path) => client.uploadBlob(path, ctx.signal) : localDigest);
  // Applied in the registry's order (namespaces first, pods after their workloads' services), so
  // a file may name its namespace last; reported in file order, as kubectl reports.
  const order = (i: ValidManifest): number => RESOURCE_KINDS.indexOf(i.type);
  const sorted = items.map((item, i) => ({ item, i })).sort((a, b) => order(a.item) - order(b.item) || a.i - b.i);
  const results: ({ ok: Outcome } | { err: unknown })[] = [];
  for (const { item, i } of sorted) {
    try {
      results[i] = { ok: await applyOne(client, item, mode, ctx.signal) };
    } catch (err) {
      // One refused object does not stop the others (kubectl's behaviour); the exit code says it.
      results[i] = { err };
    }
  }
  let failed = false;
  items.forEach((item, i) => {
    const r = results[i];
    if (r && 'ok' in r)
      ctx.out(`${objectRef(item.type, item.object.metadata.name ?? '')} ${r.ok}${dryRunSuffix(dryRun)}\n`);
    else {
      ctx.report(r?.err);
      failed = true;
    }
  });
  // As kubectl: nothing is pruned after a failed apply (the set on the hub is not what the files say).
  // A dry run prunes nothing either.
  if (flags.prune && flags.selector && !failed && dryRun === 'none')
    await prune(client, items, {
      selector: flags.selector,
      allowlist: flags.pruneAllowlist,
      manager: mode.fieldManager,
      signal: ctx.signal,
      out: (line) => ctx.out(line),
    });
}

/** Registers `apply` on the program. */
export function registerApply(program: Command, ctx: CliContext): void {
  program
    .command('apply')
    .description('Apply a configuration to resources by file name, directory or stdin')
    .option('-f, --filename <path>', 'manifest file, directory of manifests, or - for stdin (repeatable)', collect)
    .option('-R, --recursive', 'also read the manifests in subdirectories of the -f directories')
    .option(
      '--dry-run [mode]',
      'none (default), client (print what would be sent) or server (the hub checks and merges, stores nothing)',
    )
    .option('--server-side', 'report as server-side apply does (edgectl always applies on the hub, by field ownership)')
    .option('--force-conflicts', 'with --server-side: take over fields other managers own')
    .option('--field-manager <name>', 'the field manager to apply as (default "edgectl")')
    .option('--prune', PRUNE_HELP)
    .option('-l, --selector <selector>', 'label selector of the objects --prune considers')
    .option(
      '--prune-allowlist <group/version/Kind>',
      'a kind --prune considers, e.g. core/v1/ConfigMap (repeatable)',
      collect,
    )
    .action(async (flags: ApplyFlags) => runApply(ctx, flags));
}
