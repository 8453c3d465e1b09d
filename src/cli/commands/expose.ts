/**
 * `edgectl expose deploy|rs|ds|pod|svc/NAME --port=N [--target-port=P] [--type=ClusterIP|NodePort]
 * [--name=S] [--node-port=N]`: a Service selecting what the object selects (a pod: its labels), as
 * kubectl expose builds it; prints `service/NAME exposed`.
 */
import type { Command } from 'commander';
import { typeByName, type KubeObject, type ResourceKind } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { objectRef, toJson, toYaml } from '../printers/index.js';
import { dryRunMode, dryRunSuffix } from './dry-run.js';
import { parseResourceArgs } from './resources.js';

interface ExposeFlags {
  port?: string;
  targetPort?: string;
  type?: string;
  name?: string;
  nodePort?: string;
  dryRun?: string;
  output?: string;
}

const HELP = 'edgectl expose --help';

/** The labels a Service must select to reach what `obj` runs. */
function selectorOf(type: ResourceKind, obj: KubeObject): Record<string, string> {
  const o = obj as { spec?: { selector?: unknown } };
  if (type.kind === 'Pod') return obj.metadata.labels ?? {};
  if (type.kind === 'Service') return (o.spec?.selector ?? {}) as Record<string, string>;
  const sel = o.spec?.selector as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | undefined;
  if (sel?.matchExpressions?.length)
    throw new UsageError(
      `couldn't convert the selector of ${type.singular}/${obj.metadata.name ?? ''}: matchExpressions are not supported by Services`,
    );
  return sel?.matchLabels ?? {};
}

const port = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new UsageError(`invalid argument "${v}" for "${flag}" flag`, HELP);
  return n;
};

/** Runs `expose`. */
export async function runExpose(ctx: CliContext, args: string[], flags: ExposeFlags): Promise<void> {
  const [req, ...more] = parseResourceArgs(args, 'expose');
  const name = req?.names[0];
  if (!req || name === undefined || req.names.length > 1 || more.length > 0)
    throw new UsageError('expose takes one resource: TYPE NAME or TYPE/NAME', HELP);
  if (!['Deployment', 'ReplicaSet', 'DaemonSet', 'Pod', 'Service'].includes(req.type.kind))
    throw new UsageError(`cannot expose a ${req.type.kind}`, HELP);
  const type = flags.type ?? 'ClusterIP';
  if (type !== 'ClusterIP' && type !== 'NodePort')
    throw new UsageError(`--type must be ClusterIP or NodePort (the types the hub serves), not "${type}"`, HELP);
  const dryRun = dryRunMode(flags.dryRun, 'expose');
  const client = await ctx.client();
  const ns = await ctx.namespace();
  const obj = await client.get(req.type, req.type.namespaced ? ns : undefined, name, ctx.signal);
  const containerPort = (
    obj as { spec?: { template?: { spec?: { containers?: { ports?: { containerPort?: number }[] }[] } } } }
  ).spec?.template?.spec?.containers?.[0]?.ports?.[0]?.containerPort;
  const p = port(flags.port, '--port') ?? containerPort;
  if (p === undefined) throw new UsageError("couldn't find port via --port flag or introspection", HELP);
  const targetPort =
    flags.targetPort === undefined
      ? undefined
      : /^\d+$/.test(flags.targetPort)
        ? port(flags.targetPort, '--target-port')
        : flags.targetPort;
  const nodePort = port(flags.nodePort, '--node-port');
  const svcType = typeByName('services') as ResourceKind;
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: flags.name ?? name,
      namespace: ns,
      ...(obj.metadata.labels ? { labels: obj.metadata.labels } : {}),
    },
    spec: {
      ...(type === 'NodePort' ? { type } : {}),
      selector: selectorOf(req.type, obj),
      ports: [
        { protocol: 'TCP', port: p, targetPort: targetPort ?? p, ...(nodePort !== undefined ? { nodePort } : {}) },
      ],
    },
  } as KubeObject;
  const shown = dryRun === 'client' ? svc : await client.create(svcType, svc, { namespace: ns, signal: ctx.signal });
  if (flags.output === 'yaml') return ctx.out(toYaml(shown));
  if (flags.output === 'json') return ctx.out(toJson(shown));
  const ref = objectRef(svcType, shown.metadata.name ?? '');
  ctx.out(flags.output === 'name' ? `${ref}\n` : `${ref} exposed${dryRunSuffix(dryRun)}\n`);
}

/** Registers `expose`. */
export function registerExpose(program: Command, ctx: CliContext): void {
  program
    .command('expose')
    .description('Take a deployment, replica set, daemon set, pod or service and expose it as a new Service')
    .argument('<resource...>', 'TYPE NAME | TYPE/NAME')
    .option('--port <port>', 'the port the Service serves on (default: the first containerPort)')
    .option('--target-port <port>', "the pods' port (a number or a port name; default: --port)")
    .option('--type <type>', 'ClusterIP (default) or NodePort')
    .option('--node-port <port>', 'with --type=NodePort: the port on every node (default: allocated)')
    .option('--name <name>', "the name of the Service (default: the exposed object's)")
    .option('--dry-run [mode]', 'none (default), client or server')
    .option('-o, --output <format>', 'yaml, json or name')
    .action(async (args: string[], flags: ExposeFlags) => runExpose(ctx, args, flags));
}
