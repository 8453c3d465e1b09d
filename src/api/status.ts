/** Kubernetes `Status` objects: how errors cross the HTTP boundary, both ways. */
import { z } from 'zod';
import { EdgeError, InternalError, StatusReason, errorMessage } from './errors.js';

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
  metadata: z.object({}),
  status: z.enum(['Failure', 'Success']),
  message: z.string(),
  reason: z.string(),
  code: z.number().int(),
  details: StatusDetails.optional(),
});
export type Status = z.infer<typeof Status>;

/**
 * What a client reads of an error answer: each field on its own, so a partial or foreign body (a
 * proxy's JSON) still gives what it has; a field of the wrong type counts as absent.
 */
const ReceivedStatus = z.object({
  message: z.string().optional().catch(undefined),
  reason: z.string().optional().catch(undefined),
  code: z.number().int().optional().catch(undefined),
  details: StatusDetails.optional().catch(undefined),
});

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
    metadata: {},
    status: 'Failure',
    message: e.message,
    reason: e.code,
    code: e.httpStatus,
    ...(details ? { details } : {}),
  };
}

/** Turns a Status received by a client back into an EdgeError of the right code. */
export function fromStatus(body: unknown, httpStatus: number): EdgeError {
  const parsed = ReceivedStatus.safeParse(body);
  const s = parsed.success ? parsed.data : {};
  const reason = (Object.values(StatusReason) as string[]).includes(s.reason ?? '')
    ? (s.reason as StatusReason)
    : StatusReason.InternalError;
  return new EdgeError(reason, s.code ?? httpStatus, s.message ?? `HTTP ${httpStatus}`, {
    causes: s.details?.causes ?? [],
    details: s.details ? { name: s.details.name, kind: s.details.kind } : undefined,
    retryable: httpStatus === 409 || httpStatus >= 500,
  });
}
