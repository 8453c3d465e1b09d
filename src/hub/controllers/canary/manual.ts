/**
 * Manual control of an analysis: what `edgectl canary promote|abort` asked for, read from the Canary's
 * annotations. Each names the revision it applies to, so the request is level-triggered state (it may
 * be read any number of times) and a request for an older revision is ignored.
 */
import { CANARY_ABORT_ANNOTATION, CANARY_PROMOTE_ANNOTATION, type Canary } from '../../../api/index.js';

/** What a user asked for the revision under analysis. */
export type ManualAction = 'promote' | 'abort';

/** The action asked for revision `hash` (abort wins over promote), if any. */
export function manualAction(cd: Canary, hash: string): ManualAction | undefined {
  const a = cd.metadata.annotations ?? {};
  if (a[CANARY_ABORT_ANNOTATION] === hash) return 'abort';
  if (a[CANARY_PROMOTE_ANNOTATION] === hash) return 'promote';
  return undefined;
}

/** Whether the manual requests differ between two versions of a Canary (the annotations are no spec). */
export function manualChanged(before: Canary, after: Canary): boolean {
  const a = before.metadata.annotations ?? {};
  const b = after.metadata.annotations ?? {};
  return (
    a[CANARY_ABORT_ANNOTATION] !== b[CANARY_ABORT_ANNOTATION] ||
    a[CANARY_PROMOTE_ANNOTATION] !== b[CANARY_PROMOTE_ANNOTATION]
  );
}
