/**
 * `edgectl port-forward TYPE/NAME [--address A,B] [LOCAL:]REMOTE ...`: kubectl's port-forward. The
 * pod is the one kubectl picks (a Service's or workload's first Running, Ready pod); a Service's port
 * becomes its target port in that pod. Local connections go to the pod's port over the hub's
 * port-forward stream (SPDY in a WebSocket, as kubectl ≥ 1.31 opens it), with kubectl's output
 * lines. Ctrl-C ends it (exit 0); a connection to the pod that broke ends it with kubectl's
 * `error: lost connection to pod` (exit 1).
 */
import type { Command } from 'commander';
import { parseDurationSeconds, type Service } from '../../api/index.js';
import { forward, parseAddresses, parsePorts } from '../client/port-forwarder.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { attachablePod } from './pods-of.js';
import { podPorts, servicePorts } from './port-forward-ports.js';

interface PortForwardFlags {
  address: string[];
  podRunningTimeout: string;
}

/** Runs `port-forward`; resolves when it ends (Ctrl-C), throws when the forward broke. */
export async function runPortForward(
  ctx: CliContext,
  target: string,
  portSpecs: string[],
  flags: PortForwardFlags,
): Promise<void> {
  if (portSpecs.length === 0)
    throw new UsageError('TYPE/NAME and list of ports are required for port-forward', 'edgectl port-forward --help');
  const seconds = parseDurationSeconds(flags.podRunningTimeout);
  if (seconds === undefined || seconds <= 0)
    throw new UsageError(`invalid --pod-running-timeout "${flags.podRunningTimeout}"`, 'edgectl port-forward --help');
  const addresses = parseAddresses(flags.address.flatMap((a) => a.split(',')).filter((a) => a !== ''));
  const client = await ctx.client();
  const ns = await ctx.namespace();
  const { pod, owner } = await attachablePod(ctx, client, ns, target, 'port-forward', seconds * 1000);
  const specs =
    owner?.type.kind === 'Service' ? servicePorts(portSpecs, owner.object as Service, pod) : podPorts(portSpecs, pod);
  const ports = parsePorts(specs);
  const name = pod.metadata.name ?? '';
  if (pod.status?.phase !== 'Running')
    throw new UsageError(
      `unable to forward port because pod is not running. Current status=${pod.status?.phase ?? ''}`,
    );
  const session = await client.portForward(ns, name);
  await forward(session, addresses, ports, { out: (t) => ctx.out(t), err: (t) => ctx.err(t) }, ctx.signal);
}

/** Registers `port-forward`. */
export function registerPortForward(program: Command, ctx: CliContext): void {
  program
    .command('port-forward')
    .description(
      'Forward one or more local ports to a pod: edgectl port-forward TYPE/NAME [LOCAL_PORT:]REMOTE_PORT [...]',
    )
    .argument('<type/name>', 'POD | TYPE/NAME (deployment, replicaset, daemonset, job, service: one of its pods)')
    .argument('[ports...]', '[LOCAL_PORT:]REMOTE_PORT: a number, or a port name (a service port name for svc/NAME)')
    .option(
      '--address <addresses>',
      'addresses to listen on (comma separated): IP addresses or localhost (127.0.0.1 and ::1)',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--pod-running-timeout <duration>', 'how long to wait for a pod of TYPE/NAME to exist', '1m')
    .action(async (target: string, ports: string[], flags: { address?: string[]; podRunningTimeout: string }) =>
      runPortForward(ctx, target, ports, {
        address: flags.address ?? ['localhost'],
        podRunningTimeout: flags.podRunningTimeout,
      }),
    );
}
