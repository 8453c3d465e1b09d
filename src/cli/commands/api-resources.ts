/**
 * `edgectl api-resources`: the resources the hub serves, from its aggregated discovery (`/api` and
 * `/apis` as `apidiscovery.k8s.io/v2`, two requests), printed in kubectl's columns and order.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { renderTable } from '../printers/index.js';

const ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

const Discovery = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string().optional() }).optional(),
      versions: z.array(
        z.object({
          version: z.string(),
          resources: z.array(
            z.object({
              resource: z.string(),
              responseKind: z.object({ kind: z.string() }).optional(),
              scope: z.string(),
              verbs: z.array(z.string()).optional(),
              shortNames: z.array(z.string()).optional(),
              categories: z.array(z.string()).optional(),
            }),
          ),
        }),
      ),
    }),
  ),
});

/** One row of `api-resources`. */
export interface ApiResource {
  name: string;
  group: string;
  version: string;
  shortNames: readonly string[];
  namespaced: boolean;
  kind: string;
  verbs: readonly string[];
  categories: readonly string[];
}

interface Flags {
  output?: string;
  namespaced?: string;
  apiGroup?: string;
  headers?: boolean;
  sortBy?: string;
  verbs?: string;
}

/**
 * The hub's resources, kubectl's order (group, then name): each group's preferred (first listed)
 * version, then what only a later version serves (`referencegrants`, v1beta1 beside the Gateway API's
 * v1), as kubectl lists a group's resources once each.
 */
export async function discoverResources(ctx: CliContext): Promise<ApiResource[]> {
  const http = (await ctx.client()).http;
  const out: ApiResource[] = [];
  for (const path of ['/api', '/apis']) {
    const doc = await http.json(Discovery, 'GET', path, { accept: ACCEPT, signal: ctx.signal });
    for (const g of doc.items) {
      const seen = new Set<string>();
      for (const v of g.versions)
        for (const r of v.resources) {
          if (seen.has(r.resource)) continue;
          seen.add(r.resource);
          out.push({
            name: r.resource,
            group: g.metadata?.name ?? '',
            version: v.version,
            shortNames: r.shortNames ?? [],
            namespaced: r.scope === 'Namespaced',
            kind: r.responseKind?.kind ?? '',
            verbs: r.verbs ?? [],
            categories: r.categories ?? [],
          });
        }
    }
  }
  return out.sort((a, b) => (a.group === b.group ? (a.name < b.name ? -1 : 1) : a.group < b.group ? -1 : 1));
}

/** Runs `api-resources`. */
export async function runApiResources(ctx: CliContext, flags: Flags): Promise<void> {
  const format = flags.output ?? 'table';
  if (!['table', 'wide', 'name'].includes(format))
    throw new UsageError(`--output ${format} is not available: use wide or name`, 'edgectl api-resources --help');
  if (flags.namespaced !== undefined && flags.namespaced !== 'true' && flags.namespaced !== 'false')
    throw new UsageError(`invalid argument "${flags.namespaced}" for "--namespaced" flag`);
  let rows = await discoverResources(ctx);
  if (flags.namespaced !== undefined) rows = rows.filter((r) => r.namespaced === (flags.namespaced === 'true'));
  if (flags.apiGroup !== undefined) rows = rows.filter((r) => r.group === flags.apiGroup);
  if (flags.verbs) {
    const want = flags.verbs.split(',');
    rows = rows.filter((r) => want.every((v) => r.verbs.includes(v)));
  }
  if (flags.sortBy === 'kind') rows.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  if (format === 'name') {
    for (const r of rows) ctx.out(`${r.group === '' ? r.name : `${r.name}.${r.group}`}\n`);
    return;
  }
  const wide = format === 'wide';
  const table = rows.map((r) => [
    r.name,
    r.shortNames.join(','),
    r.group === '' ? r.version : `${r.group}/${r.version}`,
    String(r.namespaced),
    r.kind,
    ...(wide ? [`[${r.verbs.join(' ')}]`, r.categories.join(',')] : []),
  ]);
  if (flags.headers !== false)
    table.unshift(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', ...(wide ? ['VERBS', 'CATEGORIES'] : [])]);
  ctx.out(renderTable(table));
}

/** Registers `api-resources`. */
export function registerApiResources(program: Command, ctx: CliContext): void {
  program
    .command('api-resources')
    .description('Print the supported API resources on the server')
    .option('-o, --output <format>', 'wide or name')
    .option('--namespaced <bool>', 'true: only namespaced resources; false: only cluster-scoped ones')
    .option('--api-group <group>', "only this API group's resources ('' for the core group)")
    .option('--verbs <verbs>', 'only resources that support these verbs (comma-separated)')
    .option('--sort-by <field>', 'name (default) or kind')
    .option('--no-headers', 'do not print headers')
    .action(async (flags: Flags) => runApiResources(ctx, flags));
}
