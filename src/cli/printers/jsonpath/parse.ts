/**
 * Parser of kubectl's JSONPath templates (`-o jsonpath=…`, `custom-columns`, `--sort-by`): literal
 * text with `{…}` actions — paths (`.a.b`, `..name`, `['a.b']`, `[0]`, `[1:3]`, `[*]`,
 * `[?(@.type=="Ready")]`, unions with `,`), quoted strings (`{"\n"}`) and `{range …}…{end}`.
 *
 * Not a general JSONPath library on purpose: kubectl's dialect is a template language (literal text,
 * `range`/`end`, relaxed paths without `$`) that the JSONPath libraries on npm do not speak, and the
 * subset is small enough to keep exact here.
 */
import { UsageError } from '../../errors.js';

/** One step of a path, applied to every current value. */
export type Step =
  | { t: 'root' }
  | { t: 'field'; names: string[] }
  | { t: 'wildcard' }
  | { t: 'recursive' }
  | { t: 'index'; indices: number[] }
  | { t: 'slice'; start: number | undefined; end: number | undefined; step: number }
  | { t: 'filter'; left: Operand; op: CompareOp | undefined; right: Operand | undefined };

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A filter's operand: a path from `@` (or `$`) or a literal. */
export type Operand = { t: 'path'; steps: Step[] } | { t: 'literal'; value: string | number | boolean | null };

/** A path: its steps, evaluated from the current value (or the root after a `root` step). */
export type Path = Step[];

/** A parsed template. */
export type TemplateNode =
  { t: 'text'; text: string } | { t: 'paths'; paths: Path[] } | { t: 'range'; path: Path; body: TemplateNode[] };

export class JsonPathError extends UsageError {
  constructor(template: string, why: string) {
    super(`error parsing jsonpath ${template}, ${why}`);
  }
}

/** Splits a template into text and `{…}` actions, nesting `range … end`. */
export function parseTemplate(template: string): TemplateNode[] {
  const root: TemplateNode[] = [];
  const stack: { body: TemplateNode[] }[] = [{ body: root }];
  let i = 0;
  const top = (): TemplateNode[] => stack[stack.length - 1]!.body;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      top().push({ t: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) top().push({ t: 'text', text: template.slice(i, open) });
    const close = closingBrace(template, open);
    if (close < 0) throw new JsonPathError(template, 'unclosed action');
    const action = template.slice(open + 1, close).trim();
    i = close + 1;
    if (action === 'end') {
      if (stack.length === 1) throw new JsonPathError(template, 'not in range, nothing to end');
      stack.pop();
    } else if (action.startsWith('range ') || action === 'range') {
      const node: TemplateNode = { t: 'range', path: parsePath(action.slice(5).trim(), template), body: [] };
      top().push(node);
      stack.push(node);
    } else if (/^(["']).*\1$/s.test(action)) {
      top().push({ t: 'text', text: unquote(action, template) });
    } else {
      top().push({ t: 'paths', paths: splitUnion(action).map((p) => parsePath(p, template)) });
    }
  }
  if (stack.length > 1) throw new JsonPathError(template, 'unclosed range');
  return root;
}

/** The index of the `}` closing the action opened at `open` (quotes and brackets may hold braces). */
function closingBrace(s: string, open: number): number {
  let quote: string | undefined;
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '}') return i;
  }
  return -1;
}

/** Splits `a, b` at top-level commas (not inside brackets, parentheses or quotes). */
function splitUnion(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out.filter((p) => p !== '');
}

function unquote(q: string, template: string): string {
  const body = q.slice(1, -1);
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = escapes[body[++i] ?? ''];
    if (e === undefined) throw new JsonPathError(template, `invalid escape in ${q}`);
    out += e;
  }
  return out;
}

// Field names: kubectl escapes a dot inside one as `\.` (`.metadata.labels.app\.kubernetes\.io/name`).
const IDENT = /^(?:[A-Za-z0-9_\-/]|\\\.)+/;

