/**
 * One `Range` request header (RFC 9110 §14) as blob servers answer it: the hub's blob route and a
 * node's peer blob server both serve a single `bytes=` range so an interrupted download resumes, with
 * an `If-Range` guard naming the representation the client holds part of.
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
