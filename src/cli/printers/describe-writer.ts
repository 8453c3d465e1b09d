/**
 * The layout of `describe` output as kubectl's tabwriter makes it: `Key:  value` lines whose values
 * line up within each run of such lines, section headings, and small tables.
 */
import { age, eventTime, type Condition, type Event } from '../../api/index.js';

type Entry = { kind: 'kv'; indent: number; key: string; value: string } | { kind: 'raw'; text: string };

const PAD = 2;

/** Accumulates describe output; `toString()` aligns it. */
export class DescribeWriter {
  readonly #entries: Entry[] = [];

  /** `Key:  value` at `indent` spaces; an undefined/empty value prints `<none>` (as kubectl does). */
  kv(indent: number, key: string, value: string | number | boolean | undefined): this {
    const v = value === undefined || value === '' ? '<none>' : String(value);
    this.#entries.push({ kind: 'kv', indent, key: `${key}:`, value: v });
    return this;
  }

  /** `Key:  a=b` then one continuation line per further entry (labels, annotations, selectors). */
  map(indent: number, key: string, map: Record<string, string | number> | undefined, sep = '='): this {
    const entries = Object.entries(map ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) return this.kv(indent, key, undefined);
    entries.forEach(([k, v], i) =>
      this.#entries.push({ kind: 'kv', indent, key: i === 0 ? `${key}:` : '', value: `${k}${sep}${v}` }),
    );
    return this;
  }

  /** A heading such as `Containers:` (ends the current alignment run). */
  heading(indent: number, text: string): this {
    this.#entries.push({ kind: 'raw', text: `${' '.repeat(indent)}${text}` });
    return this;
  }

  /** A table with its own column alignment, indented. */
  table(indent: number, rows: readonly (readonly string[])[]): this {
    const widths: number[] = [];
    for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length + PAD)));
    for (const r of rows) {
      const line = r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('');
      this.#entries.push({ kind: 'raw', text: `${' '.repeat(indent)}${line}`.trimEnd() });
    }
    return this;
  }

  /** Renders the aligned text. */
  toString(): string {
    const out: string[] = [];
    let run: Extract<Entry, { kind: 'kv' }>[] = [];
    const flush = (): void => {
      const width = Math.max(0, ...run.map((e) => e.indent + e.key.length)) + PAD;
      for (const e of run) out.push(`${`${' '.repeat(e.indent)}${e.key}`.padEnd(width)}${e.value}`.trimEnd());
      run = [];
    };
    for (const e of this.#entries) {
      if (e.kind === 'kv') run.push(e);
      else {
        flush();
        out.push(e.text);
      }
    }
    flush();
    return `${out.join('\n')}\n`;
  }
}

/** kubectl's describe time format: `Mon, 02 Jan 2006 15:04:05 +0000`. */
export function describeTime(ts: string | undefined): string | undefined {
  if (!ts) return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? ts : new Date(t).toUTCString().replace('GMT', '+0000');
}

/** Which columns a `Conditions:` table shows after Type: Status only, then Reason, then Message. */
export type ConditionColumns = 'status' | 'reason' | 'message';

/** A `Conditions:` section as a Type/Status(/Reason(/Message)) table, `<none>` when there are none. */
export function writeConditions(
  w: DescribeWriter,
  conditions: readonly Condition[] | undefined,
  columns: ConditionColumns = 'reason',
): void {
  if (!conditions || conditions.length === 0) {
    w.kv(0, 'Conditions', undefined);
    return;
  }
  w.heading(0, 'Conditions:');
  const width = { status: 2, reason: 3, message: 4 }[columns];
  const head = ['Type', 'Status', 'Reason', 'Message'].slice(0, width);
  const rows = conditions.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? ''].slice(0, width));
  w.table(2, [head, head.map((h) => '-'.repeat(h.length)), ...rows]);
}

/** The closing `Events:` table, `<none>` when there are none. */
export function writeEvents(w: DescribeWriter, events: readonly Event[], now: number): void {
  if (events.length === 0) {
    w.kv(0, 'Events', undefined);
    return;
  }
  const sorted = [...events].sort(
    (a, b) => (Date.parse(eventTime(a) ?? '') || 0) - (Date.parse(eventTime(b) ?? '') || 0),
  );
  const rows = sorted.map((e) => {
    const last = age(eventTime(e), now);
    const seen =
      (e.count ?? 1) > 1
        ? `${last} (x${e.count} over ${age(e.firstTimestamp ?? e.metadata.creationTimestamp, now)})`
        : last;
    const from = [e.source?.component ?? e.reportingComponent, e.source?.host].filter(Boolean).join(', ');
    return [e.type ?? 'Normal', e.reason ?? '', seen, from, (e.message ?? '').trim()];
  });
  w.heading(0, 'Events:');
  w.table(2, [['Type', 'Reason', 'Age', 'From', 'Message'], ['----', '------', '----', '----', '-------'], ...rows]);
}
