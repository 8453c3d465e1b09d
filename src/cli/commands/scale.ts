/** `edgectl scale TYPE/NAME --replicas=N` through the `/scale` subresource. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { objectRef } from '../printers/index.js';
import { parseResourceArgs } from './resources.js';

export interface ScaleFlags {
  replicas?: string;
  currentReplicas?: string;
}

function count(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`invalid ${flag} "${value}": must be a non-negative integer`, 'edgectl scale --help');
  return n;
}

/** Runs `scale`. */
export async function runScale(ctx: CliContext, args: string[], flags: ScaleFlags): Promise<void> {
  const replicas = count(flags.replicas, '--replicas');
  if (replicas === undefined) throw new UsageError('--replicas=COUNT is required', 'edgectl scale --help');
  const current = count(flags.currentReplicas, '--current-replicas');
  const requests = parseResourceArgs(args, 'scale');
  const ns = await ctx.namespace();
  const client = await ctx.client();
  for (const r of requests) {
    if (!r.type.hasScale)
      throw new UsageError(`${r.type.plural} cannot be scaled (no /scale subresource)`, 'edgectl scale --help');
    if (r.names.length === 0)
      throw new UsageError('give the name of what to scale, e.g. deployment/web', 'edgectl scale --help');
    for (const name of r.names) {
      try {
        let resourceVersion: string | undefined;
        if (current !== undefined) {
          const scale = await client.getScale(r.type, ns, name, ctx.signal);
          if ((scale.spec.replicas ?? 0) !== current) {
            throw new UsageError(`expected replicas to be ${current}, was ${scale.spec.replicas ?? 0}`);
          }
          resourceVersion = scale.metadata.resourceVersion;
        }
        await client.setScale(r.type, ns, name, replicas, { resourceVersion, signal: ctx.signal });
        ctx.out(`${objectRef(r.type, name)} scaled\n`);
      } catch (err) {
        ctx.report(err);
      }
    }
  }
}

/** Registers `scale` on the program. */
export function registerScale(program: Command, ctx: CliContext): void {
  program
    .command('scale')
    .description('Set a new size for a deployment or replica set')
    .argument('<resources...>', 'TYPE/NAME... | TYPE NAME...')
    .option('--replicas <count>', 'the new desired number of replicas')
    .option('--current-replicas <count>', 'precondition: only scale if the current size is this')
    .action(async (args: string[], flags: ScaleFlags) => runScale(ctx, args, flags));
}
