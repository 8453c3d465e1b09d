/**
 * Objects as a `meta.k8s.io Table`, from the same column definitions `edgectl get` prints with, so
 * the real kubectl and edgectl show the same columns and cells. The wide columns are there with
 * `priority: 1`; kubectl shows them for `-o wide`.
 */
import type { KubeObject } from '../meta.js';
import type { ListMeta } from '../rest.js';
import { columnsFor } from './columns.js';
import type { IncludeObject, Table, TableColumnDefinition, TableRow, TableVersion } from './table-schema.js';

/** How a table is built. */
export interface TableOptions {
  version: TableVersion;
  includeObject: IncludeObject;
  /** The time ages are computed at (ms since the epoch). */
  now: number;
  /** The list's metadata (revision, continue token); empty for a single object. */
  listMeta?: ListMeta;
}

const DESCRIPTIONS: Record<string, string> = {
  AGE: 'Time since the object was created.',
  NAME: 'Name must be unique within a namespace.',
};

function column(name: string, priority: number): TableColumnDefinition {
  return {
    name,
    type: 'string',
    format: name === 'NAME' ? 'name' : '',
    description: DESCRIPTIONS[name] ?? '',
    priority,
  };
}

/** The column definitions of `kind`: NAME (unless the kind has none), its columns, then the wide ones. */
export function tableColumns(kind: string): TableColumnDefinition[] {
  const cols = columnsFor(kind);
  return [
    ...(cols.named ? [column('NAME', 0)] : []),
    ...cols.headers.map((h) => column(h, 0)),
    ...cols.wideHeaders.map((h) => column(h, 1)),
  ];
}

/** What a row carries as its `object`. */
function rowObject(obj: KubeObject, opts: TableOptions): Record<string, unknown> | undefined {
  switch (opts.includeObject) {
    case 'None':
      return undefined;
    case 'Object':
      return obj;
    case 'PartialObjectMetadata':
      return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${opts.version}`, metadata: obj.metadata };
  }
}

/** One object's row: its name, cells and wide cells, in the order of `tableColumns`. */
export function tableRowOf(obj: KubeObject, opts: TableOptions): TableRow {
  const cols = columnsFor(obj.kind);
  const cells = [
    ...(cols.named ? [obj.metadata.name ?? ''] : []),
    ...cols.cells(obj, opts.now),
    ...cols.wideCells(obj, opts.now),
  ];
  const object = rowObject(obj, opts);
  return object === undefined ? { cells } : { cells, object };
}

/** A Table of `objects`, all of kind `kind`. */
export function toTable(kind: string, objects: readonly KubeObject[], opts: TableOptions): Table {
  return {
    apiVersion: `meta.k8s.io/${opts.version}`,
    kind: 'Table',
    metadata: opts.listMeta ?? {},
    columnDefinitions: tableColumns(kind),
    rows: objects.map((o) => tableRowOf(o, opts)),
  };
}
