/**
 * `edgectl logs POD|TYPE/NAME [CONTAINER] | -l SELECTOR` with kubectl's flags: `-c`, `-f`, `--tail`,
 * `-p`, `--timestamps`, `--since`, `--since-time`, `--prefix`, `--max-log-requests`.
 */
import type { Command } from 'commander';
import { parseDurationSeconds, type Pod } from '../../api/index.js';
import type { EdgeClient, LogOptions } from '../client/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { podFor, podType } from './pods-of.js';

export interface LogsFlags {
  container?: string;
  follow?: boolean;
  tail?: string;
  previous?: boolean;
  timestamps?: boolean;
  selector?: string;
  since?: string;
  sinceTime?: string;
  prefix?: boolean;
  maxLogRequests?: string;
}

const HELP = 'edgectl logs --help';

function integer(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`invalid ${flag} "${value}": must be an integer`, HELP);
  return n;
}

/** The query every stream shares (tail, since, …); kubectl's --tail defaults to 10 with a selector. */
function logOptions(ctx: CliContext, flags: LogsFlags, container: string | undefined): LogOptions {
  const tail = flags.tail === undefined ? (flags.selector ? 10 : -1) : integer(flags.tail, '--tail');
  if (flags.since !== undefined && flags.sinceTime !== undefined)
    throw new UsageError('at most one of `sinceTime` or `sinceSeconds` may be specified', HELP);
  let sinceSeconds: number | undefined;
  if (flags.since !== undefined) {
    const s = parseDurationSeconds(flags.since);
    if (s === undefined || s <= 0)
      throw new UsageError(
        `invalid argument "${flags.since}" for "--since" flag: a duration such as 5s, 2m or 3h`,
        HELP,
      );
    sinceSeconds = Math.ceil(s);
  }
  if (flags.sinceTime !== undefined && Number.isNaN(Date.parse(flags.sinceTime)))
    throw new UsageError(`invalid argument "${flags.sinceTime}" for "--since-time": an RFC 3339 time`, HELP);
  return {
    container,
    follow: flags.follow,
    // kubectl's --tail=-1 means all lines.
    tailLines: tail >= 0 ? tail : undefined,
    previous: flags.previous,
    timestamps: flags.timestamps,
    sinceSeconds,
    sinceTime: flags.sinceTime,
    signal: ctx.signal,
  };
}

/** Copies one pod's log to stdout, each line prefixed `[pod/NAME/CONTAINER] ` when `prefix` is set. */
async function copyLog(
  ctx: CliContext,
  client: EdgeClient,
  ns: string,
  pod: string,
  opts: LogOptions,
  prefix: string | undefined,
): Promise<void> {
  let partial = '';
  for await (const chunk of client.logs(ns, pod, opts)) {
    if (prefix === undefined) {
      ctx.out(chunk);
      continue;
    }
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) ctx.out(`${prefix}${line}\n`);
  }
  if (prefix !== undefined && partial !== '') ctx.out(`${prefix}${partial}\n`);
}

/** `logs -l`: every matching pod's log; followed streams run side by side, up to --max-log-requests. */
async function logsBySelector(ctx: CliContext, client: EdgeClient, ns: string, flags: LogsFlags): Promise<void> {
  const opts = logOptions(ctx, flags, flags.container);
  const max = flags.maxLogRequests === undefined ? 5 : integer(flags.maxLogRequests, '--max-log-requests');
  const pods = (await client.list<Pod>(podType(), { namespace: ns, labelSelector: flags.selector, signal: ctx.signal }))
    .items;
  if (pods.length === 0) {
    ctx.err(`No resources found in ${ns} namespace.\n`);
    return;
  }
  if (flags.follow && pods.length > max)
    throw new UsageError(
      `you are attempting to follow ${pods.length} log streams, but maximum allowed concurrency is ${max}, use --max-log-requests to increase the limit`,
    );
  const prefixOf = (p: Pod): string | undefined =>
    flags.prefix ? `[pod/${p.metadata.name ?? ''}/${flags.container ?? p.spec.containers[0]?.name ?? ''}] ` : undefined;
  const one = (p: Pod): Promise<void> =>
    copyLog(ctx, client, ns, p.metadata.name ?? '', opts, prefixOf(p)).catch((err: unknown) => ctx.report(err));
  if (flags.follow) await Promise.all(pods.map(one));
  else for (const p of pods) await one(p);
}

/** Runs `logs`. */
export async function runLogs(
  ctx: CliContext,
  target: string | undefined,
  containerArg: string | undefined,
  flags: LogsFlags,
): Promise<void> {
  if (flags.container && containerArg && flags.container !== containerArg) {
    throw new UsageError('give the container either as an argument or with -c, not both', HELP);
  }
  const ns = await ctx.namespace();
  const client = await ctx.client();
  if (flags.selector !== undefined) {
    if (target !== undefined) throw new UsageError('only one of -l or a pod name may be given', HELP);
    return logsBySelector(ctx, client, ns, flags);
  }
  if (target === undefined) throw new UsageError('expected POD or TYPE/NAME (or -l SELECTOR)', HELP);
  const container = flags.container ?? containerArg;
  const opts = logOptions(ctx, flags, container);
  const pod = await podFor(ctx, client, ns, target, 'logs');
  let prefix: string | undefined;
  if (flags.prefix) {
    const shown = container ?? (await client.get<Pod>(podType(), ns, pod, ctx.signal)).spec.containers[0]?.name;
    prefix = `[pod/${pod}/${shown ?? ''}] `;
  }
  await copyLog(ctx, client, ns, pod, opts, prefix);
}

/** Registers `logs` on the program. */
export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description('Print the logs for a container in a pod')
    .argument('[pod]', 'POD | TYPE/NAME (deployment, replicaset, daemonset, job, service)')
    .argument('[container]', 'container name (same as -c)')
    .option('-c, --container <name>', "container to read (default: the pod's only or first container)")
    .option('-l, --selector <selector>', 'read the logs of every pod matching this label selector')
    .option('-f, --follow', 'stream new lines until interrupted')
    .option('--tail <lines>', 'number of recent lines to show (default -1, all; 10 with a selector)')
    .option('--since <duration>', 'only lines newer than this, e.g. 5s, 2m or 3h')
    .option('--since-time <time>', 'only lines from this RFC 3339 time on')
    .option('-p, --previous', 'logs of the previous, terminated instance of the container')
    .option('--timestamps', 'prefix each line with its RFC 3339 timestamp')
    .option('--prefix', 'prefix each line with its source ([pod/NAME/CONTAINER])')
    .option('--max-log-requests <n>', 'with -l and -f: the most streams followed at once (default 5)')
    .action(async (target: string | undefined, container: string | undefined, flags: LogsFlags) =>
      runLogs(ctx, target, container, flags),
    );
}
