/**
 * `edgectl patch TYPE NAME | TYPE/NAME -p PATCH | --patch-file FILE [--type strategic|merge|json]`:
 * the hub applies the patch (strategic merge by the kind's patch metadata, as kubectl's default).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { PatchType } from '../client/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { objectRef } from '../printers/index.js';
import { dryRunMode, dryRunSuffix } from './dry-run.js';
import { parseResourceArgs } from './resources.js';

interface PatchFlags {
  patch?: string;
  patchFile?: string;
  type: string;
  dryRun?: string;
}

const HELP = 'edgectl patch --help';
const TYPES: readonly PatchType[] = ['strategic', 'merge', 'json'];

/** Runs `patch`. */
export async function runPatch(ctx: CliContext, args: string[], flags: PatchFlags): Promise<void> {
  if (!(TYPES as readonly string[]).includes(flags.type))
    throw new UsageError(`--type must be one of [json merge strategic], not "${flags.type}"`, HELP);
  if ((flags.patch === undefined) === (flags.patchFile === undefined))
    throw new UsageError('must specify -p to patch (or --patch-file), but not both', HELP);
  const text = flags.patch ?? (await readFile(resolve(ctx.cwd, flags.patchFile ?? ''), 'utf8'));
  let body: unknown;
  try {
    // kubectl accepts the patch as JSON or YAML.
    body = parseYaml(text);
  } catch {
    throw new UsageError('unable to parse the patch: it must be JSON or YAML', HELP);
  }
  const dryRun = dryRunMode(flags.dryRun, 'patch');
  const requests = parseResourceArgs(args, 'patch');
  const client = await ctx.client();
  const ns = await ctx.namespace();
  for (const r of requests) {
    if (r.names.length === 0) throw new UsageError('resource(s) were provided, but no name was specified', HELP);
    for (const name of r.names) {
      const namespace = r.type.namespaced ? ns : undefined;
      const ref = objectRef(r.type, name);
      if (dryRun === 'client') {
        await client.get(r.type, namespace, name, ctx.signal);
        ctx.out(`${ref} patched${dryRunSuffix(dryRun)}\n`);
        continue;
      }
      const before = await client.get(r.type, namespace, name, ctx.signal);
      const after = await client.patch(r.type, namespace, name, body, {
        patchType: flags.type as PatchType,
        dryRun: dryRun === 'server',
        signal: ctx.signal,
      });
      const same = after.metadata.resourceVersion === before.metadata.resourceVersion && dryRun === 'none';
      ctx.out(`${ref} patched${same ? ' (no change)' : ''}${dryRunSuffix(dryRun)}\n`);
    }
  }
}

/** Registers `patch`. */
export function registerPatch(program: Command, ctx: CliContext): void {
  program
    .command('patch')
    .description('Update fields of a resource using strategic merge patch, a JSON merge patch, or a JSON patch')
    .argument('<resources...>', 'TYPE NAME | TYPE/NAME')
    .option('-p, --patch <patch>', 'the patch (JSON or YAML)')
    .option('--patch-file <file>', 'a file holding the patch')
    .option('--type <type>', 'the type of patch: json, merge or strategic', 'strategic')
    .option('--dry-run [mode]', 'none (default), client or server')
    .action(async (args: string[], flags: PatchFlags) => runPatch(ctx, args, flags));
}
