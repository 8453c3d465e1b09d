/** `edgectl describe TYPE [NAME...] | TYPE/NAME`: human-readable details with related events. */
import type { Command } from 'commander';
import {
  EdgeError,
  formatSelector,
  fromLabelSelector,
  typeByName,
  type Deployment,
  type Endpoints,
  type Event,
  type KubeObject,
  type Pod,
  type ReplicaSet,
  type ResourceKind,
} from '../../api/index.js';
import type { EdgeClient } from '../client/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { describeObject, type DescribeExtras } from '../printers/index.js';
import { parseResourceArgs } from './resources.js';

export interface DescribeFlags {
  selector?: string;
  allNamespaces?: boolean;
}

function kind(name: string): ResourceKind {
  const t = typeByName(name);
  if (!t) throw new Error(`the registry has no ${name} kind`);
  return t;
}

/** Related objects are decoration: a failure to fetch them must not hide the object itself. */
async function optional<T>(p: Promise<T>, fallback: T): Promise<T> {
  try {
    return await p;
  } catch {
    return fallback;
  }
}

/** Fetches events (by involvedObject name/kind, then uid) and the kind's related objects. */
async function extrasFor(
  client: EdgeClient,
  type: ResourceKind,
  obj: KubeObject,
  signal: AbortSignal,
): Promise<DescribeExtras> {
  const ns = obj.metadata.namespace;
  const name = obj.metadata.name ?? '';
  const evList = await optional(
    client.list<Event>(kind('events'), {
      namespace: type.namespaced ? ns : undefined,
      fieldSelector: `involvedObject.name=${name},involvedObject.kind=${type.kind}`,
      signal,
    }),
    { apiVersion: 'v1', kind: 'EventList', metadata: {}, items: [] },
  );
  // Events of an earlier object of the same name carry its uid: leave them out.
  const events = evList.items.filter(
    (e) => !e.involvedObject.uid || !obj.metadata.uid || e.involvedObject.uid === obj.metadata.uid,
  );
  const extras: DescribeExtras = { events };
  const empty = { apiVersion: 'v1', kind: 'List', metadata: {}, items: [] };
  if (type.kind === 'ReplicaSet' || type.kind === 'Deployment') {
    const selector = formatSelector(fromLabelSelector((obj as ReplicaSet | Deployment).spec.selector) ?? []);
    if (type.kind === 'ReplicaSet') {
      extras.pods = (
        await optional(client.list<Pod>(kind('pods'), { namespace: ns, labelSelector: selector, signal }), empty)
      ).items;
    } else {
      const rs = await optional(
        client.list<ReplicaSet>(kind('replicasets'), { namespace: ns, labelSelector: selector, signal }),
        empty,
      );
      extras.replicaSets = rs.items.filter((r) =>
        r.metadata.ownerReferences?.some(
          (o) => o.uid === obj.metadata.uid || (o.kind === 'Deployment' && o.name === name),
        ),
      );
    }
  } else if (type.kind === 'Service') {
    extras.endpoints = await optional(client.get<Endpoints>(kind('endpoints'), ns, name, signal), undefined);
  } else if (type.kind === 'Node') {
    extras.pods = (
      await optional(client.list<Pod>(kind('pods'), { fieldSelector: `spec.nodeName=${name}`, signal }), empty)
    ).items;
  }
  return extras;
}

/** The objects to describe for one request: by name (exact, else by name prefix as kubectl does) or all. */
async function objectsFor(
  ctx: CliContext,
  client: EdgeClient,
  type: ResourceKind,
  names: readonly string[],
  ns: string | undefined,
  flags: DescribeFlags,
): Promise<KubeObject[]> {
  if (names.length === 0) {
    return (await client.list(type, { namespace: ns, labelSelector: flags.selector, signal: ctx.signal })).items;
  }
  const out: KubeObject[] = [];
  for (const name of names) {
    try {
      out.push(await client.get(type, ns, name, ctx.signal));
    } catch (err) {
      if (!(err instanceof EdgeError && err.code === 'NotFound')) throw err;
      const matches = (await client.list(type, { namespace: ns, signal: ctx.signal })).items.filter((o) =>
        (o.metadata.name ?? '').startsWith(name),
      );
      if (matches.length === 0) ctx.report(err);
      out.push(...matches);
    }
  }
  return out;
}

/** Runs `describe`. */
export async function runDescribe(ctx: CliContext, args: string[], flags: DescribeFlags): Promise<void> {
  const requests = parseResourceArgs(args, 'describe');
  if (flags.allNamespaces && requests.some((r) => r.names.length > 0)) {
    throw new UsageError('a resource cannot be described by name across all namespaces', 'edgectl describe --help');
  }
  const namespace = flags.allNamespaces ? undefined : await ctx.namespace();
  const client = await ctx.client();
  let first = true;
  let found = 0;
  for (const r of requests) {
    const ns = r.type.namespaced ? namespace : undefined;
    for (const obj of await objectsFor(ctx, client, r.type, r.names, ns, flags)) {
      const extras = await extrasFor(client, r.type, obj, ctx.signal);
      if (!first) ctx.out('\n\n');
      ctx.out(describeObject(r.type, obj, extras, ctx.now()));
      first = false;
      found++;
    }
  }
  if (found === 0 && requests.every((r) => r.names.length === 0)) {
    ctx.err(namespace === undefined ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`);
  }
}

/** Registers `describe` on the program. */
export function registerDescribe(program: Command, ctx: CliContext): void {
  program
    .command('describe')
    .description('Show details of a specific resource or group of resources')
    .argument('<resources...>', 'TYPE [NAME...] | TYPE/NAME...')
    .option('-l, --selector <selector>', 'label selector')
    .option('-A, --all-namespaces', 'describe across all namespaces')
    .action(async (args: string[], flags: DescribeFlags) => runDescribe(ctx, args, flags));
}
