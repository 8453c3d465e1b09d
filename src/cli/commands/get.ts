/** `edgectl get`: tables like kubectl's, `-o wide|json|yaml|name`, and `-w` to follow changes. */
import type { Command } from 'commander';
import type { KubeObject } from '../../api/index.js';
import { EdgeError } from '../../api/lite.js';
import { isServerError, withListContext } from '../client/errors.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
// The printers get uses, file by file: the printers' index also brings describe's.
import {
  OUTPUT_FORMATS,
  listOrObject,
  objectRef,
  sortForTable,
  tableHeader,
  tableRow,
  toJson,
  toYaml,
  type OutputFormat,
  type TableOptions,
} from '../printers/objects.js';
import { sortByField } from '../printers/sort-by.js';
import { renderTable as renderRows } from '../printers/table.js';
import { ALLOWED_OUTPUT_FORMATS, templatePrinter, type TemplatePrinter } from '../printers/template-output.js';
import { parseResourceArgs, type ResourceRequest } from './resources.js';
import type { GetFlags } from './get-flags.js';
export type { GetFlags } from './get-flags.js';
import { watchAndPrint } from './get-watch.js';

/** Validates `-o`. */
export function outputFormat(value: string | undefined, command: string): OutputFormat {
  const f = value ?? 'table';
  if ((OUTPUT_FORMATS as readonly string[]).includes(f)) return f as OutputFormat;
  throw new UsageError(
    `unable to match a printer suitable for the output format "${f}", allowed formats are: ${ALLOWED_OUTPUT_FORMATS.join(',')}`,
    `edgectl ${command} --help`,
  );
}

interface Fetched {
  req: ResourceRequest;
  objects: KubeObject[];
  resourceVersion: string | undefined;
}

/** kubectl's words for a list the hub refused (400) or does not have (404): which list, then why. */
function listFailure(err: unknown, type: ResourceRequest['type'], flags: GetFlags): unknown {
  if (!(isServerError(err) && (err.code === 'BadRequest' || err.code === 'NotFound'))) return err;
  const gvr = `${type.group}/${type.version}, Resource=${type.plural}`;
  const label = flags.selector ?? '';
  const field = flags.fieldSelector ?? '';
  return withListContext(
    err,
    label === '' && field === ''
      ? `Unable to list ${JSON.stringify(gvr)}`
      : `Unable to find ${JSON.stringify(gvr)} that match label selector ${JSON.stringify(label)}, field selector ${JSON.stringify(field)}`,
  );
}

async function fetch(
  ctx: CliContext,
  req: ResourceRequest,
  namespace: string | undefined,
  flags: GetFlags,
): Promise<Fetched> {
  const client = await ctx.client();
  const ns = req.type.namespaced ? namespace : undefined;
  if (req.names.length === 0) {
    const list = await client
      .list(req.type, {
        namespace: ns,
        labelSelector: flags.selector,
        fieldSelector: flags.fieldSelector,
        signal: ctx.signal,
      })
      .catch((err: unknown) => {
        throw listFailure(err, req.type, flags);
      });
    const objects = flags.sortBy ? sortByField(list.items, flags.sortBy) : sortForTable(req.type, list.items);
    return { req, objects, resourceVersion: list.metadata?.resourceVersion };
  }
  const objects: KubeObject[] = [];
  for (const name of req.names) {
    try {
      objects.push(await client.get(req.type, ns ?? (await ctx.namespace()), name, ctx.signal));
    } catch (err) {
      // kubectl prints what it found and reports each missing name.
      if (err instanceof EdgeError && err.code === 'NotFound') ctx.report(err);
      else throw err;
    }
  }
  return { req, objects, resourceVersion: undefined };
}

