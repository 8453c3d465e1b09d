/**
 * List pagination tokens, as Kubernetes' `continue`: opaque to clients, carrying the revision the
 * first page was read at and the last key served (relative to the collection, so a token cannot
 * reach outside it). Once the revision is compacted the token is refused with 410 Expired, whose
 * Status carries a token for the rest of the list read at the current state instead (revision
 * {@link LATEST}), as Kubernetes' does.
 */
import { BadRequestError, ExpiredError } from '../../api/index.js';

/** A token's revision meaning "the current state": the pages after it are read as of their own read. */
export const LATEST = -1;

/** What a continue token carries. */
export interface ContinueToken {
  /** Revision of the first page, or {@link LATEST}. */
  revision: number;
  /** Last key served, relative to the collection prefix. */
  start: string;
}

/** Encodes a token (base64url JSON). */
export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: t.revision, start: t.start })).toString('base64url');
}

/** Decodes a token; a malformed one is a BadRequestError. */
export function decodeContinue(text: string): ContinueToken {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  const o = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  if (o.v !== 1 || !Number.isSafeInteger(o.rv) || (o.rv as number) < LATEST || typeof o.start !== 'string')
    throw new BadRequestError('invalid continue token: pass back the metadata.continue of a previous list');
  return { revision: o.rv as number, start: o.start };
}

/**
 * The answer to a token whose revision is no longer kept: 410 Expired, with a token that lists the
 * rest (after the same key) from the current state.
 */
export function expiredContinue(token: ContinueToken): ExpiredError {
  return new ExpiredError(
    'The continue token is too old: the list can no longer be finished as of its first page. Start a new ' +
      'list without it, or continue with the token in this answer (metadata.continue) to read the rest as ' +
      'of now: objects created, changed or deleted since the first page may then be missing or appear twice.',
    encodeContinue({ revision: LATEST, start: token.start }),
  );
}
