/**
 * Label and field selectors: the `labelSelector=`/`fieldSelector=` string syntax of the Kubernetes
 * API, and `LabelSelector` objects of workload specs, compiled to one matcher form.
 */
import { canonicalFieldLabel, fieldValues, unsupportedFieldLabel } from './field-labels.js';
import { BadRequestError } from './errors.js';
import type { LabelSelector } from './meta.js';

/** One requirement of a compiled selector. */
export interface Requirement {
  key: string;
  op: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

/** A compiled selector: all requirements must hold. The empty selector matches everything. */
export type Selector = readonly Requirement[];

/** Longest selector string accepted (either kind); a URL cannot carry much more (16 KiB of headers). */
export const MAX_SELECTOR_LENGTH = 8192;
/** Most requirements in one selector. */
export const MAX_SELECTOR_REQUIREMENTS = 100;
/** Most values in one `in (…)` / `notin (…)` set. */
export const MAX_SELECTOR_VALUES = 100;

function tooLong(kind: string, text: string): BadRequestError {
  return new BadRequestError(`${kind} is ${text.length} characters long; at most ${MAX_SELECTOR_LENGTH} are accepted`, [
    {
      field: kind,
      message: `Too long: must have at most ${MAX_SELECTOR_LENGTH} characters`,
      reason: 'FieldValueTooLong',
    },
  ]);
}

function badLabelSelector(text: string, why: string): BadRequestError {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return new BadRequestError(`unable to parse requirement: invalid label selector "${shown}": ${why}`, [
    { field: 'labelSelector', message: `Invalid value: ${why}`, reason: 'FieldValueInvalid' },
  ]);
}

type Token = { t: 'id'; v: string } | { t: '!' | '=' | '==' | '!=' | '(' | ')' | ',' };

const isSpace = (ch: string): boolean =>
  ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';
const SPECIAL = new Set(['!', '=', '(', ')', ',']);

/** One pass over the text, no regular expressions, no backtracking (as Kubernetes' own lexer). */
function lex(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (isSpace(ch)) {
      i++;
    } else if (ch === '!' || ch === '=') {
      if (text[i + 1] === '=') {
        out.push({ t: ch === '!' ? '!=' : '==' });
        i += 2;
      } else {
        out.push({ t: ch });
        i++;
      }
    } else if (ch === '(' || ch === ')' || ch === ',') {
      out.push({ t: ch });
      i++;
    } else {
      const from = i;
      while (i < text.length && !isSpace(text[i]!) && !SPECIAL.has(text[i]!)) i++;
      out.push({ t: 'id', v: text.slice(from, i) });
    }
  }
  return out;
}

/**
 * Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`. Linear in the length of the text (a lexer and a
 * recursive-descent parser, no backtracking regex), at most `MAX_SELECTOR_LENGTH` characters,
 * `MAX_SELECTOR_REQUIREMENTS` requirements and `MAX_SELECTOR_VALUES` values per set. Throws a
 * BadRequestError naming what is wrong.
 */
export function parseLabelSelector(text: string | undefined): Selector {
  if (text === undefined) return [];
  if (text.length > MAX_SELECTOR_LENGTH) throw tooLong('labelSelector', text);
  const toks = lex(text);
  const reqs: Requirement[] = [];
  let i = 0;
  const peek = (): Token | undefined => toks[i];
  const ident = (what: string): string => {
    const tok = toks[i];
    if (tok?.t !== 'id') throw badLabelSelector(text, `expected ${what}, found ${tok ? `"${tok.t}"` : 'the end'}`);
    i++;
    return tok.v;
  };
  while (i < toks.length) {
    if (reqs.length >= MAX_SELECTOR_REQUIREMENTS)
      throw badLabelSelector(text, `at most ${MAX_SELECTOR_REQUIREMENTS} requirements are accepted`);
    if (peek()?.t === '!') {
      i++;
      reqs.push({ key: ident('a key after "!"'), op: 'DoesNotExist', values: [] });
    } else {
      const key = ident('a key');
      const op = peek();
      if (op === undefined || op.t === ',') {
        reqs.push({ key, op: 'Exists', values: [] });
      } else if (op.t === '=' || op.t === '==' || op.t === '!=') {
        i++;
        // An empty value (`a=`) is allowed, as in Kubernetes.
        const next = peek();
        const value = next?.t === 'id' ? (i++, next.v) : '';
        reqs.push({ key, op: op.t === '!=' ? 'NotIn' : 'In', values: [value] });
      } else if (op.t === 'id' && (op.v === 'in' || op.v === 'notin')) {
        i++;
        if (peek()?.t !== '(') throw badLabelSelector(text, `expected "(" after "${op.v}"`);
        i++;
        const values: string[] = [];
        for (;;) {
          const tok = peek();
          if (tok === undefined) throw badLabelSelector(text, 'expected ")" to close the set');
          if (tok.t === ')') {
            i++;
            break;
          }
          if (tok.t === ',') {
            i++;
            continue;
          }
          if (tok.t !== 'id') throw badLabelSelector(text, `unexpected "${tok.t}" in a set of values`);
          if (values.length >= MAX_SELECTOR_VALUES)
            throw badLabelSelector(text, `a set has at most ${MAX_SELECTOR_VALUES} values`);
          values.push(tok.v);
          i++;
        }
        reqs.push({ key, op: op.v === 'in' ? 'In' : 'NotIn', values });
      } else {
        throw badLabelSelector(text, `unexpected "${op.t === 'id' ? op.v : op.t}" after key "${key}"`);
      }
    }
    const sep = peek();
    if (sep !== undefined) {
      if (sep.t !== ',')
        throw badLabelSelector(text, `expected "," between requirements, found "${sep.t === 'id' ? sep.v : sep.t}"`);
      i++;
    }
  }
  return reqs;
}

