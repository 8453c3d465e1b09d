/**
 * The request headers a blob answer depends on: `Range` (one `bytes=` range, as a resuming node sends)
 * with its `If-Range` guard, and `Accept-Encoding`.
 */

/** A satisfiable byte range, both ends inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The range of a representation of `size` bytes that `range` asks for: undefined for the whole (no
 * header, one this server does not do — several ranges, other units — or an `If-Range` that does not
 * name `etag`), 'unsatisfiable' for a start at or past the end (416).
 */
export function requestedRange(
  range: string | undefined,
  ifRange: string | undefined,
  etag: string,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (range === undefined) return undefined;
  // A stale validator means "send me the whole new thing" (RFC 9110 §13.1.5); dates are not ours.
  if (ifRange !== undefined && ifRange !== etag) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    // A suffix: the last N bytes.
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}

/** True when `accept` (an `Accept-Encoding` value) takes `coding` with a non-zero weight. */
export function acceptsEncoding(accept: string | undefined, coding: string): boolean {
  if (accept === undefined) return false;
  for (const part of accept.split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (name !== coding) continue;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
