/**
 * A reader for the small part of YAML that config files are written in (block mappings and
 * sequences, flow `[...]`/`{...}`, plain and quoted scalars, comments), so that a command run with a
 * config file does not load the `yaml` package (~60 ms of start-up on the 2-core machine,
 * bench/cli-startup.ts). Anything outside that part (anchors, aliases, tags, block scalars,
 * multi-line scalars or flow collections, several documents, unusual escapes) gives `undefined`, and
 * the caller parses with `yaml` instead: this reader either gives what `yaml.parse` gives or nothing
 * (`light-yaml.test.ts` holds it to that).
 */

interface Line {
  indent: number;
  text: string;
}

/** Outside this subset: the caller falls back to the full parser. */
class Unsupported extends Error {}

const fail = (): never => {
  throw new Unsupported();
};

/** Drops a comment (` #` outside quotes) and trailing spaces. */
function stripComment(text: string): string {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t')) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

function toLines(text: string): Line[] {
  const out: Line[] = [];
  for (const [n, raw] of text.split(/\r?\n/).entries()) {
    if (raw.includes('\t')) fail();
    const content = stripComment(raw);
    if (content.trim() === '') continue;
    if (content === '---' && n === 0) continue;
    if (content.startsWith('---') || content.startsWith('...') || content.startsWith('%')) fail();
    const indent = content.length - content.trimStart().length;
    out.push({ indent, text: content.trimStart() });
  }
  return out;
}

const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** A plain scalar under YAML 1.2's core schema (what `yaml.parse` uses by default). */
function plain(s: string): unknown {
  if (s === '' || /^(null|Null|NULL|~)$/.test(s)) return null;
  if (/^(true|True|TRUE)$/.test(s)) return true;
  if (/^(false|False|FALSE)$/.test(s)) return false;
  if (INT.test(s) || FLOAT.test(s)) {
    const n = Number(s);
    // Beyond doubles' exact integers, or -0: leave it to the full parser.
    if (!Number.isSafeInteger(n) && INT.test(s)) fail();
    return Object.is(n, -0) ? fail() : n;
  }
  if (/^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$/.test(s) || /^0[xo]/.test(s)) fail();
  // Indicators that start something this reader does not do (anchors, aliases, tags, block scalars,
  // directives, reserved), and ": "/" #" inside, which YAML reads otherwise.
  if (/^[&*!|>%@`?,\]}]/.test(s) || /^-( |$)/.test(s) || s.includes(': ') || s.endsWith(':')) fail();
  return s;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
};

/** A quoted scalar starting at `s[at]`; returns its value and the index after the closing quote. */
function quoted(s: string, at: number): [string, number] {
  const q = s[at];
  let out = '';
  for (let i = at + 1; i < s.length; i++) {
    const c = s[i] as string;
    if (q === "'" && c === "'") {
      if (s[i + 1] === "'") {
        out += "'";
        i++;
        continue;
      }
      return [out, i + 1];
    }
    if (q === '"' && c === '"') return [out, i + 1];
    if (q === '"' && c === '\\') {
      const e = ESCAPES[s[i + 1] ?? ''];
      if (e === undefined) fail();
      out += e;
      i++;
      continue;
    }
    out += c;
  }
  return fail();
}

/** A flow collection or scalar inside `[...]`/`{...}`, from `s[at]`; returns value and next index. */
function flowValue(s: string, at: number): [unknown, number] {
  let i = at;
  while (s[i] === ' ') i++;
  const c = s[i];
  if (c === '[') {
    const arr: unknown[] = [];
    i++;
    for (;;) {
      while (s[i] === ' ') i++;
      if (s[i] === ']') return [arr, i + 1];
      const [v, next] = flowValue(s, i);
      arr.push(v);
      i = next;
      while (s[i] === ' ') i++;
      if (s[i] === ',') i++;
      else if (s[i] !== ']') fail();
    }
  }
  if (c === '{') {
    const obj: Record<string, unknown> = {};
    i++;
    for (;;) {
      while (s[i] === ' ') i++;
      if (s[i] === '}') return [obj, i + 1];
      const [k, afterKey] = flowValue(s, i);
      if (typeof k !== 'string' || s[afterKey] !== ':' || Object.hasOwn(obj, k)) fail();
      const [v, next] = flowValue(s, afterKey + 1);
      obj[k as string] = v;
      i = next;
      while (s[i] === ' ') i++;
      if (s[i] === ',') i++;
      else if (s[i] !== '}') fail();
    }
  }
  if (c === '"' || c === "'") return quoted(s, i);
  // A plain scalar ends at a flow indicator or at ": " (a key).
  let j = i;
  while (j < s.length && !',[]{}'.includes(s[j] as string) && !(s[j] === ':' && /[ ,\]}]|$/.test(s[j + 1] ?? ''))) j++;
  if (s[j] === ':' && s[j + 1] === undefined) fail();
  return [plain(s.slice(i, j).trimEnd()), j];
}

/** The value written after `key:` or `- ` on one line. */
function inline(s: string): unknown {
  if (s.startsWith('[') || s.startsWith('{')) {
    const [v, end] = flowValue(s, 0);
    if (s.slice(end).trim() !== '') fail();
    return v;
  }
  if (s.startsWith('"') || s.startsWith("'")) {
    const [v, end] = quoted(s, 0);
    if (s.slice(end).trim() !== '') fail();
    return v;
  }
  return plain(s);
}

/** Splits `key: value` (or `key:`) into its key and the text after the colon; undefined if not a key. */
function splitKey(text: string): [string, string] | undefined {
  if (text.startsWith('"') || text.startsWith("'")) {
    const [k, end] = quoted(text, 0);
    if (text[end] !== ':' || (text[end + 1] !== undefined && text[end + 1] !== ' ')) return undefined;
    return [k, text.slice(end + 1).trim()];
  }
  const m = /^([^\s:[\]{},#&*!|>'"%@`-][^:]*?|-[^\s:][^:]*?)\s*:(?: (.*)|$)/.exec(text);
  if (!m) return undefined;
  const key = plain(m[1] as string);
  if (typeof key !== 'string') fail();
  return [key as string, (m[2] ?? '').trim()];
}

class Reader {
  #i = 0;
  readonly #lines: Line[];

  constructor(lines: Line[]) {
    this.#lines = lines;
  }

  get done(): boolean {
    return this.#i >= this.#lines.length;
  }

  /** The node whose lines start at the current line, indented by `indent`. */
  block(indent: number): unknown {
    const line = this.#lines[this.#i];
    if (!line || line.indent !== indent) return fail();
    return line.text === '-' || line.text.startsWith('- ') ? this.sequence(indent) : this.mapping(indent);
  }

  /** What follows `key:` or `-` with nothing after it: a nested block, an indentless sequence, or null. */
  #nested(indent: number, allowIndentless: boolean): unknown {
    const next = this.#lines[this.#i];
    if (next && next.indent > indent) return this.block(next.indent);
    if (allowIndentless && next && next.indent === indent && (next.text === '-' || next.text.startsWith('- ')))
      return this.sequence(indent);
    return null;
  }

  sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let line = this.#lines[this.#i]; line && line.indent === indent; line = this.#lines[this.#i]) {
      if (!(line.text === '-' || line.text.startsWith('- '))) break;
      const rest = line.text.slice(1).trimStart();
      if (rest === '') {
        this.#i++;
        out.push(this.#nested(indent, false));
      } else if (splitKey(rest)) {
        // `- key: value` starts a mapping whose keys sit where `key` does.
        const at = indent + (line.text.length - rest.length);
        this.#lines[this.#i] = { indent: at, text: rest };
        out.push(this.mapping(at));
      } else if (rest.startsWith('- ') || rest === '-') {
        return fail();
      } else {
        this.#i++;
        out.push(inline(rest));
        this.#noContinuation(indent);
      }
    }
    return out;
  }

  mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let line = this.#lines[this.#i]; line && line.indent === indent; line = this.#lines[this.#i]) {
      if (line.text === '-' || line.text.startsWith('- ')) break;
      const kv = splitKey(line.text) ?? fail();
      const [key, rest] = kv;
      if (Object.hasOwn(out, key) || key === '__proto__') fail();
      this.#i++;
      if (rest === '') out[key] = this.#nested(indent, true);
      else {
        out[key] = inline(rest);
        this.#noContinuation(indent);
      }
    }
    return out;
  }

  /** A more-indented line after a one-line value would continue it (a multi-line scalar): not done here. */
  #noContinuation(indent: number): void {
    const next = this.#lines[this.#i];
    if (next && next.indent > indent) fail();
  }
}

/**
 * Parses `text` if it lies within the subset described above, else returns `undefined` (and the
 * caller uses the full YAML parser). An empty document is `null`, as `yaml.parse` gives.
 */
export function parseSimpleYaml(text: string): { value: unknown } | undefined {
  try {
    const lines = toLines(text);
    const first = lines[0];
    if (!first) return { value: null };
    if (first.indent !== 0) return undefined;
    let value: unknown;
    if (lines.length === 1 && !splitKey(first.text) && !first.text.startsWith('- ') && first.text !== '-')
      value = inline(first.text);
    else {
      const r = new Reader(lines);
      value = r.block(0);
      if (!r.done) return undefined;
    }
    return { value };
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}
