/**
 * `wasi:http/types.error-code` between the host and the canonical ABI: its case names in WIT order,
 * and its layout in memory (`variant` with 8-byte alignment: case at +0, payload at +8).
 *
 * The host only ever produces cases without a payload, cases whose payload is all `none`
 * (`DNS-error`), or `internal-error(option<string>)`; on the way in (a guest answering with an error)
 * only the case name is kept.
 */
import type { GuestMemory } from './guest-memory.js';

/** Case names of `error-code`, in WIT order (the discriminant is the index). */
export const ERROR_CODE_CASES = [
  'DNS-timeout',
  'DNS-error',
  'destination-not-found',
  'destination-unavailable',
  'destination-IP-prohibited',
  'destination-IP-unroutable',
  'connection-refused',
  'connection-terminated',
  'connection-timeout',
  'connection-read-timeout',
  'connection-write-timeout',
  'connection-limit-reached',
  'TLS-protocol-error',
  'TLS-certificate-error',
  'TLS-alert-received',
  'HTTP-request-denied',
  'HTTP-request-length-required',
  'HTTP-request-body-size',
  'HTTP-request-method-invalid',
  'HTTP-request-URI-invalid',
  'HTTP-request-URI-too-long',
  'HTTP-request-header-section-size',
  'HTTP-request-header-size',
  'HTTP-request-trailer-section-size',
  'HTTP-request-trailer-size',
  'HTTP-response-incomplete',
  'HTTP-response-header-section-size',
  'HTTP-response-header-size',
  'HTTP-response-body-size',
  'HTTP-response-trailer-section-size',
  'HTTP-response-trailer-size',
  'HTTP-response-transfer-coding',
  'HTTP-response-content-coding',
  'HTTP-response-timeout',
  'HTTP-upgrade-failed',
  'HTTP-protocol-error',
  'loop-detected',
  'configuration-error',
  'internal-error',
] as const;

/** A case name of `error-code`. */
export type ErrorCodeName = (typeof ERROR_CODE_CASES)[number];

/** An `error-code` as the host handles it. */
export interface ErrorCode {
  tag: ErrorCodeName;
  /** `internal-error`'s message. */
  message?: string;
}

const INTERNAL_ERROR = ERROR_CODE_CASES.indexOf('internal-error');

/** Bytes of the largest payload (`option<field-size-payload>`); zeros make every nested option `none`. */
const PAYLOAD_BYTES = 24;

/** Writes `code` at `at` (an `error-code` slot: 8-aligned, 32 bytes). */
export function storeErrorCode(mem: GuestMemory, at: number, code: ErrorCode): void {
  const index = ERROR_CODE_CASES.indexOf(code.tag);
  const disc = index < 0 ? INTERNAL_ERROR : index;
  mem.u8.fill(0, at + 8, at + 8 + PAYLOAD_BYTES);
  if (disc === INTERNAL_ERROR) mem.storeOptionString(at + 8, code.message);
  mem.u8[at] = disc;
}

/** The case name for a discriminant the guest passed flat. */
export function errorCodeName(disc: number): ErrorCodeName {
  return ERROR_CODE_CASES[disc] ?? 'internal-error';
}
