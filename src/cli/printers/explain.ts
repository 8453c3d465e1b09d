/**
 * `explain`'s output from an OpenAPI v3 document, laid out as kubectl's plaintext explain template
 * (kubectl `pkg/explain/v2/templates/plaintext.tmpl`, v1.32): the GROUP/KIND/VERSION header, then
 * the schema at the field path — its description and field list (`--recursive`: the field tree,
 * without descriptions). Fields are in key order, as Go templates range over maps; descriptions are
 * wrapped as kubectl's word-wrap writer wraps them.
 */

/** An OpenAPI schema object (only what explain reads). */
type Schema = Record<string, unknown>;

/** The group/version/kind of the resource explained. */
export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** The field path does not exist; kubectl prints the header first, then this error. */
export class ExplainFieldError extends Error {
  constructor(readonly field: string) {
    super(`field "${field}" does not exist`);
  }
}

const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
/** additionalProperties that is a schema (not `true`/`false`). */
const mapValues = (s: Schema): Schema | undefined =>
  isObj(s['additionalProperties']) ? s['additionalProperties'] : undefined;

/** Greedy word wrap at `limit` columns as go-wordwrap does: spaces at a break are dropped, long words overflow. */
export function wordWrap(text: string, limit: number): string {
  return text
    .split('\n')
    .map((line) => {
      let out = '';
      let current = 0;
      for (const m of line.matchAll(/(\s*)(\S+)|(\s+)$/g)) {
        const space = m[1] ?? m[3] ?? '';
        const word = m[2] ?? '';
        if (word !== '' && current > 0 && current + space.length + word.length > limit) {
          out += `\n${word}`;
          current = word.length;
        } else {
          out += space + word;
          current += space.length + word.length;
        }
      }
      return out;
    })
    .join('\n');
}

/** kubectl's `indent`: pads the first line and every line after a newline (an empty last one too). */
export function indent(amount: number, text: string): string {
  const pad = ' '.repeat(amount);
  return pad + text.replaceAll('\n', `\n${pad}`);
}

class Renderer {
  constructor(private readonly doc: Schema) {}

  resolve(ref: unknown): Schema | undefined {
    if (typeof ref !== 'string' || !ref.startsWith('#')) return undefined;
    let cur: unknown = this.doc;
    for (const k of ref.slice(1).split('/')) {
      if (k === '') continue;
      cur = isObj(cur) ? cur[k] : undefined;
      if (!isObj(cur)) return undefined;
    }
    return cur as Schema;
  }

  typeGuess(s: Schema): string {
    if (isObj(s['items'])) return `[]${this.typeGuess(s['items'])}`;
    const values = mapValues(s);
    if (values) return `map[string]${this.typeGuess(values)}`;
    const allOf = list(s['allOf']);
    if (allOf.length === 1 && !s['properties'] && isObj(allOf[0])) return this.typeGuess(allOf[0]);
    const ref = s['$ref'];
    if (typeof ref === 'string' && ref !== '') {
      const target = this.resolve(ref);
      if (!target || !target['type'] || target['type'] === 'object') {
        const name = ref.split('/').at(-1) ?? '';
        return name.split('.').at(-1) || 'Object';
      }
      return str(target['type']) || 'Object';
    }
    return s['type'] === 'object' ? 'Object' : str(s['type']) || 'Object';
  }

  enumOf(s: Schema, long: boolean, limit: number, indentAmount: number): string {
    const values = list(s['enum']);
    if (values.length === 0) return '';
    let out = long ? 'ENUM:' : `\n${' '.repeat(indentAmount)}enum: `;
    for (const [i, v] of values.entries()) {
      if (limit > -1 && i >= limit) {
        out += ', ....';
        break;
      }
      if (i > 0 && !long) out += ', ';
      else if (long) out += '\n    ';
      out += v === '' ? '""' : String(v);
    }
    return out;
  }

  description(s: Schema): string {
    const r = this.resolve(s['$ref']) ?? s;
    let out = r['description'] ? `${str(r['description'])}\n` : '';
    for (const sub of list(r['allOf'])) if (isObj(sub)) out += this.description(sub);
    if (isObj(r['items'])) out += this.description(r['items']);
    const values = mapValues(r);
    if (values) out += this.description(values);
    return out;
  }

  externalDocs(s: Schema, indentAmount: number): string {
    const docs = s['externalDocs'];
    if (!isObj(docs)) return '';
    let out = `${indent(indentAmount, 'EXTERNAL DOCS:')}\n`;
    if (docs['description'])
      out += `${indent(indentAmount + 2, wordWrap(str(docs['description']), 76 - indentAmount))}\n`;
    if (docs['url']) out += `${indent(indentAmount + 2, `URL: ${str(docs['url'])}`)}\n`;
    return out;
  }

