/**
 * List pagination tokens, as Kubernetes' `continue`: opaque to clients, carrying the revision the
 * first page was read at and the last key served (relative to the collection, so a token cannot
 * reach outside it). Once the revision is compacted the token is refused with 410 Gone.
 */
import { BadRequestError, GoneError } from '../../api/index.js';

/** What a continue token carries. */
export interface ContinueToken {
  /** Revision of the first page. */
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
  if (o.v !== 1 || !Number.isSafeInteger(o.rv) || (o.rv as number) < 0 || typeof o.start !== 'string')
    throw new BadRequestError('invalid continue token: pass back the metadata.continue of a previous list');
  return { revision: o.rv as number, start: o.start };
}

/** Kubernetes' answer to a token whose revision was compacted. */
export function expiredContinue(): GoneError {
  return new GoneError(
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
  );
}
