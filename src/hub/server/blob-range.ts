/**
 * The `Accept-Encoding` a blob answer depends on (its `Range` is read by `requestedRange` of src/api,
 * shared with the nodes' peer blob server).
 */

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
