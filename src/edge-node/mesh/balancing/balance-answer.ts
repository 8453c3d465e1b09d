/** The node's own answer when a balanced delivery to a Service ended without one from an endpoint. */
import type { ServerResponse } from 'node:http';
import { errorMessage } from '../../../api/index.js';
import { sendText } from '../http/http-util.js';
import { refuse } from '../http/listener-limits.js';
import { BodyAbortedError, BodyBuffersFullError, BodyTooLargeError } from '../http/body-limits.js';
import type { BalanceResult } from './service-balancer.js';

/**
 * Answers `res` for `result` when no endpoint did: 503 when the Service has no ready endpoint or none
 * could be reached, 502 when the request failed after it may have been processed. A request body
 * past the maximum is a 413, one the node has no room to hold a 503 (both close the connection: the
 * rest of the body is not read). Nothing for an answered or cancelled request, or a client that left.
 * `svc` names the Service (`namespace/name`).
 */
export function answerUndelivered(res: ServerResponse, svc: string, result: BalanceResult): void {
  switch (result.kind) {
    case 'no-endpoints':
      return sendText(res, 503, `no ready endpoints for service "${svc}"${heldText(result.held)}`);
    case 'unreachable':
      return sendText(res, 503, `service "${svc}": no endpoint could be reached (${result.failures.join('; ')})`);
    case 'failed':
      return answerFailure(res, result.error, `service "${svc}": `);
    case 'answered':
    case 'cancelled':
      return;
  }
}

/** What a hold adds to the 503 of a Service with no ready endpoint. */
export function heldText(held: Extract<BalanceResult, { kind: 'no-endpoints' }>['held']): string {
  if (!held) return '';
  return held.kind === 'timeout'
    ? ` (none became ready while the request was held for ${held.waitedMs} ms)`
    : ` (${held.maxPerService} requests are already held waiting for one)`;
}

/** Answers a failed delivery: the body errors of request-body.ts as above, anything else a 502 (`prefix` + message). */
export function answerFailure(res: ServerResponse, err: unknown, prefix: string): void {
  if (err instanceof BodyAbortedError) {
    res.destroy();
    return;
  }
  if (err instanceof BodyTooLargeError) return refuse(res, 413, err.message);
  if (err instanceof BodyBuffersFullError) return refuse(res, 503, err.message, { 'retry-after': '1' });
  sendText(res, 502, `${prefix}${errorMessage(err)}`);
}
