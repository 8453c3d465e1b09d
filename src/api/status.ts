/** Kubernetes `Status` objects: how errors cross the HTTP boundary, both ways. */
import { EdgeError, InternalError, StatusReason, errorMessage, type FieldCause } from './errors.js';

/** The `Status` kind, as the API returns it for every failure. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  code: number;
  details?: { name?: string; kind?: string; group?: string; causes?: FieldCause[] };
}

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
  const s = body !== null && typeof body === 'object' ? (body as Partial<Status>) : {};
  const reason = (Object.values(StatusReason) as string[]).includes(s.reason ?? '')
    ? (s.reason as StatusReason)
    : StatusReason.InternalError;
  return new EdgeError(reason, s.code ?? httpStatus, s.message ?? `HTTP ${httpStatus}`, {
    causes: s.details?.causes ?? [],
    details: s.details ? { name: s.details.name, kind: s.details.kind } : undefined,
    retryable: httpStatus === 409 || httpStatus >= 500,
  });
}
