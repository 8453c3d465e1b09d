/**
 * `edgectl create service clusterip|nodeport NAME --tcp=PORT[:TARGET]...`, shaped as kubectl's
 * generator shapes it: labels and selector `app: NAME`, one TCP port per `--tcp` named `PORT-TARGET`,
 * `--clusterip` (e.g. `None` for a headless Service) and `--node-port` for every port of a NodePort one.
 */
import type { Command } from 'commander';
import type { KubeObject } from '../../api/index.js';
import { kindByKind } from '../../api/lite.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { common, finish, type CreateFlags } from './create-finish.js';

interface ServiceFlags extends CreateFlags {
  tcp?: string[];
  clusterip?: string;
  nodePort?: string;
}

const HELP = 'edgectl create service --help';
const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), ...v.split(',')];

function portNumber(text: string, spec: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isInteger(n) || n < 1 || n > 65535)
    throw new UsageError(`invalid port "${text}" in --tcp=${spec}`, HELP);
  return n;
}

/** One `--tcp` value: `PORT` or `PORT:TARGET` (a number or a named container port). */
function servicePort(spec: string, nodePort: number | undefined): Record<string, unknown> {
  const [portText = '', target] = spec.split(':', 2);
  const port = portNumber(portText, spec);
  const targetPort =
    target === undefined || target === '' ? port : /^[0-9]+$/.test(target) ? portNumber(target, spec) : target;
  return {
    name: spec.replaceAll(':', '-'),
    port,
    protocol: 'TCP',
    targetPort,
    ...(nodePort !== undefined ? { nodePort } : {}),
  };
}

/** Runs `create service TYPE NAME`. */
export async function runCreateService(
  ctx: CliContext,
  type: 'ClusterIP' | 'NodePort',
  name: string,
  flags: ServiceFlags,
): Promise<void> {
  const tcp = flags.tcp ?? [];
  if (tcp.length === 0 && !(type === 'ClusterIP' && flags.clusterip === 'None'))
    throw new UsageError('at least one tcp port specifier must be provided', HELP);
  let nodePort: number | undefined;
  if (flags.nodePort !== undefined && flags.nodePort !== '0') {
    nodePort = Number(flags.nodePort);
    if (!Number.isInteger(nodePort) || nodePort < 0)
      throw new UsageError(`invalid argument "${flags.nodePort}" for "--node-port" flag`, HELP);
  }
  const namespace =
    ctx.globals.namespace ??
    (flags.dryRun === 'client' ? await ctx.namespace().catch(() => 'default') : await ctx.namespace());
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      ports: tcp.map((spec) => servicePort(spec, nodePort)),
      selector: { app: name },
      type,
      ...(flags.clusterip ? { clusterIP: flags.clusterip } : {}),
    },
  } as KubeObject;
  const kind = kindByKind('v1', 'Service');
  if (!kind) throw new Error('Service kind is not registered');
  await finish(ctx, kind, svc, flags);
}

/** Adds `service clusterip|nodeport` to `create`. */
export function registerCreateService(create: Command, ctx: CliContext): void {
  const service = create.command('service').alias('svc').description('Create a service using a specified subcommand');
  common(service.command('clusterip').description('Create a ClusterIP service'))
    .argument('<name>')
    .option('--tcp <port:targetPort>', 'port pairs, PORT[:TARGET] (repeatable, or comma-separated)', collect)
    .option('--clusterip <ip>', 'assign your own ClusterIP, or None for a headless service')
    .action(async (name: string, flags: ServiceFlags) => runCreateService(ctx, 'ClusterIP', name, flags));
  common(service.command('nodeport').description('Create a NodePort service'))
    .argument('<name>')
    .option('--tcp <port:targetPort>', 'port pairs, PORT[:TARGET] (repeatable, or comma-separated)', collect)
    .option('--node-port <port>', 'the port every node listens on (default: one allocated from 30000-32767)')
    .action(async (name: string, flags: ServiceFlags) => runCreateService(ctx, 'NodePort', name, flags));
}