/** Parses one path (`.a[0].b`, `$.a`, `@.a`, `..a`, `[*]`). */
export function parsePath(src: string, template: string = src): Path {
  const steps: Step[] = [];
  let i = 0;
  if (src.startsWith('$')) {
    steps.push({ t: 'root' });
    i = 1;
  } else if (src.startsWith('@')) i = 1;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ') {
      i++;
    } else if (c === '.') {
      if (src[i + 1] === '.') {
        steps.push({ t: 'recursive' });
        i += 2;
        if (src[i] === '[') continue;
      } else i++;
      if (src[i] === '*') {
        steps.push({ t: 'wildcard' });
        i++;
        continue;
      }
      const m = IDENT.exec(src.slice(i));
      // A trailing `.` (the whole value: `{.}`) adds no step.
      if (!m) {
        if (i >= src.length) break;
        throw new JsonPathError(template, `unrecognized character in action: ${JSON.stringify(src[i])}`);
      }
      steps.push({ t: 'field', names: [m[0].replaceAll('\\.', '.')] });
      i += m[0].length;
    } else if (c === '[') {
      const close = closingBracket(src, i);
      if (close < 0) throw new JsonPathError(template, 'unterminated array');
      steps.push(parseBracket(src.slice(i + 1, close).trim(), template));
      i = close + 1;
    } else {
      throw new JsonPathError(template, `unrecognized character in action: ${JSON.stringify(c)}`);
    }
  }
  return steps;
}

function closingBracket(s: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i;
  }
  return -1;
}

function parseBracket(inner: string, template: string): Step {
  if (inner === '*') return { t: 'wildcard' };
  if (inner.startsWith('?(') && inner.endsWith(')')) return parseFilter(inner.slice(2, -1).trim(), template);
  const parts = splitUnion(inner);
  if (parts.length > 0 && parts.every((p) => /^(["']).*\1$/s.test(p)))
    return { t: 'field', names: parts.map((p) => unquote(p, template)) };
  if (parts.length === 1 && parts[0]!.includes(':')) {
    const [a, b, c] = parts[0]!.split(':').map((x) => x.trim());
    const num = (x: string | undefined): number | undefined => (x === undefined || x === '' ? undefined : int(x));
    const int = (x: string): number => {
      if (!/^-?\d+$/.test(x)) throw new JsonPathError(template, `invalid array index ${x}`);
      return Number(x);
    };
    return { t: 'slice', start: num(a), end: num(b), step: num(c) ?? 1 };
  }
  const indices = parts.map((p) => {
    if (!/^-?\d+$/.test(p)) throw new JsonPathError(template, `invalid array index ${p}`);
    return Number(p);
  });
  return { t: 'index', indices };
}

const OPS: readonly CompareOp[] = ['==', '!=', '<=', '>=', '<', '>'];

function parseFilter(expr: string, template: string): Step {
  let quote: string | undefined;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      continue;
    }
    const op = OPS.find((o) => expr.startsWith(o, i));
    if (op)
      return {
        t: 'filter',
        left: operand(expr.slice(0, i).trim(), template),
        op,
        right: operand(expr.slice(i + op.length).trim(), template),
      };
  }
  return { t: 'filter', left: operand(expr, template), op: undefined, right: undefined };
}

function operand(s: string, template: string): Operand {
  if (s.startsWith('@') || s.startsWith('$')) return { t: 'path', steps: parsePath(s, template) };
  if (/^(["']).*\1$/s.test(s)) return { t: 'literal', value: unquote(s, template) };
  if (s === 'true' || s === 'false') return { t: 'literal', value: s === 'true' };
  if (s === 'null') return { t: 'literal', value: null };
  if (s !== '' && Number.isFinite(Number(s))) return { t: 'literal', value: Number(s) };
  throw new JsonPathError(template, `unrecognized filter operand ${JSON.stringify(s)}`);
}

/**
 * kubectl's relaxed form for `custom-columns` and `--sort-by`: `.a.b`, `a.b` and `{.a.b}` all mean
 * the template `{.a.b}`.
 */
export function relaxedTemplate(expr: string): string {
  const e = expr.trim();
  if (e.startsWith('{') && e.endsWith('}')) return e;
  if (e.startsWith('.') || e.startsWith('[') || e.startsWith('$') || e.startsWith('@')) return `{${e}}`;
  return `{.${e}}`;
}
