/**
 * The CRI container log format the runtimes write (`<RFC3339Nano> stdout|stderr F|P <text>`) and
 * its translation into what `kubectl logs` shows.
 */

/**
 * Converts complete CRI lines into user-facing text: the prefix is stripped (the timestamp kept when
 * `timestamps`), `P` (partial) lines are joined with the following ones, `F` lines end a line.
 * A line not in CRI format is passed through as is.
 */
export function criToText(lines: readonly string[], timestamps: boolean): string {
  let out = '';
  let partial = false;
  for (const line of lines) {
    const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line) ?? /^(\S+) (stdout|stderr) ([FP])$/.exec(line);
    if (!m) {
      out += `${line}\n`;
      partial = false;
      continue;
    }
    const text = m[4] ?? '';
    if (timestamps && !partial) out += `${m[1]} `;
    out += text;
    partial = m[3] === 'P';
    if (!partial) out += '\n';
  }
  return out;
}

/** Splits a text on newlines, returning complete lines and the unterminated rest. */
export function splitLines(text: string): { lines: string[]; rest: string } {
  const parts = text.split('\n');
  const rest = parts.pop() ?? '';
  return { lines: parts, rest };
}

/** The last `n` lines of a text whose lines all end in `\n`. */
export function tailText(text: string, n: number | undefined): string {
  if (n === undefined || n < 0) return text;
  if (n === 0) return '';
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.length <= n ? text : `${lines.slice(-n).join('\n')}\n`;
}
