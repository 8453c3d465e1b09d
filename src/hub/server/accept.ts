/**
 * The Accept header as Kubernetes clients write it: media types with parameters that select a
 * representation (`application/json;as=Table;g=meta.k8s.io;v=v1`). Order is the client's preference
 * (kubectl sends no q-values; where one is given, higher first, order kept among equals).
 */

/** One media range of an Accept header. */
export interface MediaRange {
  /** `application/json`, `*\/*`, … (lower case). */
  type: string;
  /** Parameters other than `q`, names lower case, values as sent. */
  params: Record<string, string>;
}

/** Parses an Accept header into media ranges, most preferred first; an absent header accepts anything. */
export function parseAccept(header: string | undefined | null): MediaRange[] {
  if (header === undefined || header === null || header.trim() === '') return [{ type: '*/*', params: {} }];
  const ranges: Array<MediaRange & { q: number; i: number }> = [];
  header.split(',').forEach((part, i) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    if (type === '') return;
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq <= 0) continue;
      const name = p.slice(0, eq).trim().toLowerCase();
      const value = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      if (name === 'q') q = Number.isFinite(Number(value)) ? Number(value) : 0;
      else params[name] = value;
    }
    if (q > 0) ranges.push({ type: type.toLowerCase(), params, q, i });
  });
  return ranges.sort((a, b) => b.q - a.q || a.i - b.i).map(({ type, params }) => ({ type, params }));
}

/** Whether `range` accepts plain JSON (`application/json`, `application/*`, `*\/*`) with no `as=`. */
export function acceptsPlainJson(range: MediaRange): boolean {
  if (range.params['as'] !== undefined) return false;
  return range.type === 'application/json' || range.type === 'application/*' || range.type === '*/*';
}
