/** The node's own answer when a balanced delivery to a Service ended without one from an endpoint. */
import type { ServerResponse } from 'node:http';
import { errorMessage } from '../../api/index.js';
import { sendText } from './http-util.js';
import type { BalanceResult } from './service-balancer.js';

/**
 * Answers `res` for `result` when no endpoint did: 503 when the Service has no ready endpoint or none
 * could be reached, 502 when the request failed after it may have been processed. Nothing for an
 * answered or cancelled request. `svc` names the Service (`namespace/name`).
 */
export function answerUndelivered(res: ServerResponse, svc: string, result: BalanceResult): void {
  switch (result.kind) {
    case 'no-endpoints':
      return sendText(res, 503, `no ready endpoints for service "${svc}"`);
    case 'unreachable':
      return sendText(res, 503, `service "${svc}": no endpoint could be reached (${result.failures.join('; ')})`);
    case 'failed':
      return sendText(res, 502, `service "${svc}": ${errorMessage(result.error)}`);
    case 'answered':
    case 'cancelled':
      return;
  }
}