/** Compiles a `LabelSelector` object. An absent selector matches nothing (Kubernetes semantics for workloads). */
export function fromLabelSelector(sel: LabelSelector | undefined): Selector | undefined {
  if (!sel) return undefined;
  const reqs: Requirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({
    key,
    op: 'In' as const,
    values: [v],
  }));
  for (const e of sel.matchExpressions ?? []) reqs.push({ key: e.key, op: e.operator, values: e.values ?? [] });
  return reqs;
}

/** Compiles `{a: 'b'}` equality selectors (Service `spec.selector`). */
export function fromMatchLabels(labels: Record<string, string> | undefined): Selector {
  return Object.entries(labels ?? {}).map(([key, v]) => ({ key, op: 'In' as const, values: [v] }));
}

/** True when `labels` satisfy every requirement. */
export function matchesLabels(sel: Selector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of sel) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'In':
        if (!has || !r.values.includes(v ?? '')) return false;
        break;
      case 'NotIn':
        if (has && r.values.includes(v ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** Renders a compiled selector back to the string syntax (for `-o wide`, query strings). */
export function formatSelector(sel: Selector): string {
  return sel
    .map((r) => {
      if (r.op === 'Exists') return r.key;
      if (r.op === 'DoesNotExist') return `!${r.key}`;
      if (r.values.length === 1) return `${r.key}${r.op === 'In' ? '=' : '!='}${r.values[0]}`;
      return `${r.key} ${r.op === 'In' ? 'in' : 'notin'} (${r.values.join(',')})`;
    })
    .join(',');
}

/** One `fieldSelector` term: a dotted field path compared for (in)equality. */
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/**
 * Parses `spec.nodeName=pi-1,metadata.name!=x` for a list or watch of `kind` (its name, e.g. `Pod`);
 * a field that kind cannot be selected by is a BadRequestError in Kubernetes' wording
 * (`field-labels.ts`). Without a kind, any field some kind takes is accepted.
 */
export function parseFieldSelector(text: string | undefined, kind?: string): FieldRequirement[] {
  if (text === undefined || text.trim() === '') return [];
  if (text.length > MAX_SELECTOR_LENGTH) throw tooLong('fieldSelector', text);
  const terms = text.split(',');
  if (terms.length > MAX_SELECTOR_REQUIREMENTS) {
    throw new BadRequestError(
      `fieldSelector has ${terms.length} terms; at most ${MAX_SELECTOR_REQUIREMENTS} are accepted`,
      [
        {
          field: 'fieldSelector',
          message: `Too many: at most ${MAX_SELECTOR_REQUIREMENTS} terms`,
          reason: 'FieldValueTooMany',
        },
      ],
    );
  }
  return terms.map((term) => {
    // indexOf and trim, not a regex: `(.*?)\s*$` over a value of many spaces is quadratic.
    const at = term.indexOf('=');
    const shown = term.length > 80 ? `${term.slice(0, 80)}…` : term;
    if (at <= 0)
      throw new BadRequestError(`invalid field selector term "${shown}"`, [
        {
          field: 'fieldSelector',
          message: `Invalid value: "${shown}": expected field=value, field==value or field!=value`,
        },
      ]);
    const negated = term[at - 1] === '!';
    const field = term.slice(0, negated ? at - 1 : at).trim();
    const value = term.slice(term[at + 1] === '=' && !negated ? at + 2 : at + 1).trim();
    const name = field.length > 80 ? `${field.slice(0, 80)}…` : field;
    const refusal = unsupportedFieldLabel(kind, name);
    if (refusal !== undefined) {
      throw new BadRequestError(refusal, [
        { field: 'fieldSelector', message: `Unsupported value: "${name}"`, reason: 'FieldValueNotSupported' },
      ]);
    }
    return { field: canonicalFieldLabel(field), op: negated ? '!=' : '=', value };
  });
}

/** True when `obj` satisfies every field requirement (a missing field reads as ""). */
export function matchesFields(reqs: readonly FieldRequirement[], obj: unknown): boolean {
  for (const r of reqs) {
    if ((r.op === '=') !== fieldValues(obj, r.field).includes(r.value)) return false;
  }
  return true;
}
