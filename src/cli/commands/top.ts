/**
 * `edgectl top nodes|pods`: resource usage from the hub's `metrics.k8s.io`, printed as `kubectl top`
 * prints it: CPU in millicores (rounded up), memory in MiB (rounded down), and for nodes the share of
 * their allocatable (truncated to whole percents).
 */
import type { Command } from 'commander';
import type { Node, NodeMetrics, PodMetrics, ResourceUsage } from '../../api/index.js';
import { EdgeError, parseQuantity, typeByKind } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { renderTable } from '../printers/index.js';

const NODE = typeByKind('v1', 'Node')!;
const UNKNOWN = '<unknown>';

export interface TopFlags {
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  containers?: boolean;
  headers?: boolean;
  sortBy?: string;
}

/** CPU cores and memory bytes of a usage. */
function amounts(u: ResourceUsage): { cpu: number; memory: number } {
  return { cpu: parseQuantity(u.cpu) ?? 0, memory: parseQuantity(u.memory) ?? 0 };
}

/** `250m`: millicores rounded up, as a Kubernetes Quantity's MilliValue. */
const millicores = (cores: number): string => `${Math.ceil(Math.round(cores * 1e9) / 1e6)}m`;
/** `123Mi`: whole MiB rounded down. */
const mebibytes = (bytes: number): string => `${Math.floor(bytes / 2 ** 20)}Mi`;
/** `6%` of `of`, truncated; `<unknown>` without a capacity. */
const percent = (used: number, of: number | undefined): string =>
  of === undefined || of <= 0 ? UNKNOWN : `${Math.trunc((used / of) * 100)}%`;

function sortKey(flags: TopFlags): 'cpu' | 'memory' | undefined {
  const by = flags.sortBy;
  if (by === undefined) return undefined;
  if (by === 'cpu' || by === 'memory') return by;
  throw new UsageError(`--sort-by accepts only cpu or memory, not "${by.slice(0, 40)}"`, 'edgectl top --help');
}

/** Prints the table, or kubectl's "No resources found" when nothing had metrics. */
function print(ctx: CliContext, header: string[], rows: string[][], flags: TopFlags, empty: string): void {
  if (rows.length === 0) return ctx.err(`${empty}\n`);
  ctx.out(renderTable(flags.headers === false ? rows : [header, ...rows]));
}

/** The hub answers 503 when it serves no metrics; said as kubectl says it. */
function metricsUnavailable(err: unknown): never {
  if (err instanceof EdgeError && err.code === 'ServiceUnavailable')
    throw new EdgeError(err.code, err.httpStatus, `Metrics API not available: ${err.message}`);
  throw err;
}

/** Runs `top nodes [NAME]`. */
export async function runTopNodes(ctx: CliContext, name: string | undefined, flags: TopFlags): Promise<void> {
  const by = sortKey(flags);
  const client = await ctx.client();
  const sel = { labelSelector: flags.selector, signal: ctx.signal };
  const metrics = await client
    .nodeMetrics({ ...sel, ...(name !== undefined ? { name } : {}) })
    .catch(metricsUnavailable);
  const nodes: Node[] =
    name !== undefined
      ? [await client.get<Node>(NODE, undefined, name, ctx.signal)]
      : (await client.list<Node>(NODE, sel)).items;
  const byName = new Map<string, NodeMetrics>(metrics.items.map((m) => [m.metadata.name, m]));
  const measured: Array<{ row: string[]; cpu: number; memory: number }> = [];
  const missing: string[][] = [];
  for (const node of nodes) {
    const nodeName = node.metadata.name ?? '';
    const m = byName.get(nodeName);
    if (!m) {
      missing.push([nodeName, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN]);
      continue;
    }
    const use = amounts(m.usage);
    const alloc = node.status?.allocatable ?? node.status?.capacity;
    const cpuOf = alloc?.cpu === undefined ? undefined : parseQuantity(alloc.cpu);
    const memOf = alloc?.memory === undefined ? undefined : parseQuantity(alloc.memory);
    const row = [
      nodeName,
      millicores(use.cpu),
      percent(use.cpu, cpuOf),
      mebibytes(use.memory),
      percent(use.memory, memOf),
    ];
    measured.push({ row, ...use });
  }
  if (by) measured.sort((a, b) => b[by] - a[by]);
  const rows = [...measured.map((m) => m.row), ...missing];
  print(ctx, ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)'], rows, flags, 'No resources found');
}

/** Runs `top pods [NAME]`. */
export async function runTopPods(ctx: CliContext, name: string | undefined, flags: TopFlags): Promise<void> {
  if (flags.allNamespaces && name !== undefined)
    throw new UsageError('a pod cannot be retrieved by name across all namespaces', 'edgectl top pods --help');
  const by = sortKey(flags);
  const namespace = flags.allNamespaces ? undefined : await ctx.namespace();
  const client = await ctx.client();
  const list = await client
    .podMetrics({
      namespace,
      labelSelector: flags.selector,
      fieldSelector: flags.fieldSelector,
      signal: ctx.signal,
      ...(name !== undefined ? { name } : {}),
    })
    .catch(metricsUnavailable);
  const withNs = (m: PodMetrics, row: string[]): string[] =>
    flags.allNamespaces ? [m.metadata.namespace ?? '', ...row] : row;
  const measured: Array<{ row: string[]; cpu: number; memory: number }> = [];
  for (const m of list.items) {
    if (flags.containers) {
      for (const c of m.containers) {
        const use = amounts(c.usage);
        measured.push({
          row: withNs(m, [m.metadata.name, c.name, millicores(use.cpu), mebibytes(use.memory)]),
          ...use,
        });
      }
      continue;
    }
    const use = m.containers
      .map((c) => amounts(c.usage))
      .reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), { cpu: 0, memory: 0 });
    measured.push({ row: withNs(m, [m.metadata.name, millicores(use.cpu), mebibytes(use.memory)]), ...use });
  }
  if (by) measured.sort((a, b) => b[by] - a[by]);
  const header = flags.containers
    ? ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']
    : ['NAME', 'CPU(cores)', 'MEMORY(bytes)'];
  const empty = namespace === undefined ? 'No resources found' : `No resources found in ${namespace} namespace.`;
  print(
    ctx,
    flags.allNamespaces ? ['NAMESPACE', ...header] : header,
    measured.map((m) => m.row),
    flags,
    empty,
  );
}

/** Registers `top nodes|pods` on the program. */
export function registerTop(program: Command, ctx: CliContext): void {
  const top = program.command('top').description('Display resource (CPU/memory) usage of nodes or pods');
  top
    .command('nodes')
    .alias('node')
    .alias('no')
    .description('Display resource (CPU/memory) usage of nodes')
    .argument('[name]', 'one node')
    .option('-l, --selector <selector>', 'label selector, e.g. zone=north')
    .option('--sort-by <field>', 'sort by cpu or memory')
    .option('--no-headers', 'do not print headers')
    .action(async (name: string | undefined, flags: TopFlags) => runTopNodes(ctx, name, flags));
  top
    .command('pods')
    .alias('pod')
    .alias('po')
    .description('Display resource (CPU/memory) usage of pods')
    .argument('[name]', 'one pod')
    .option('-A, --all-namespaces', 'across all namespaces')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web')
    .option('--field-selector <selector>', 'field selector, e.g. spec.nodeName=pi-1')
    .option('--containers', 'one line per container')
    .option('--sort-by <field>', 'sort by cpu or memory')
    .option('--no-headers', 'do not print headers')
    .action(async (name: string | undefined, flags: TopFlags) => runTopPods(ctx, name, flags));
}
