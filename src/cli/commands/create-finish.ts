/** What every `edgectl create` verb shares: its flags, `--dry-run`/`-o`, and creating or printing the object. */
import type { Command } from 'commander';
import type { KubeObject, ResourceKind } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { objectRef, toJson, toYaml } from '../printers/index.js';
import type { SourceFlags } from './create-sources.js';

/** Flags common to every `create` verb here. */
export interface CreateFlags extends SourceFlags {
  dryRun?: string;
  output?: string;
  type?: string;
  dockerServer?: string;
  dockerUsername?: string;
  dockerPassword?: string;
  dockerEmail?: string;
  cert?: string;
  key?: string;
}

/** Creates `obj` (or, with `--dry-run=client`, only prints it) and says so as kubectl does. */
export async function finish(ctx: CliContext, type: ResourceKind, obj: KubeObject, flags: CreateFlags): Promise<void> {
  const dry = flags.dryRun ?? 'none';
  if (!['none', 'client'].includes(dry))
    throw new UsageError(`--dry-run must be "none" or "client", not "${dry}"`, 'edgectl create --help');
  const out = flags.output;
  if (out !== undefined && !['yaml', 'json', 'name'].includes(out))
    throw new UsageError(`-o must be yaml, json or name, not "${out}"`, 'edgectl create --help');
  const shown = dry === 'client' ? obj : await (await ctx.client()).create(type, obj, { signal: ctx.signal });
  const ref = objectRef(type, shown.metadata.name ?? '');
  if (out === 'yaml') return ctx.out(toYaml(shown));
  if (out === 'json') return ctx.out(toJson(shown));
  ctx.out(out === 'name' ? `${ref}\n` : `${ref} created${dry === 'client' ? ' (dry run)' : ''}\n`);
}

/** `--dry-run` and `-o` of every `create` verb. */
export function common(cmd: Command): Command {
  return cmd
    .option('--dry-run <mode>', '"client": only print the object that would be sent', 'none')
    .option('-o, --output <format>', 'yaml, json or name');
}
