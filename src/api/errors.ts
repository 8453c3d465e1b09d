/**
 * Error classes shared by every area. Each area throws these (or subclasses); boundaries translate
 * them: the hub into Kubernetes `Status` objects, the gateway into wire error frames, the CLI into
 * messages and exit codes.
 */

/** One field-level cause, as in a Kubernetes `Status.details.causes[]` entry. */
export interface FieldCause {
  /** Dotted path of the offending field, e.g. `spec.template.spec.containers[0].image`. */
  field: string;
  message: string;
  /** Kubernetes cause type, e.g. `FieldValueInvalid`, `FieldValueNotSupported`, `FieldValueRequired`. */
  reason?: string;
}

/** Kubernetes `Status.reason` values used by Edgeplane. */
export const StatusReason = {
  BadRequest: 'BadRequest',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Gone: 'Gone',
  Expired: 'Expired',
  Invalid: 'Invalid',
  MethodNotAllowed: 'MethodNotAllowed',
  UnsupportedMediaType: 'UnsupportedMediaType',
  RequestEntityTooLarge: 'RequestEntityTooLarge',
  TooManyRequests: 'TooManyRequests',
  InternalError: 'InternalError',
  ServiceUnavailable: 'ServiceUnavailable',
  Timeout: 'Timeout',
} as const;
export type StatusReason = (typeof StatusReason)[keyof typeof StatusReason];

/** Base of every Edgeplane error: a stable `code` (the Status reason) and whether a retry may help. */
export class EdgeError extends Error {
  readonly code: StatusReason;
  readonly httpStatus: number;
  readonly retryable: boolean;
  readonly causes: FieldCause[];
  readonly details: { name?: string; kind?: string; group?: string } | undefined;

  constructor(
    code: StatusReason,
    httpStatus: number,
    message: string,
    opts: {
      retryable?: boolean;
      causes?: FieldCause[];
      details?: { name?: string; kind?: string; group?: string };
      cause?: unknown;
    } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = httpStatus;
    this.retryable = opts.retryable ?? false;
    this.causes = opts.causes ?? [];
    this.details = opts.details;
  }
}

export class BadRequestError extends EdgeError {
  constructor(message: string, causes: FieldCause[] = []) {
    super(StatusReason.BadRequest, 400, message, { causes });
  }
}

export class UnauthorizedError extends EdgeError {
  constructor(message = 'Unauthorized') {
    super(StatusReason.Unauthorized, 401, message);
  }
}

export class ForbiddenError extends EdgeError {
  constructor(message: string) {
    super(StatusReason.Forbidden, 403, message);
  }
}

export class NotFoundError extends EdgeError {
  constructor(kind: string, name: string, message?: string) {
    super(StatusReason.NotFound, 404, message ?? `${kind} "${name}" not found`, { details: { kind, name } });
  }
}

export class AlreadyExistsError extends EdgeError {
  constructor(kind: string, name: string) {
    super(StatusReason.AlreadyExists, 409, `${kind} "${name}" already exists`, { details: { kind, name } });
  }
}

/** A write carried a stale `resourceVersion` (optimistic concurrency); re-read and retry. */
export class ConflictError extends EdgeError {
  constructor(message: string, details?: { kind?: string; name?: string }) {
    super(StatusReason.Conflict, 409, message, { retryable: true, details });
  }
}

/** A watch asked for a revision that has been compacted away; the client must relist. */
export class GoneError extends EdgeError {
  constructor(message: string, reason: typeof StatusReason.Gone | typeof StatusReason.Expired = StatusReason.Gone) {
    super(reason, 410, message);
  }
}

/**
 * 410 with reason `Expired`, Kubernetes' answer to a resourceVersion or continue token older than what
 * is kept. For an expired continue token it may carry `continueToken` (the Status's `metadata.continue`):
 * a token that goes on from the same place in the current state, for a client that accepts a list
 * whose pages are not one snapshot.
 */
