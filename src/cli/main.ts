/**
 * edgectl: kubectl's habits for Edgeplane. `run()` is the whole program with its surroundings
 * injected, so tests drive it in-process; `bin/edgectl.js` calls it with the real process.
 */
import { Command, CommanderError } from 'commander';
import { clientVersion } from './client-version.js';
import { registrationsFor, type Register } from './command-table.js';
import { CliContext, type CliIO, type GlobalFlags } from './context.js';
import { formatError } from './printers/errors.js';

export type { CliIO, TextSink } from './context.js';

function buildProgram(ctx: CliContext, registers: readonly Register[]): Command {
  const program = new Command('edgectl')
    .description("edgectl controls the Edgeplane hub: kubectl's verbs for WebAssembly-first edge workloads.")
    .option('--version', 'print the client version and exit')
    .option('--server <url>', 'hub URL (overrides EDGE_SERVER and the config file)')
    .option('--token-file <path>', 'file holding the bearer token (overrides EDGE_TOKEN and the config file)')
    .option('--config <path>', 'config file (default $EDGE_CONFIG or ~/.edge/config)')
    .option('--context <name>', 'context of the config file to use')
    .option('-n, --namespace <namespace>', 'namespace of this request')
    .configureOutput({
      writeOut: (s) => ctx.out(s),
      writeErr: (s) => ctx.err(s),
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .hook('preAction', (_this, action) => {
      ctx.setGlobals(action.optsWithGlobals<GlobalFlags>());
    });
  for (const register of registers) register(program, ctx);
  // Every command (and config's subcommands) says where to look after a usage error.
  const hint = (cmd: Command, path: string): void => {
    cmd.exitOverride().showHelpAfterError(`See '${path} --help' for usage.`);
    for (const sub of cmd.commands) hint(sub, `${path} ${sub.name()}`);
  };
  hint(program, 'edgectl');
  return program;
}

/**
 * Runs edgectl with `argv` (the arguments after the program name) and returns the exit code:
 * 0 on success, 1 on any error (printed to `io.stderr` the kubectl way, never as a stack trace).
 */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const ctx = new CliContext(io);
  try {
    // As `edgectl version --client`; answered before any command is loaded.
    if (argv[0] === '--version') {
      ctx.out(`Client Version: ${clientVersion()}\n`);
      return 0;
    }
    const program = buildProgram(ctx, await registrationsFor(argv));
    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the message already (help, version, or a usage error).
      return err.exitCode === 0 ? 0 : 1;
    }
    ctx.err(`${formatError(err)}\n`);
    return 1;
  } finally {
    await ctx.close();
  }
}