/** Runs `get`. */
export async function runGet(ctx: CliContext, args: string[], flags: GetFlags): Promise<void> {
  // jsonpath and custom-columns print through a template; the other formats are built in.
  const template = flags.output === undefined ? undefined : templatePrinter(flags.output, ctx.cwd);
  const format = template ? 'table' : outputFormat(flags.output, 'get');
  const requests = parseResourceArgs(args, 'get');
  if (flags.allNamespaces && requests.some((r) => r.names.length > 0)) {
    throw new UsageError('a resource cannot be retrieved by name across all namespaces', 'edgectl get --help');
  }
  if ((flags.watch || flags.watchOnly) && requests.length > 1) {
    throw new UsageError('you may only specify a single resource type when watching', 'edgectl get --help');
  }
  const namespace = flags.allNamespaces ? undefined : await ctx.namespace();
  const table: TableOptions = {
    now: ctx.now(),
    wide: format === 'wide',
    allNamespaces: flags.allNamespaces === true,
    withKind: requests.length > 1,
    showLabels: flags.showLabels === true,
  };
  const results: Fetched[] = [];
  for (const req of requests) results.push(await fetch(ctx, req, namespace, flags));

  if (!flags.watchOnly) printResults(ctx, results, format, table, flags, namespace, template);
  const first = results[0];
  if ((flags.watch || flags.watchOnly) && first)
    await watchAndPrint(ctx, first, namespace, format, table, flags, template);
}

function printResults(
  ctx: CliContext,
  results: readonly Fetched[],
  format: OutputFormat,
  table: TableOptions,
  flags: GetFlags,
  namespace: string | undefined,
  template: TemplatePrinter | undefined,
): void {
  const all = results.flatMap((r) => r.objects);
  const byName = results.length === 1 && (results[0]?.req.names.length ?? 0) === 1;
  if (template) {
    if (all.length > 0 || byName) ctx.out(template.print(all, byName, flags.headers !== false));
    else if (!flags.watch) ctx.err(noResources(results, namespace));
    return;
  }
  if (format === 'json') return ctx.out(toJson(listOrObject(all, byName)));
  if (format === 'yaml') return ctx.out(toYaml(listOrObject(all, byName)));
  if (format === 'name') {
    for (const r of results) for (const o of r.objects) ctx.out(`${objectRef(r.req.type, o.metadata.name ?? '')}\n`);
    return;
  }
  let printed = 0;
  for (const r of results) {
    if (r.objects.length === 0) continue;
    const rows = r.objects.map((o) => tableRow(r.req.type, o, table));
    if (flags.headers !== false) rows.unshift(tableHeader(r.req.type, table));
    if (printed > 0) ctx.out('\n');
    ctx.out(renderRows(rows));
    printed++;
  }
  const askedNames = results.some((r) => r.req.names.length > 0);
  if (printed === 0 && !askedNames && !flags.watch) ctx.err(noResources(results, namespace));
}

/** kubectl's note on stderr when a listing found nothing. */
function noResources(results: readonly Fetched[], namespace: string | undefined): string {
  const clusterScoped = results.every((r) => !r.req.type.namespaced);
  return namespace === undefined || clusterScoped
    ? 'No resources found\n'
    : `No resources found in ${namespace} namespace.\n`;
}

/** Registers `get` on the program. */
export function registerGet(program: Command, ctx: CliContext): void {
  program
    .command('get')
    .description('Display one or many resources')
    .argument('[resources...]', 'TYPE [NAME...] | TYPE/NAME... | TYPE1,TYPE2 | all')
    .option(
      '-o, --output <format>',
      'output format: json|yaml|name|wide|jsonpath=TEMPLATE|jsonpath-as-json=TEMPLATE|jsonpath-file=FILE|custom-columns=HEADER:PATH,...|custom-columns-file=FILE',
    )
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
    .option('--field-selector <selector>', 'field selector, e.g. spec.nodeName=pi-1')
    .option('-w, --watch', 'after listing, watch for changes')
    .option('--watch-only', 'watch for changes without listing first')
    .option('--no-headers', 'do not print headers')
    .option('--show-labels', 'show all labels as the last column')
    .option('--sort-by <jsonpath>', "sort lists by this field (a JSONPath expression, e.g. '{.metadata.name}')")
    .action(async (args: string[], flags: GetFlags) => runGet(ctx, args, flags));
}
