/** `edgectl version`: the client's version and the hub's `/version`. */
import type { Command } from 'commander';
import type { ServerVersion } from '../client/index.js';
import { clientVersion } from '../client-version.js';
import type { CliContext } from '../context.js';
import { toJson, toYaml } from '../printers/index.js';
import { outputFormat } from './get.js';

function serverLine(v: ServerVersion): string {
  if (typeof v.gitVersion === 'string') return v.gitVersion;
  if (typeof v.version === 'string') return v.version;
  return JSON.stringify(v);
}

/** Runs `version`. */
export async function runVersion(ctx: CliContext, flags: { output?: string; client?: boolean }): Promise<void> {
  const format = flags.output === undefined ? 'table' : outputFormat(flags.output, 'version');
  const client = { gitVersion: clientVersion(), platform: `${process.platform}/${process.arch}` };
  let server: ServerVersion | undefined;
  let failure: Error | undefined;
  if (!flags.client) {
    try {
      server = await (await ctx.client()).version(ctx.signal);
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
  }
  const doc = { clientVersion: client, ...(server ? { serverVersion: server } : {}) };
  if (format === 'json') ctx.out(toJson(doc));
  else if (format === 'yaml') ctx.out(toYaml(doc));
  else {
    ctx.out(`Client Version: ${client.gitVersion}\n`);
    if (server) ctx.out(`Server Version: ${serverLine(server)}\n`);
  }
  if (failure !== undefined) throw failure;
}

/** Registers `version` on the program. */
export function registerVersion(program: Command, ctx: CliContext): void {
  program
    .command('version')
    .description('Print the client and server version information')
    .option('-o, --output <format>', 'json or yaml')
    .option('--client', 'client version only (no hub needed)')
    .action(async (flags: { output?: string; client?: boolean }) => runVersion(ctx, flags));
}
