/**
 * Which module registers each top-level command, loaded only when it runs: edgectl's start-up cost is
 * module loading (bench/cli-startup.ts), so `edgectl get pods` loads `get` and what it imports, not
 * the other twenty-odd commands, their printers and parsers. Help, completion and an unknown command
 * load them all (the help lists them; commander suggests the nearest name).
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';

/** Adds one command (or a family: `label` and `annotate`) to the program. */
export type Register = (program: Command, ctx: CliContext) => void;

type Loader = () => Promise<Register>;

// One loader per module; several command names may share it.
const get: Loader = async () => (await import('./commands/get.js')).registerGet;
const describe: Loader = async () => (await import('./commands/describe.js')).registerDescribe;
const apply: Loader = async () => (await import('./commands/apply.js')).registerApply;
const create: Loader = async () => (await import('./commands/create.js')).registerCreate;
const runCmd: Loader = async () => (await import('./commands/run.js')).registerRun;
const expose: Loader = async () => (await import('./commands/expose.js')).registerExpose;
const del: Loader = async () => (await import('./commands/delete.js')).registerDelete;
const patch: Loader = async () => (await import('./commands/patch.js')).registerPatch;
const label: Loader = async () => (await import('./commands/label.js')).registerLabel;
const wait: Loader = async () => (await import('./commands/wait.js')).registerWait;
const logs: Loader = async () => (await import('./commands/logs.js')).registerLogs;
const exec: Loader = async () => (await import('./commands/exec.js')).registerExec;
const portForward: Loader = async () => (await import('./commands/port-forward.js')).registerPortForward;
const scale: Loader = async () => (await import('./commands/scale.js')).registerScale;
const autoscale: Loader = async () => (await import('./commands/autoscale.js')).registerAutoscale;
const top: Loader = async () => (await import('./commands/top.js')).registerTop;
const rollout: Loader = async () => (await import('./commands/rollout.js')).registerRollout;
const canary: Loader = async () => (await import('./commands/canary.js')).registerCanary;
const set: Loader = async () => (await import('./commands/set-image.js')).registerSet;
const nodeOps: Loader = async () => (await import('./commands/node-ops.js')).registerNodeOps;
const version: Loader = async () => (await import('./commands/version.js')).registerVersion;
const edit: Loader = async () => (await import('./commands/edit.js')).registerEdit;
const diff: Loader = async () => (await import('./commands/diff.js')).registerDiff;
const explain: Loader = async () => (await import('./commands/explain.js')).registerExplain;
const apiResources: Loader = async () => (await import('./commands/api-resources.js')).registerApiResources;
const clusterInfo: Loader = async () => (await import('./commands/cluster-info.js')).registerClusterInfo;
const config: Loader = async () => (await import('./commands/config.js')).registerConfig;
const auth: Loader = async () => (await import('./commands/auth.js')).registerAuth;
const token: Loader = async () => (await import('./commands/token.js')).registerToken;
const prepull: Loader = async () => (await import('./commands/prepull.js')).registerPrepull;
const completion: Loader = async () => (await import('./commands/completion.js')).registerCompletion;

/** Top-level command name → its module. `completion` walks the whole program, so it is not here. */
const BY_NAME: Readonly<Record<string, Loader>> = {
  get,
  describe,
  apply,
  create,
  run: runCmd,
  expose,
  delete: del,
  patch,
  label,
  annotate: label,
  wait,
  logs,
  exec,
  'port-forward': portForward,
  prepull,
  scale,
  autoscale,
  top,
  rollout,
  canary,
  set,
  cordon: nodeOps,
  uncordon: nodeOps,
  taint: nodeOps,
  drain: nodeOps,
  version,
  explain,
  diff,
  edit,
  'api-resources': apiResources,
  'cluster-info': clusterInfo,
  config,
  auth,
  token,
};

/** Every command's module once, in help order (`completion` last): help and completion register them all. */
const ALL: readonly Loader[] = [...new Set(Object.values(BY_NAME)), completion];

/** Global flags that take a value as the next argument (`-n demo get pods`). */
const GLOBAL_WITH_VALUE = new Set(['--server', '--token-file', '--config', '--context', '-n', '--namespace']);

/** The command name of `argv`: its first argument that is neither a flag nor a global flag's value. */
export function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') return argv[i + 1];
    if (!a.startsWith('-') || a === '-') return a;
    if (GLOBAL_WITH_VALUE.has(a)) i++;
  }
  return undefined;
}

/**
 * The registrations `argv` needs: the one module of its command, or all of them when the command is
 * help, completion, unknown or absent, or when help is asked for.
 */
export async function registrationsFor(argv: readonly string[]): Promise<Register[]> {
  const name = commandName(argv);
  const one = name === undefined ? undefined : BY_NAME[name];
  if (one && !argv.includes('--help') && !argv.includes('-h')) return [await one()];
  return Promise.all(ALL.map((load) => load()));
}
