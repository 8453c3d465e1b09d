/**
 * `edgectl run NAME --image=IMAGE [--labels=k=v,…] [--env=K=V]… [--port=N] [--restart=Always|OnFailure|Never]
 * [--command] [-- ARGS…]`: one pod, shaped as kubectl run shapes it (label `run=NAME`, container NAME;
 * the words after `--` are its args, or its command with `--command`).
 */
import type { Command } from 'commander';
import { typeByName, type KubeObject, type ResourceKind } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { common, finish, type CreateFlags } from './create-finish.js';

interface RunFlags extends CreateFlags {
  image?: string;
  labels?: string;
  env?: string[];
  port?: string;
  restart: string;
  command?: boolean;
}

const HELP = 'edgectl run --help';
const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

function pairs(text: string, flag: string): [string, string][] {
  return text.split(',').map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid ${flag} "${kv}": expected KEY=VALUE`, HELP);
    return [kv.slice(0, eq), kv.slice(eq + 1)];
  });
}

/** Runs `run`. */
export async function runRun(ctx: CliContext, name: string, args: string[], flags: RunFlags): Promise<void> {
  if (flags.image === undefined) throw new UsageError('required flag(s) "image" not set', HELP);
  if (!['Always', 'OnFailure', 'Never'].includes(flags.restart))
    throw new UsageError(`invalid restart policy: ${flags.restart}`, HELP);
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
    throw new UsageError(`invalid argument "${flags.port}" for "--port" flag`, HELP);
  const labels = Object.fromEntries(flags.labels ? pairs(flags.labels, '--labels') : [['run', name]]);
  const env = (flags.env ?? []).flatMap((e) => pairs(e, '--env')).map(([n, value]) => ({ name: n, value }));
  const container = {
    name,
    image: flags.image,
    ...(args.length > 0 ? (flags.command ? { command: args } : { args }) : {}),
    ...(env.length > 0 ? { env } : {}),
    ...(port !== undefined ? { ports: [{ containerPort: port }] } : {}),
  };
  const namespace =
    ctx.globals.namespace ??
    (flags.dryRun === 'client' ? await ctx.namespace().catch(() => 'default') : await ctx.namespace());
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    // kubectl run's pod spec: dnsPolicy ClusterFirst (Kubernetes' default) and the restart policy.
    spec: { containers: [container], dnsPolicy: 'ClusterFirst', restartPolicy: flags.restart },
  } as KubeObject;
  await finish(ctx, typeByName('pods') as ResourceKind, pod, flags);
}

/** Registers `run`. */
export function registerRun(program: Command, ctx: CliContext): void {
  common(program.command('run').description('Run a particular image on the cluster (one pod)'))
    .argument('<name>')
    .argument('[args...]', "the container's args (its command with --command), after --")
    .option('--image <image>', 'the image of the container')
    .option('-l, --labels <k=v,...>', 'labels of the pod (default run=NAME)')
    .option('--env <K=V>', 'an environment variable of the container (repeatable)', collect)
    .option('--port <port>', 'the containerPort the container exposes')
    .option('--restart <policy>', 'the restart policy of the pod: Always, OnFailure or Never', 'Always')
    .option('--command', 'the words after -- are the command, not args')
    .action(async (name: string, args: string[], flags: RunFlags) => runRun(ctx, name, args, flags));
}
