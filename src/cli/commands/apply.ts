/**
 * `edgectl apply -f`: validate every manifest locally, upload local Wasm images, then server-side
 * apply each (namespaces first) as field manager `edgectl`, printing `created|configured|unchanged`;
 * with `--prune -l`, then delete what edgectl applied before and the files no longer name.
 */
import type { Command } from 'commander';
import { EdgeError, RESOURCE_TYPES } from '../../api/index.js';
import type { EdgeClient } from '../client/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { loadManifests, rewriteLocalImages, validateManifest, type ValidManifest } from '../manifests/index.js';
import { objectRef } from '../printers/index.js';
import { PRUNE_HELP, prune } from './apply-prune.js';

export interface ApplyFlags {
  filename?: string[];
  prune?: boolean;
  selector?: string;
  pruneAllowlist?: string[];
}

/** Collects repeatable `-f` values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

type Outcome = 'created' | 'configured' | 'unchanged';

/** The field manager edgectl applies as (server-side apply). */
export const EDGECTL_FIELD_MANAGER = 'edgectl';

/**
 * Applies one manifest with server-side apply as manager `edgectl`, forcing conflicts: the hub
 * merges it by field ownership (a field dropped from the manifest is removed, one another writer
 * owns alone is kept), and the manifest wins where it names a field (what edgectl apply always did).
 * The GET before only tells `configured` from `unchanged`.
 */
async function applyOne(client: EdgeClient, item: ValidManifest, signal: AbortSignal): Promise<Outcome> {
  const { type, object } = item;
  let before: string | undefined;
  try {
    before = (await client.get(type, object.metadata.namespace, object.metadata.name ?? '', signal)).metadata
      .resourceVersion;
  } catch (err) {
    if (!(err instanceof EdgeError && err.code === 'NotFound')) throw err;
  }
  const done = await client.apply(type, object, { fieldManager: EDGECTL_FIELD_MANAGER, force: true, signal });
  if (done.created) return 'created';
  return done.object.metadata.resourceVersion === before ? 'unchanged' : 'configured';
}

/** Runs `apply`. */
export async function runApply(ctx: CliContext, flags: ApplyFlags): Promise<void> {
  const files = flags.filename ?? [];
  if (files.length === 0) throw new UsageError('must specify one of -f or --filename', 'edgectl apply --help');
  if (flags.prune && !flags.selector)
    throw new UsageError(
      '--prune needs a label selector (-l): only the objects it selects are pruned',
      'edgectl apply --help',
    );
  if (!flags.prune && flags.pruneAllowlist?.length)
    throw new UsageError('--prune-allowlist is only for --prune', 'edgectl apply --help');
  const conn = await ctx.connection();
  const manifests = await loadManifests(files, { cwd: ctx.cwd, readStdin: () => ctx.readStdin() });
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
  await rewriteLocalImages(items, (path) => client.uploadBlob(path, ctx.signal));
  // Stable sort by the registry's order: namespaces first, pods after their workloads' services.
  const order = (i: ValidManifest): number => RESOURCE_TYPES.indexOf(i.type);
  const sorted = items.map((item, i) => ({ item, i })).sort((a, b) => order(a.item) - order(b.item) || a.i - b.i);
  let failed = false;
  for (const { item } of sorted) {
    try {
      const outcome = await applyOne(client, item, ctx.signal);
      ctx.out(`${objectRef(item.type, item.object.metadata.name ?? '')} ${outcome}\n`);
    } catch (err) {
      // One refused object does not stop the others (kubectl's behaviour); the exit code says it.
      ctx.report(err);
      failed = true;
    }
  }
  // As kubectl: nothing is pruned after a failed apply (the set on the hub is not what the files say).
  if (flags.prune && flags.selector && !failed)
    await prune(client, items, {
      selector: flags.selector,
      allowlist: flags.pruneAllowlist,
      manager: EDGECTL_FIELD_MANAGER,
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
    .option('--prune', PRUNE_HELP)
    .option('-l, --selector <selector>', 'label selector of the objects --prune considers')
    .option(
      '--prune-allowlist <group/version/Kind>',
      'a kind --prune considers, e.g. core/v1/ConfigMap (repeatable)',
      collect,
    )
    .action(async (flags: ApplyFlags) => runApply(ctx, flags));
}
