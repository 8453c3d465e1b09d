/**
 * Evaluates parsed kubectl JSONPath templates over plain JSON values. Missing keys and indices out
 * of range yield nothing (kubectl's `--allow-missing-template-keys=true`, the default of `get`).
 */
import { parseTemplate, type Operand, type Path, type Step, type TemplateNode } from './parse.js';

type Json = unknown;
type JsonObject = Record<string, unknown>;

const isObject = (v: Json): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Every value `path` selects from `current` (`$` steps start again at `root`). */
export function evalPath(path: Path, current: Json, root: Json): Json[] {
  let values: Json[] = [current];
  for (const step of path) values = applyStep(step, values, root);
  return values;
}

function applyStep(step: Step, values: Json[], root: Json): Json[] {
  const out: Json[] = [];
  for (const v of values) {
    switch (step.t) {
      case 'root':
        out.push(root);
        break;
      case 'field':
        if (isObject(v)) for (const n of step.names) if (own(v, n)) out.push(v[n]);
        break;
      case 'wildcard':
        if (Array.isArray(v)) out.push(...(v as Json[]));
        else if (isObject(v)) out.push(...Object.values(v));
        break;
      case 'recursive':
        descendants(v, out);
        break;
      case 'index':
        if (Array.isArray(v))
          for (const i of step.indices) {
            const at = i < 0 ? v.length + i : i;
            if (at >= 0 && at < v.length) out.push(v[at]);
          }
        break;
      case 'slice':
        if (Array.isArray(v)) out.push(...slice(v as Json[], step));
        break;
      case 'filter':
        if (Array.isArray(v)) for (const item of v as Json[]) if (matches(step, item, root)) out.push(item);
        break;
    }
  }
  return out;
}

/** `v` and everything under it, depth first (the `..` operator). */
function descendants(v: Json, out: Json[]): void {
  const stack: Json[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    out.push(x);
    const children = Array.isArray(x) ? (x as Json[]) : isObject(x) ? Object.values(x) : [];
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
}

function slice(arr: Json[], s: { start: number | undefined; end: number | undefined; step: number }): Json[] {
  const len = arr.length;
  const clamp = (i: number): number => Math.min(Math.max(i < 0 ? len + i : i, 0), len);
  const start = clamp(s.start ?? 0);
  const end = clamp(s.end ?? len);
  const out: Json[] = [];
  if (s.step <= 0) return out;
  for (let i = start; i < end; i += s.step) out.push(arr[i]);
  return out;
}

function operandValues(o: Operand, item: Json, root: Json): Json[] {
  return o.t === 'literal' ? [o.value] : evalPath(o.steps, item, root);
}

function matches(step: Extract<Step, { t: 'filter' }>, item: Json, root: Json): boolean {
  const left = operandValues(step.left, item, root);
  if (step.op === undefined || step.right === undefined) return left.length > 0 && left[0] !== false;
  const right = operandValues(step.right, item, root);
  if (left.length === 0 || right.length === 0) return false;
  const [a, b] = [left[0], right[0]];
  if (typeof a === 'number' && typeof b === 'number') return compare(step.op, a, b);
  if (step.op === '==' || step.op === '!=') return (text(a) === text(b)) === (step.op === '==');
  return compare(step.op, text(a), text(b));
}

function compare<T extends number | string>(op: string, a: T, b: T): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

/** JSON with object keys sorted, as Go's encoding/json writes maps. */
function sortedJson(v: Json, indent?: number): string {
  const sortKeys = (x: Json): Json =>
    Array.isArray(x)
      ? x.map(sortKeys)
      : isObject(x)
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, sortKeys(x[k])]),
          )
        : x;
  return JSON.stringify(sortKeys(v), null, indent);
}

/** A value as kubectl prints it inside a template: strings raw, others as compact JSON. */
export function text(v: Json): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  return sortedJson(v);
}

function run(nodes: readonly TemplateNode[], current: Json, root: Json, sink: (values: Json[], raw?: string) => void) {
  for (const n of nodes) {
    if (n.t === 'text') sink([], n.text);
    else if (n.t === 'paths') sink(n.paths.flatMap((p) => evalPath(p, current, root)));
    else
      for (const v of evalPath(n.path, current, root)) {
        for (const item of Array.isArray(v) ? (v as Json[]) : [v]) run(n.body, item, root, sink);
      }
  }
}

/** A compiled template: `execute(data)` prints it over `data` (`-o jsonpath=…`). */
export class JsonPathTemplate {
  readonly #nodes: TemplateNode[];

  constructor(readonly source: string) {
    this.#nodes = parseTemplate(source);
  }

  /** The text kubectl prints: literal text as is, the values of one action joined by spaces. */
  execute(data: Json): string {
    let out = '';
    run(this.#nodes, data, data, (values, raw) => {
      out += raw ?? values.map(text).join(' ');
    });
    return out;
  }

  /** Every value the template's actions select (`-o jsonpath-as-json`), as indented JSON. */
  executeAsJson(data: Json): string {
    const all: Json[] = [];
    run(this.#nodes, data, data, (values) => all.push(...values));
    return `${sortedJson(all, 4)}\n`;
  }

  /** Every value the template's actions select, unformatted (for `--sort-by` and custom columns). */
  values(data: Json): Json[] {
    const all: Json[] = [];
    run(this.#nodes, data, data, (values) => all.push(...values));
    return all;
  }
}
