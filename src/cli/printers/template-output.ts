/**
 * The template output formats of `-o`: `jsonpath=TEMPLATE`, `jsonpath-as-json=TEMPLATE`,
 * `jsonpath-file=FILE`, `custom-columns=HEADER:PATH,…` and `custom-columns-file=FILE`, printed as
 * kubectl prints them.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KubeObject } from '../../api/index.js';
import { UsageError } from '../errors.js';
import { JsonPathTemplate, jsonPathText, relaxedTemplate } from './jsonpath/index.js';
import { listOrObject } from './objects.js';
import { renderTable } from './table.js';

/** Prints objects with a template format. */
export interface TemplatePrinter {
  /** The text for `objects` (`single`: one object was asked for by name). */
  print(objects: readonly KubeObject[], single: boolean, headers: boolean): string;
}

const PREFIXES = ['jsonpath', 'jsonpath-as-json', 'jsonpath-file', 'custom-columns', 'custom-columns-file'] as const;

/** Every `-o` value edgectl accepts, for the "allowed formats" message. */
export const ALLOWED_OUTPUT_FORMATS = [...PREFIXES, 'json', 'name', 'wide', 'yaml'].sort();

function readTemplateFile(path: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, path), 'utf8');
  } catch {
    throw new UsageError(`error reading template ${path}`);
  }
}

/** The printer for a template `-o` value, or undefined when `format` is not one. */
export function templatePrinter(format: string, cwd: string): TemplatePrinter | undefined {
  const eq = format.indexOf('=');
  const kind = eq < 0 ? format : format.slice(0, eq);
  if (!(PREFIXES as readonly string[]).includes(kind)) return undefined;
  const arg = eq < 0 ? '' : format.slice(eq + 1);
  if (arg === '') {
    if (kind.startsWith('custom-columns'))
      throw new UsageError('custom-columns format specified but no custom columns given');
    throw new UsageError(`template format specified but no template given`);
  }
  switch (kind) {
    case 'jsonpath':
      return jsonPath(new JsonPathTemplate(arg), false);
    case 'jsonpath-as-json':
      return jsonPath(new JsonPathTemplate(arg), true);
    case 'jsonpath-file':
      return jsonPath(new JsonPathTemplate(readTemplateFile(arg, cwd).trimEnd()), false);
    case 'custom-columns':
      return customColumns(parseColumnSpec(arg));
    default:
      return customColumns(parseColumnFile(readTemplateFile(arg, cwd)));
  }
}

function jsonPath(t: JsonPathTemplate, asJson: boolean): TemplatePrinter {
  return {
    print: (objects, single) => {
      const data: unknown = listOrObject(objects, single);
      return asJson ? t.executeAsJson(data) : t.execute(data);
    },
  };
}

interface Column {
  header: string;
  template: JsonPathTemplate;
}

/** `NAME:.metadata.name,IMAGE:.spec.containers[*].image`. */
export function parseColumnSpec(spec: string): Column[] {
  return spec.split(',').map((part) => {
    const colon = part.indexOf(':');
    if (colon < 0) throw new UsageError(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
    return { header: part.slice(0, colon), template: new JsonPathTemplate(relaxedTemplate(part.slice(colon + 1))) };
  });
}

/** A custom-columns file: a line of headers, then a line of paths, separated by white space. */
function parseColumnFile(text: string): Column[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const headers = lines[0]?.trim().split(/\s+/) ?? [];
  const paths = lines[1]?.trim().split(/\s+/) ?? [];
  if (lines.length !== 2 || headers.length !== paths.length)
    throw new UsageError(
      `expected two lines (headers, then the same number of paths) in the custom-columns file, got ${lines.length}`,
    );
  return headers.map((header, i) => ({ header, template: new JsonPathTemplate(relaxedTemplate(paths[i] ?? '')) }));
}

function customColumns(columns: Column[]): TemplatePrinter {
  return {
    print: (objects, _single, headers) => {
      const rows = objects.map((o) =>
        columns.map((c) => {
          const values = c.template.values(o);
          return values.length === 0 ? '<none>' : values.map(jsonPathText).join(',');
        }),
      );
      if (headers) rows.unshift(columns.map((c) => c.header));
      return renderTable(rows);
    },
  };
}
