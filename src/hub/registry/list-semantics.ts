/**
 * Kubernetes' `resourceVersion` / `resourceVersionMatch` rules for LIST, as the API concepts page
 * defines them and apimachinery validates them:
 * - no resourceVersion: the most recent state (a consistent read);
 * - `resourceVersion=0`: any state the server has (no wait);
 * - `resourceVersion=N` (or `resourceVersionMatch=NotOlderThan`): a state at least as new as N; the
 *   server waits for N and answers 504 "Too large resource version" when it does not reach it;
 * - `resourceVersionMatch=Exact` with N: the state at exactly N (410 Gone once N is too old);
 * - a continue token carries the first page's revision: every page is read at it (Exact).
 */
import { BadRequestError, InvalidError, type FieldCause } from '../../api/index.js';
import type { ListOptions } from './types.js';

/** What a LIST asks for, once validated. */
export type ListRead =
  | { mode: 'consistent' }
  | { mode: 'any' }
  | { mode: 'notOlderThan'; revision: number }
  | { mode: 'exact'; revision: number };

function revisionOf(rv: string): number {
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(Number(rv)))
    throw new BadRequestError(`invalid resourceVersion "${rv}": must be a non-negative integer`);
  return Number(rv);
}

/** Validates `opts`' resourceVersion, resourceVersionMatch and continue together (without the token). */
export function listRead(opts: ListOptions): ListRead {
  const rv = opts.resourceVersion ?? '';
  const match = opts.resourceVersionMatch ?? '';
  const causes: FieldCause[] = [];
  const forbid = (message: string): void => {
    causes.push({ field: 'resourceVersionMatch', message, reason: 'FieldValueForbidden' });
  };
  if (match !== '') {
    if (rv === '') forbid('resourceVersionMatch is forbidden unless resourceVersion is provided');
    if (opts.continue) forbid('resourceVersionMatch is forbidden when continue is provided');
    if (match !== 'Exact' && match !== 'NotOlderThan')
      causes.push({
        field: 'resourceVersionMatch',
        message: `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan", ""`,
        reason: 'FieldValueNotSupported',
      });
    if (match === 'Exact' && rv === '0') forbid('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  }
  if (causes.length > 0) throw new InvalidError('ListOptions', '', causes);
  if (opts.continue && rv !== '' && rv !== '0')
    throw new BadRequestError('specifying resource version is not allowed when using continue');
  if (rv === '') return { mode: 'consistent' };
  const revision = revisionOf(rv);
  if (revision === 0) return { mode: 'any' };
  return match === 'Exact' ? { mode: 'exact', revision } : { mode: 'notOlderThan', revision };
}
