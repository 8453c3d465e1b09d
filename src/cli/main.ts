/**
 * edgectl: kubectl's habits for Edgeplane. `run()` is the whole program with its surroundings
 * injected, so tests drive it in-process; `bin/edgectl.js` calls it with the real process.
 */
import { Command, CommanderError } from 'commander';
import { registerApiResources } from './commands/api-resources.js';
import { registerApply } from './commands/apply.js';
import { registerAuth } from './commands/auth.js';
import { registerAutoscale } from './commands/autoscale.js';
import { registerClusterInfo } from './commands/cluster-info.js';
import { registerCompletion } from './commands/completion.js';
import { registerConfig } from './commands/config.js';
import { registerCreate } from './commands/create.js';
import { registerDelete } from './commands/delete.js';
import { registerDescribe } from './commands/describe.js';
import { registerExec } from './commands/exec.js';
import { registerExpose } from './commands/expose.js';
import { registerGet } from './commands/get.js';
import { registerLabel } from './commands/label.js';
import { registerLogs } from './commands/logs.js';
import { registerNodeOps } from './commands/node-ops.js';
import { registerPatch } from './commands/patch.js';
import { registerRollout } from './commands/rollout.js';
import { registerRun } from './commands/run.js';
import { registerScale } from './commands/scale.js';
import { registerSet } from './commands/set-image.js';
import { registerToken } from './commands/token.js';
import { registerTop } from './commands/top.js';
import { clientVersion, registerVersion } from './commands/version.js';
import { registerWait } from './commands/wait.js';
import { CliContext, type CliIO, type GlobalFlags } from './context.js';
import { formatError } from './printers/index.js';

export type { CliIO, TextSink } from './context.js';

function buildProgram(ctx: CliContext): Command {
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
  registerGet(program, ctx);
  registerDescribe(program, ctx);
  registerApply(program, ctx);
  registerCreate(program, ctx);
  registerRun(program, ctx);
  registerExpose(program, ctx);
  registerDelete(program, ctx);
  registerPatch(program, ctx);
  registerLabel(program, ctx);
  registerWait(program, ctx);
  registerLogs(program, ctx);
  registerExec(program, ctx);
  registerScale(program, ctx);
  registerAutoscale(program, ctx);
  registerTop(program, ctx);
  registerRollout(program, ctx);
  registerSet(program, ctx);
  registerNodeOps(program, ctx);
  registerVersion(program, ctx);
  registerApiResources(program, ctx);
  registerClusterInfo(program, ctx);
  registerConfig(program, ctx);
  registerAuth(program, ctx);
  registerToken(program, ctx);
  registerCompletion(program, ctx);
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
  const program = buildProgram(ctx);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    // As `edgectl version --client`; handled before parsing so no command is needed with it.
    if (argv[0] === '--version') {
      ctx.out(`Client Version: ${clientVersion()}\n`);
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
