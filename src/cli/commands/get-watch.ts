/** `get -w`: after the first listing, one line (or document) per change until Ctrl-C. */
import type { KubeObject } from '../../api/index.js';
import { EdgeError } from '../../api/lite.js';
import type { CliContext } from '../context.js';
import {
  objectRef,
  tableHeader,
  tableRow,
  toJson,
  toYaml,
  withoutManagedFields,
  type OutputFormat,
  type TableOptions,
} from '../printers/objects.js';
import { columnWidths, formatRow } from '../printers/table.js';
import type { TemplatePrinter } from '../printers/template-output.js';
import type { GetFlags } from './get-flags.js';
import type { ResourceRequest } from './resources.js';

interface Listed {
  req: ResourceRequest;
  objects: KubeObject[];
  resourceVersion: string | undefined;
}

/** Streams changes of one kind; relists silently when the hub says the revision is gone (410). */
export async function watchAndPrint(
  ctx: CliContext,
  listed: Listed,
  namespace: string | undefined,
  format: OutputFormat,
  table: TableOptions,
  flags: GetFlags,
  template?: TemplatePrinter,
): Promise<void> {
  const { type, names } = listed.req;
  const client = await ctx.client();
  const ns = type.namespaced ? (namespace ?? (names.length > 0 ? await ctx.namespace() : undefined)) : undefined;
  // A watch by name is a watch of the collection filtered to that name.
  const fieldSelector =
    [flags.fieldSelector, names.length === 1 ? `metadata.name=${names[0]}` : undefined].filter(Boolean).join(',') ||
    undefined;
  // Keep the columns of the first table, so rows printed later line up under it.
  const first = [tableHeader(type, table), ...listed.objects.map((o) => tableRow(type, o, table))];
  const widths = columnWidths(first);
  let headerPrinted = listed.objects.length > 0 && flags.headers !== false && !flags.watchOnly;
  const select = { namespace: ns, labelSelector: flags.selector, fieldSelector, signal: ctx.signal };
  // Where a watch starts: the revision of a fresh list (at first when the listing gave none, and
  // after a 410 Gone, when the server no longer keeps the revision the watch had reached).
  const relist = async (): Promise<string | undefined> => (await client.list(type, select)).metadata?.resourceVersion;
  let rv = listed.resourceVersion ?? (await relist());
  for (;;) {
    try {
      for await (const ev of client.watch(type, { ...select, resourceVersion: rv })) {
        if (ev.type === 'BOOKMARK') continue;
        if (names.length > 1 && !names.includes(ev.object.metadata.name ?? '')) continue;
        if (template) ctx.out(template.print([ev.object], true, false));
        else if (format === 'json') ctx.out(toJson(withoutManagedFields(ev.object)));
        else if (format === 'yaml') ctx.out(`---\n${toYaml(withoutManagedFields(ev.object))}`);
        else if (format === 'name') ctx.out(`${objectRef(type, ev.object.metadata.name ?? '')}\n`);
        else {
          const opts = { ...table, now: ctx.now() };
          if (!headerPrinted && flags.headers !== false) {
            ctx.out(`${formatRow(tableHeader(type, opts), widths)}\n`);
            headerPrinted = true;
          }
          ctx.out(`${formatRow(tableRow(type, ev.object, opts), widths)}\n`);
        }
      }
      return;
    } catch (err) {
      if (!(err instanceof EdgeError && err.code === 'Gone')) throw err;
      rv = await relist();
    }
  }
}