export class ExpiredError extends GoneError {
  readonly continueToken: string | undefined;

  constructor(message: string, continueToken?: string) {
    super(message, StatusReason.Expired);
    this.continueToken = continueToken;
  }
}

/** An object failed validation; `causes` names every offending field. */
export class InvalidError extends EdgeError {
  constructor(kind: string, name: string, causes: FieldCause[]) {
    const summary = causes.map((c) => `${c.field}: ${c.message}`).join('; ');
    super(StatusReason.Invalid, 422, `${kind} "${name}" is invalid: ${summary}`, { causes, details: { kind, name } });
  }
}

export class MethodNotAllowedError extends EdgeError {
  constructor(message: string) {
    super(StatusReason.MethodNotAllowed, 405, message);
  }
}

export class UnsupportedMediaTypeError extends EdgeError {
  constructor(message: string) {
    super(StatusReason.UnsupportedMediaType, 415, message);
  }
}

export class RequestTooLargeError extends EdgeError {
  constructor(message: string) {
    super(StatusReason.RequestEntityTooLarge, 413, message);
  }
}

export class ServiceUnavailableError extends EdgeError {
  constructor(message: string) {
    super(StatusReason.ServiceUnavailable, 503, message, { retryable: true });
  }
}

/** A deadline passed before an answer came (a workload overran its request deadline). */
export class TimeoutError extends EdgeError {
  constructor(message: string) {
    super(StatusReason.Timeout, 504, message, { retryable: true });
  }
}

export class InternalError extends EdgeError {
  constructor(message: string, cause?: unknown) {
    super(StatusReason.InternalError, 500, message, { cause });
  }
}

/** True for a NotFound error, whether thrown here or decoded from a remote Status. */
export function isNotFound(err: unknown): boolean {
  return err instanceof EdgeError && err.code === StatusReason.NotFound;
}

/** Narrowing helper for catch blocks. */
export function isEdgeError(err: unknown): err is EdgeError {
  return err instanceof EdgeError;
}

/** A thrown value as a message, for logs and wire frames (never `[object Object]`). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}

/** An image could not be fetched or failed verification (pod shows `ErrImagePull`). */
export class ImagePullError extends EdgeError {
  constructor(message: string, cause?: unknown) {
    super(StatusReason.BadRequest, 400, message, { retryable: true, cause });
  }
}

/** A container could not be created from its image (pod shows `CreateContainerError`). */
export class CreateContainerError extends EdgeError {
  /** The container's waiting reason in the pod's status (`CreateContainerError`, or a runtime's more precise one). */
  readonly waitingReason: string;
  constructor(message: string, cause?: unknown, waitingReason = 'CreateContainerError') {
    super(StatusReason.BadRequest, 400, message, { retryable: true, cause });
    this.waitingReason = waitingReason;
  }
}

/**
 * Why a workload's outgoing HTTP request got no response. The Wasm runtime maps these onto
 * `wasi:http` error codes (`HTTP-request-denied`, `DNS-error`, `connection-refused`,
 * `connection-timeout`, `internal-error`).
 */
export type OutgoingFailure = 'denied' | 'dns' | 'connection-refused' | 'timeout' | 'internal';

/** A workload's outgoing HTTP request was refused or could not be delivered. */
export class OutgoingHttpError extends EdgeError {
  readonly failure: OutgoingFailure;

  constructor(failure: OutgoingFailure, message: string, cause?: unknown) {
    const [reason, status] =
      failure === 'denied'
        ? [StatusReason.Forbidden, 403]
        : failure === 'timeout'
          ? [StatusReason.Timeout, 504]
          : failure === 'internal'
            ? [StatusReason.InternalError, 500]
            : [StatusReason.ServiceUnavailable, 503];
    super(reason, status, message, { retryable: failure !== 'denied', cause });
    this.failure = failure;
  }
}

/** Formats a zod path as `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '<root>' : out;
}
