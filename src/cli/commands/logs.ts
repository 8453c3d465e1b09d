/** `edgectl logs POD|TYPE/NAME [CONTAINER] [-c C] [-f] [--tail N] [--previous] [--timestamps]`. */
import type { Command } from 'commander';
import {
  fromLabelSelector,
  formatSelector,
  typeByName,
  type Deployment,
  type Pod,
  type ReplicaSet,
} from '../../api/index.js';
import type { EdgeClient } from '../client/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { lookupType } from './resources.js';

export interface LogsFlags {
  container?: string;
  follow?: boolean;
  tail?: string;
  previous?: boolean;
  timestamps?: boolean;
}

/** Picks the pod to read for `deployment/x` or `rs/x`: a running one, the newest first. */
async function podOf(ctx: CliContext, client: EdgeClient, ns: string, kind: string, name: string): Promise<string> {
  const type = lookupType(kind, 'logs');
  if (type.kind === 'Pod') return name;
  if (type.kind !== 'Deployment' && type.kind !== 'ReplicaSet')
    throw new UsageError(
      `cannot read logs of ${type.plural}; give a pod, deployment or replicaset`,
      'edgectl logs --help',
    );
  const owner = await client.get<Deployment | ReplicaSet>(type, ns, name, ctx.signal);
  const podType = typeByName('pods');
  if (!podType) throw new Error('the registry has no pods kind');
  const selector = formatSelector(fromLabelSelector(owner.spec.selector) ?? []);
  const pods = (
    await client.list<Pod>(podType, { namespace: ns, labelSelector: selector, signal: ctx.signal })
  ).items.filter((p) => !p.metadata.deletionTimestamp);
  const rank = (p: Pod): number => (p.status?.phase === 'Running' ? 0 : 1);
  pods.sort(
    (a, b) =>
      rank(a) - rank(b) || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  );
  const chosen = pods[0]?.metadata.name;
  if (!chosen) throw new UsageError(`no pods found for ${type.singular}/${name} (selector ${selector})`);
  if (pods.length > 1) ctx.err(`Found ${pods.length} pods, using pod/${chosen}\n`);
  return chosen;
}

/** Runs `logs`. */
export async function runLogs(
  ctx: CliContext,
  target: string,
  containerArg: string | undefined,
  flags: LogsFlags,
): Promise<void> {
  const tailLines = flags.tail === undefined ? undefined : Number(flags.tail);
  if (tailLines !== undefined && !Number.isInteger(tailLines))
    throw new UsageError(`invalid --tail "${flags.tail}": must be an integer`, 'edgectl logs --help');
  if (flags.container && containerArg && flags.container !== containerArg) {
    throw new UsageError('give the container either as an argument or with -c, not both', 'edgectl logs --help');
  }
  const ns = await ctx.namespace();
  const client = await ctx.client();
  const slash = target.indexOf('/');
  const pod = slash > 0 ? await podOf(ctx, client, ns, target.slice(0, slash), target.slice(slash + 1)) : target;
  const stream = client.logs(ns, pod, {
    container: flags.container ?? containerArg,
    follow: flags.follow,
    // kubectl's --tail=-1 means all lines.
    tailLines: tailLines !== undefined && tailLines >= 0 ? tailLines : undefined,
    previous: flags.previous,
    timestamps: flags.timestamps,
    signal: ctx.signal,
  });
  for await (const chunk of stream) ctx.out(chunk);
}

/** Registers `logs` on the program. */
export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description('Print the logs of a container in a pod')
    .argument('<pod>', 'POD | deployment/NAME | replicaset/NAME')
    .argument('[container]', 'container name (same as -c)')
    .option('-c, --container <name>', "container to read (default: the pod's only or first container)")
    .option('-f, --follow', 'stream new lines until interrupted')
    .option('--tail <lines>', 'number of recent lines to show (-1 = all)')
    .option('-p, --previous', 'logs of the previous, terminated instance of the container')
    .option('--timestamps', 'prefix each line with its RFC 3339 timestamp')
    .action(async (target: string, container: string | undefined, flags: LogsFlags) =>
      runLogs(ctx, target, container, flags),
    );
}
