/**
 * `edgectl exec POD|TYPE/NAME [-c CONTAINER] [--timeout 60s] -- COMMAND [ARGS...]`: runs a command in a pod's
 * container (non-interactive), prints its output and exits with its exit code, as kubectl does. For a
 * Wasm container the command runs as a fresh instance of the component (`wasi:cli/run`, the command as
 * arguments); for an OCI container, as a process inside it.
 */
import type { Command } from 'commander';
import { parseDurationSeconds } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { podFor } from './pods-of.js';

/** Runs `exec`. */
export async function runExec(
  ctx: CliContext,
  pod: string,
  command: string[],
  flags: { container?: string; timeout: string },
): Promise<void> {
  if (command.length === 0)
    throw new UsageError('you must specify at least one command for the container, after --', 'edgectl exec --help');
  const seconds = parseDurationSeconds(flags.timeout);
  // The API takes whole seconds, at most a day.
  if (seconds === undefined || seconds <= 0 || seconds > 86_400)
    throw new UsageError(`invalid --timeout "${flags.timeout}" (a duration up to 24h)`, 'edgectl exec --help');
  const client = await ctx.client();
  const ns = await ctx.namespace();
  // `deploy/NAME`, `job/NAME`, `svc/NAME`, …: one of the pods it selects, as kubectl picks it.
  const name = await podFor(ctx, client, ns, pod, 'exec');
  const r = await client.exec(ns, name, {
    command,
    timeoutSeconds: Math.ceil(seconds),
    signal: ctx.signal,
    ...(flags.container ? { container: flags.container } : {}),
  });
  if (r.stdout) ctx.out(r.stdout);
  if (r.stderr) ctx.err(r.stderr);
  if (r.exitCode !== 0) {
    ctx.err(`command terminated with exit code ${r.exitCode}\n`);
    ctx.exitCode = r.exitCode;
  }
}

/** Registers `exec`. */
export function registerExec(program: Command, ctx: CliContext): void {
  program
    .command('exec')
    .description('Run a command in a container: edgectl exec POD [-c CONTAINER] -- COMMAND [ARGS...]')
    .argument('<pod>', 'POD | TYPE/NAME (deployment, replicaset, daemonset, job, service: one of its pods)')
    .argument('[command...]', 'the command and its arguments, after --')
    .option('-c, --container <name>', 'the container (default: the first)')
    .option('--timeout <duration>', 'give up on the command after this long', '60s')
    .action(async (pod: string, command: string[], flags: { container?: string; timeout: string }) =>
      runExec(ctx, pod, command, flags),
    );
}
