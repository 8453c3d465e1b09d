/**
 * Bounds on the Status an error becomes: messages and causes can quote the input (a 170 KB
 * `apiVersion`, a name of a megabyte, ten thousand unknown fields), and an error answer should
 * say what is wrong, not echo the request back. Long texts are cut with a note of how much was
 * left out; at most `MAX_CAUSES` causes are listed.
 */
import type { Status } from '../../api/index.js';

/** Longest Status message kept. */
export const MAX_MESSAGE_CHARS = 2048;
/** Longest cause field or message kept. */
export const MAX_CAUSE_CHARS = 512;
/** Most causes listed. */
export const MAX_CAUSES = 100;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** The same Status with its texts and causes bounded. */
export function boundStatus(status: Status): Status {
  const causes = status.details?.causes;
  const bounded: Status = { ...status, message: cut(status.message, MAX_MESSAGE_CHARS) };
  if (status.details && causes) {
    const kept = causes
      .slice(0, MAX_CAUSES)
      .map((c) => ({ ...c, field: cut(c.field, MAX_CAUSE_CHARS), message: cut(c.message, MAX_CAUSE_CHARS) }));
    if (causes.length > MAX_CAUSES)
      kept.push({ field: '<root>', message: `${causes.length - MAX_CAUSES} more causes not listed` });
    bounded.details = {
      ...status.details,
      causes: kept,
      ...(status.details.name !== undefined ? { name: cut(status.details.name, MAX_CAUSE_CHARS) } : {}),
    };
  }
  return bounded;
}