  fieldDetail(parent: Schema, name: string, short: boolean, level: number): string {
    const amount = level * 2;
    const props = parent['properties'] as Schema;
    const field = (props[name] ?? {}) as Schema;
    let out = `${indent(amount, name)}\t<${this.typeGuess(field)}>`;
    if (list(parent['required']).includes(name)) out += ' -required-';
    out += `${this.enumOf(field, false, 4, amount)}\n`;
    if (!short) {
      out += `${indent(amount + 2, wordWrap(str(field['description']) || '<no description>', 78 - amount))}\n`;
      if (isObj(field['externalDocs'])) out += `\n${this.externalDocs(field, amount + 2)}`;
      out += '\n';
    }
    return out;
  }

  fieldList(s: Schema, level: number, recursive: boolean, history: ReadonlySet<string>): string {
    const ref = str(s['$ref']);
    if (ref && history.has(ref)) return '';
    const next = new Set(history).add(ref);
    const r = this.resolve(ref) ?? s;
    let out = '';
    const props = isObj(r['properties']) ? r['properties'] : {};
    // Go's text/template ranges over a map in key order.
    for (const name of Object.keys(props).sort()) {
      out += this.fieldDetail(r, name, recursive, level);
      if (recursive && isObj(props[name])) out += this.fieldList(props[name], level + 1, recursive, next);
    }
    for (const sub of list(r['allOf'])) if (isObj(sub)) out += this.fieldList(sub, level, recursive, next);
    if (isObj(r['items'])) out += this.fieldList(r['items'], level, recursive, next);
    const values = mapValues(r);
    if (values) out += this.fieldList(values, level, recursive, next);
    return out;
  }

  /** The template's "output": follows `path`, then prints the schema found; '' when the path leads nowhere. */
  output(s: Schema, path: readonly string[], recursive: boolean, history: ReadonlySet<string>): string {
    const ref = str(s['$ref']);
    const next = new Set(history).add(ref);
    const r = this.resolve(ref) ?? s;
    if (path.length === 0) {
      let out = `DESCRIPTION:\n${indent(4, wordWrap(this.description(r) || '<empty>', 76))}\n`;
      const docs = this.externalDocs(r, 0);
      if (docs) out += `\n${docs}`;
      const fields = this.fieldList(r, 1, recursive, new Set());
      if (fields) out += `FIELDS:\n${fields}`;
      return out;
    }
    if (ref && history.has(ref)) return '';
    const [first, ...rest] = path as [string, ...string[]];
    const props = r['properties'];
    if (isObj(props) && isObj(props[first])) {
      const sub = props[first];
      let out = '';
      if (rest.length === 0) out += `FIELD: ${first} <${this.typeGuess(sub)}>\n${this.enumOf(sub, true, -1, 0)}\n\n`;
      return out + this.output(sub, rest, recursive, new Set());
    }
    if (isObj(r['items'])) return this.output(r['items'], path, recursive, next);
    const values = mapValues(r);
    if (values) return this.output(values, path, recursive, next);
    for (const sub of list(r['allOf'])) {
      const out = isObj(sub) ? this.output(sub, path, recursive, next) : '';
      if (out) return out;
    }
    return '';
  }
}

const sameGvk = (v: unknown, gvk: Gvk): boolean =>
  isObj(v) && str(v['group']) === gvk.group && str(v['version']) === gvk.version && str(v['kind']) === gvk.kind;

/** The header kubectl prints before the schema (also before a "does not exist" error). */
export function explainHeader(gvk: Gvk): string {
  return `${gvk.group ? `GROUP:      ${gvk.group}\n` : ''}KIND:       ${gvk.kind}\nVERSION:    ${gvk.version}\n\n`;
}

/**
 * The text after the header for `gvk` at `path` (field names below the kind) in the group-version's
 * OpenAPI v3 document. Throws ExplainFieldError when the path leads nowhere, and an Error when the
 * document has no schema for the kind.
 */
export function explainBody(doc: Schema, gvk: Gvk, path: readonly string[], recursive: boolean): string {
  const schemas = isObj(doc['components']) && isObj(doc['components']['schemas']) ? doc['components']['schemas'] : {};
  // Go's map range order: the first schema by name that carries this GVK.
  for (const name of Object.keys(schemas).sort()) {
    const s = schemas[name];
    if (!isObj(s) || !list(s['x-kubernetes-group-version-kind']).some((v) => sameGvk(v, gvk))) continue;
    const out = new Renderer(doc).output(s, path, recursive, new Set());
    if (!out) throw new ExplainFieldError(path.at(-1) ?? '');
    return `${out}\n`;
  }
  throw new Error(`GVK ${gvk.group}/${gvk.version}, Kind=${gvk.kind} not found in OpenAPI schema`);
}
