/**
 * Label and field selectors: the `labelSelector=`/`fieldSelector=` string syntax of the Kubernetes
 * API, and `LabelSelector` objects of workload specs, compiled to one matcher form.
 */
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

const SET_RE = /^\s*(!?)\s*([^\s!=(),]+)\s*(?:(in|notin)\s*\(([^)]*)\)\s*)?$/;

/**
 * Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`. Throws BadRequestError naming the bad term.
 */
export function parseLabelSelector(text: string | undefined): Selector {
  if (text === undefined || text.trim() === '') return [];
  const reqs: Requirement[] = [];
  for (const term of splitTerms(text)) {
    const eq = /^\s*([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)\s*$/.exec(term);
    if (eq) {
      const [, key = '', op, value = ''] = eq;
      reqs.push({ key, op: op === '!=' ? 'NotIn' : 'In', values: [value] });
      continue;
    }
    const set = SET_RE.exec(term);
    if (set) {
      const [, bang, key = '', setOp, list] = set;
      if (setOp) {
        if (bang) throw new BadRequestError(`invalid label selector term "${term.trim()}"`);
        const values = (list ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
        reqs.push({ key, op: setOp === 'in' ? 'In' : 'NotIn', values });
      } else {
        reqs.push({ key, op: bang ? 'DoesNotExist' : 'Exists', values: [] });
      }
      continue;
    }
    throw new BadRequestError(`invalid label selector term "${term.trim()}"`);
  }
  return reqs;
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.filter((t) => t.trim() !== '');
}

/** Compiles a `LabelSelector` object. An absent selector matches nothing (Kubernetes semantics for workloads). */
export function fromLabelSelector(sel: LabelSelector | undefined): Selector | undefined {
  if (!sel) return undefined;
  const reqs: Requirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'In' as const, values: [v] }));
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

/** Field paths the API can filter on. */
export const SUPPORTED_FIELDS = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase', 'involvedObject.name', 'involvedObject.kind', 'involvedObject.uid', 'involvedObject.namespace'] as const;

/** Parses `spec.nodeName=pi-1,metadata.name!=x`; an unsupported field is a BadRequestError naming it. */
export function parseFieldSelector(text: string | undefined): FieldRequirement[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((term) => {
    const m = /^\s*([A-Za-z.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!m) throw new BadRequestError(`invalid field selector term "${term}"`);
    const [, field = '', op, value = ''] = m;
    if (!(SUPPORTED_FIELDS as readonly string[]).includes(field)) {
      throw new BadRequestError(`field label not supported: ${field} (supported: ${SUPPORTED_FIELDS.join(', ')})`);
    }
    return { field, op: op === '!=' ? '!=' : '=', value };
  });
}

/** True when `obj` satisfies every field requirement (a missing field reads as ""). */
export function matchesFields(reqs: readonly FieldRequirement[], obj: unknown): boolean {
  for (const r of reqs) {
    let cur: unknown = obj;
    for (const part of r.field.split('.')) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
    const v = cur === undefined || cur === null ? '' : String(cur);
    if ((r.op === '=') !== (v === r.value)) return false;
  }
  return true;
}
