/**
 * `edgectl autoscale TYPE/NAME --max=N [--min=N] [--cpu-percent=N] [--name=NAME]`, as kubectl's:
 * creates an autoscaling/v2 HorizontalPodAutoscaler for anything with a `scale` subresource. Without
 * `--cpu-percent` the hub's default metric applies (CPU at 80% of requests); without `--min`, 1.
 */
import type { Command } from 'commander';
import { apiVersionOf, typeByKind, type HorizontalPodAutoscaler } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { objectRef, toJson, toYaml } from '../printers/index.js';
import { parseResourceArgs } from './resources.js';

export interface AutoscaleFlags {
  min?: string;
  max?: string;
  cpuPercent?: string;
  name?: string;
  dryRun?: string;
  output?: string;
}

const HELP = 'edgectl autoscale --help';

function int(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`invalid ${flag} "${value}": must be a whole number of at least ${min}`, HELP);
  return n;
}

/** The HPA `autoscale` creates for `kind/name` (exported for tests). */
export function autoscalerFor(
  target: { apiVersion: string; kind: string; name: string },
  namespace: string,
  flags: AutoscaleFlags,
): HorizontalPodAutoscaler {
  const max = int(flags.max, '--max', 1);
  if (max === undefined) throw new UsageError('--max=MAXPODS is required', HELP);
  const min = int(flags.min, '--min', 0);
  if (min !== undefined && min > max) throw new UsageError(`--min (${min}) must not be more than --max (${max})`, HELP);
  const cpu = int(flags.cpuPercent, '--cpu-percent', 1);
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: flags.name ?? target.name, namespace },
    spec: {
      scaleTargetRef: { apiVersion: target.apiVersion, kind: target.kind, name: target.name },
      ...(min !== undefined ? { minReplicas: min } : {}),
      maxReplicas: max,
      ...(cpu !== undefined
        ? {
            metrics: [
              { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } },
            ],
          }
        : {}),
    },
  };
}

/** Runs `autoscale`. */
export async function runAutoscale(ctx: CliContext, args: string[], flags: AutoscaleFlags): Promise<void> {
  const dry = flags.dryRun ?? 'none';
  if (!['none', 'client'].includes(dry))
    throw new UsageError(`--dry-run must be "none" or "client", not "${dry}"`, HELP);
  if (flags.output !== undefined && !['yaml', 'json', 'name'].includes(flags.output))
    throw new UsageError(`-o must be yaml, json or name, not "${flags.output}"`, HELP);
  const requests = parseResourceArgs(args, 'autoscale');
  const hpaType = typeByKind('autoscaling/v2', 'HorizontalPodAutoscaler');
  if (!hpaType) throw new Error('HorizontalPodAutoscaler kind is not registered');
  const targets = requests.flatMap((r) => r.names.map((name) => ({ type: r.type, name })));
  if (targets.length !== 1) throw new UsageError('give exactly one resource to autoscale, e.g. deployment/web', HELP);
  const { type, name } = targets[0]!;
  if (!type.hasScale) throw new UsageError(`cannot autoscale a ${type.kind}: it has no /scale subresource`, HELP);
  const ns = ctx.globals.namespace ?? (await ctx.namespace());
  const hpa = autoscalerFor({ apiVersion: apiVersionOf(type), kind: type.kind, name }, ns, flags);
  const shown = dry === 'client' ? hpa : await (await ctx.client()).create(hpaType, hpa, { signal: ctx.signal });
  const ref = objectRef(hpaType, shown.metadata.name ?? '');
  if (flags.output === 'yaml') return ctx.out(toYaml(shown));
  if (flags.output === 'json') return ctx.out(toJson(shown));
  ctx.out(flags.output === 'name' ? `${ref}\n` : `${ref} autoscaled${dry === 'client' ? ' (dry run)' : ''}\n`);
}

/** Registers `autoscale` on the program. */
export function registerAutoscale(program: Command, ctx: CliContext): void {
  program
    .command('autoscale')
    .description('Create a HorizontalPodAutoscaler for a deployment, replica set or anything with a scale subresource')
    .argument('<resource...>', 'TYPE/NAME | TYPE NAME')
    .option('--min <n>', 'lower limit of replicas (default 1; 0 needs a request-rate metric, see the README)')
    .option('--max <n>', 'upper limit of replicas (required)')
    .option('--cpu-percent <n>', 'target average CPU utilization over all pods, in percent of requests (default 80)')
    .option('--name <name>', "name of the HorizontalPodAutoscaler (default: the target's name)")
    .option('--dry-run <mode>', 'client: print the object only')
    .option('-o, --output <format>', 'yaml | json | name')
    .action(async (args: string[], flags: AutoscaleFlags) => runAutoscale(ctx, args, flags));
}
