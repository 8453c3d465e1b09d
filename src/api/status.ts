/** Kubernetes `Status` objects: how errors cross the HTTP boundary, both ways. */
import { z } from 'zod';
import { EdgeError, ExpiredError, InternalError, errorMessage } from './errors.js';

/** One `details.causes[]` entry (the wire form of `FieldCause`). */
const StatusCause = z.object({ field: z.string(), message: z.string(), reason: z.string().optional() });

/** `details` of a Status: what the failure is about. */
const StatusDetails = z.object({
  name: z.string().optional(),
  kind: z.string().optional(),
  group: z.string().optional(),
  causes: z.array(StatusCause).optional(),
});

/** The `Status` kind, as the API returns it for every failure (and some successful deletes). */
export const Status = z.object({
  kind: z.literal('Status'),
  apiVersion: z.literal('v1'),
  /** ListMeta: `continue` only, on an expired continue token's 410 (see ExpiredError). */
  metadata: z.object({ continue: z.string().optional() }),
  status: z.enum(['Failure', 'Success']),
  message: z.string(),
  reason: z.string(),
  code: z.number().int(),
  details: StatusDetails.optional(),
});
export type Status = z.infer<typeof Status>;

/** Translates any thrown value into a Status (unknown errors become a 500 without internals). */
export function toStatus(err: unknown): Status {
  const e = err instanceof EdgeError ? err : new InternalError(`internal error: ${errorMessage(err)}`);
  const details =
    e.details || e.causes.length > 0
      ? { ...(e.details ?? {}), ...(e.causes.length > 0 ? { causes: e.causes } : {}) }
      : undefined;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: e instanceof ExpiredError && e.continueToken !== undefined ? { continue: e.continueToken } : {},
    status: 'Failure',
    message: e.message,
    reason: e.code,
    code: e.httpStatus,
    ...(details ? { details } : {}),
  };
}

export { fromStatus } from './status-read.js';
