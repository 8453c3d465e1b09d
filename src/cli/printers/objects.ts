/** Printing objects for `get`: tables (with NAMESPACE/LABELS as asked), json, yaml and name. */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { KubeObject, ResourceKind } from '../../api/index.js';
import { columnsFor, eventTime } from '../../api/lite.js';

/** Output formats of `-o`. */
const require = createRequire(import.meta.url);
/**
 * `yaml`, loaded on the first `-o yaml`: a large module graph that a plain `get` never needs, loaded
 * synchronously (its CommonJS build, the same instance an `import` of it gets).
 */
const yaml = (): typeof Yaml => require('yaml') as typeof Yaml;

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** How a table is laid out. */
export interface TableOptions {
  now: number;
  wide: boolean;
  /** Add a NAMESPACE column (for `-A`). */
  allNamespaces: boolean;
  /** Prefix names with `kind/` (when several kinds are printed). */
  withKind: boolean;
  showLabels: boolean;
}

/** `deployment.apps` or `pod`: how kubectl names a kind in messages. */
export function kindNoun(type: ResourceKind): string {
  return type.group === '' ? type.singular : `${type.singular}.${type.group}`;
}

/** `deployment.apps/hello`, as `-o name` and apply messages print it. */
export function objectRef(type: ResourceKind, name: string): string {
  return `${kindNoun(type)}/${name}`;
}

/** Events print oldest first (kubectl sorts them by time); other kinds keep the hub's order. */
export function sortForTable(type: ResourceKind, objs: readonly KubeObject[]): KubeObject[] {
  if (type.kind !== 'Event') return [...objs];
  const t = (o: KubeObject): number => Date.parse(eventTime(o as never) ?? '') || 0;
  return [...objs].sort((a, b) => t(a) - t(b));
}

/** The header row of a kind's table. */
export function tableHeader(type: ResourceKind, opts: TableOptions): string[] {
  const cols = columnsFor(type.kind);
  return [
    ...(opts.allNamespaces && type.namespaced ? ['NAMESPACE'] : []),
    ...(cols.named ? ['NAME'] : []),
    ...cols.headers,
    ...(opts.wide ? cols.wideHeaders : []),
    ...(opts.showLabels ? ['LABELS'] : []),
  ];
}

/** One object's row. */
export function tableRow(type: ResourceKind, obj: KubeObject, opts: TableOptions): string[] {
  const cols = columnsFor(type.kind);
  const name = obj.metadata.name ?? '';
  const labels = Object.entries(obj.metadata.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return [
    ...(opts.allNamespaces && type.namespaced ? [obj.metadata.namespace ?? ''] : []),
    ...(cols.named ? [opts.withKind ? objectRef(type, name) : name] : []),
    ...cols.cells(obj, opts.now),
    ...(opts.wide ? cols.wideCells(obj, opts.now) : []),
    ...(opts.showLabels ? [labels === '' ? '<none>' : labels] : []),
  ];
}

/** `obj` without `metadata.managedFields`, which kubectl too leaves out unless `--show-managed-fields`. */
export function withoutManagedFields(obj: KubeObject): KubeObject {
  if (obj.metadata.managedFields === undefined) return obj;
  const metadata = { ...obj.metadata };
  delete metadata.managedFields;
  return { ...obj, metadata };
}

/** The value `-o json|yaml` prints: the object itself when single, else a `v1 List` (managedFields left out). */
export function listOrObject(objs: readonly KubeObject[], single: boolean): unknown {
  const shown = objs.map(withoutManagedFields);
  if (single && shown.length === 1) return shown[0];
  return { apiVersion: 'v1', kind: 'List', items: shown };
}

/** JSON as kubectl prints it (4-space indent, trailing newline). */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 4)}\n`;
}

/** YAML as kubectl prints it (sequences not indented under their key). */
export function toYaml(value: unknown): string {
  return yaml().stringify(value, { indentSeq: false, lineWidth: 0 });
}
