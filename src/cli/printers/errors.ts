/**
 * Error messages as kubectl prints them: `Error from server (NotFound): …` for what the hub
 * refused (with the field causes of Invalid listed), `error: …` for everything local.
 */
import { EdgeError, errorMessage } from '../../api/lite.js';
import { isServerError } from '../client/errors.js';
import { UsageError } from '../errors.js';

/** The lines (without trailing newline) to print on stderr for `err`. */
export function formatError(err: unknown): string {
  if (isServerError(err)) return formatServerError(err);
  if (err instanceof UsageError) return `error: ${err.message}${err.hint ? `\nSee '${err.hint}' for usage.` : ''}`;
  if (err instanceof EdgeError && err.causes.length > 0) return formatWithCauses('error: ', err);
  return `error: ${errorMessage(err)}`;
}

/** `Error from server (Reason): message`, then one `* field: message` line per cause. */
export function formatServerError(err: EdgeError): string {
  return formatWithCauses(`Error from server (${err.code}): `, err);
}

function formatWithCauses(prefix: string, err: EdgeError): string {
  if (err.causes.length === 0) return `${prefix}${err.message}`;
  // The hub's Invalid message already ends with "f: m; f2: m2"; list causes once, one per line.
  const summary = err.causes.map((c) => `${c.field}: ${c.message}`).join('; ');
  const head =
    summary !== '' && err.message.endsWith(summary) ? err.message.slice(0, -summary.length).trimEnd() : err.message;
  return [`${prefix}${head}`, ...err.causes.map((c) => `* ${c.field}: ${c.message}`)].join('\n');
}
