/** `edgectl cluster-info`: where the hub is, checked with a request, in kubectl's wording. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/** Runs `cluster-info`. */
export async function runClusterInfo(ctx: CliContext): Promise<void> {
  const client = await ctx.client();
  // kubectl asks the server before it says it runs; an unreachable hub is the usual error.
  const v = await client.version(ctx.signal);
  const version = typeof v.gitVersion === 'string' ? ` (${v.gitVersion})` : '';
  ctx.out(`Edgeplane hub${version} is running at ${client.server}\n`);
  ctx.out(
    "\nTo further debug and diagnose cluster problems, use 'edgectl get nodes -o wide' and 'edgectl get events -A'.\n",
  );
}

/** Registers `cluster-info`. */
export function registerClusterInfo(program: Command, ctx: CliContext): void {
  program
    .command('cluster-info')
    .description('Display the address of the hub (the control plane)')
    .action(async () => runClusterInfo(ctx));
}
