/** Column layout as kubectl's tabwriter does it: cells padded by 3 spaces, at least 6 wide. */

const PADDING = 3;
const MIN_WIDTH = 6;

/** Widths of every column but the last (which is never padded). */
export function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, Math.max(cell.length + PADDING, MIN_WIDTH));
    });
  }
  return widths;
}

/** One line of a table; cells wider than their column push the rest right, as tabwriter would. */
export function formatRow(row: readonly string[], widths: readonly number[]): string {
  return row
    .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(Math.max(widths[i] ?? 0, cell.length + PADDING))))
    .join('')
    .trimEnd();
}

/** Renders rows (header first, if any) as aligned lines, each ending with a newline. */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const widths = columnWidths(rows);
  return rows.map((r) => `${formatRow(r, widths)}\n`).join('');
}
