/**
 * `edgectl exec POD|TYPE/NAME [-i] [-t] [-c CONTAINER] [--timeout 60s] -- COMMAND [ARGS...]`: runs a
 * command in a pod's container, prints its output and exits with its exit code, as kubectl does. For a
 * Wasm container the command runs as a fresh instance of the component (`wasi:cli/run`, the command as
 * arguments); for an OCI container, as a process inside it.
 *
 * Without -i/-t, one request that answers when the command ends (bounded by --timeout). With -i (stdin
 * streamed) or -it (a terminal: the local one in raw mode, its size sent at the start and on each
 * change), kubectl's streaming exec: output as it comes, no timeout, as kubectl has it.
 */
import type { Command } from 'commander';
import { parseDurationSeconds } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { podFor } from './pods-of.js';
import { RawTerminal, stdinIsTerminal } from './terminal.js';

interface ExecFlags {
  container?: string;
  timeout: string;
  stdin?: boolean;
  tty?: boolean;
}

/** Runs `exec`. */
export async function runExec(ctx: CliContext, pod: string, command: string[], flags: ExecFlags): Promise<void> {
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
  if (flags.stdin || flags.tty) return streamExec(ctx, ns, name, command, flags);
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

/** `exec -i`/`-it`: the streaming exec, with kubectl's rules for when a terminal is used. */
async function streamExec(
  ctx: CliContext,
  ns: string,
  name: string,
  command: string[],
  flags: ExecFlags,
): Promise<void> {
  const stdin = flags.stdin === true;
  // kubectl: -t without -i is dropped silently; -it with a stdin that is no terminal, with a warning.
  let tty = stdin && flags.tty === true;
  if (tty && !stdinIsTerminal(ctx.io)) {
    ctx.err('Unable to use a TTY - input is not a terminal or the right kind of file\n');
    tty = false;
  }
  const client = await ctx.client();
  const terminal = tty ? RawTerminal.enter(ctx.io) : undefined;
  let code: number;
  try {
    code = await client.execStream(
      ns,
      name,
      { command, container: flags.container, stdin, tty },
      {
        stdin: stdin ? ctx.io.stdin : undefined,
        stdout: ctx.io.stdout,
        stderr: ctx.io.stderr,
        sizes: terminal?.sizes,
        signal: ctx.signal,
      },
    );
  } finally {
    terminal?.restore();
    // A terminal never ends its input: stop reading it, or the process would wait on it after the command.
    if (terminal) (ctx.io.stdin as { destroy?: () => void }).destroy?.();
  }
  // Interrupted (Ctrl-C without a terminal, SIGTERM): the command was ended, not terminated by itself.
  if (code !== 0 && !ctx.signal.aborted) ctx.err(`command terminated with exit code ${code}\n`);
  ctx.exitCode = code;
}

/** Registers `exec`. */
export function registerExec(program: Command, ctx: CliContext): void {
  program
    .command('exec')
    .description('Run a command in a container: edgectl exec POD [-i] [-t] [-c CONTAINER] -- COMMAND [ARGS...]')
    .argument('<pod>', 'POD | TYPE/NAME (deployment, replicaset, daemonset, job, service: one of its pods)')
    .argument('[command...]', 'the command and its arguments, after --')
    .option('-c, --container <name>', 'the container (default: the first)')
    .option('-i, --stdin', 'pass stdin to the container (streamed as it comes)')
    .option('-t, --tty', 'stdin is a TTY: the local terminal goes raw and its size follows (with -i)')
    .option('--timeout <duration>', 'give up on the command after this long (without -i/-t)', '60s')
    .action(async (pod: string, command: string[], flags: ExecFlags) => runExec(ctx, pod, command, flags));
}
