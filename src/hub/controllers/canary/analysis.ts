/**
 * When a canary's next check is due, and its verdict: the analysis' memory between two reconciles
 * (kept by the leader; rebuilt empty after a restart, when one interval passes before the next check).
 */
import type { Canary, Pod } from '../../../api/index.js';
import { intervalMs, restartsOf, runChecks } from './checks.js';
import type { MetricsWindow } from './metrics-window.js';

/** What an analysis keeps between two reconciles. */
export interface AnalysisState {
  window: MetricsWindow;
  /** When the last check ran; undefined until the analysis starts. */
  lastCheckAt?: number;
  /** The canary's restarts at the last check. */
  restarts?: number;
}

/** `wait` ms for the next check; `start` the analysis (unchecked); a check that passed or failed. */
export type Verdict =
  { kind: 'wait'; ms: number } | { kind: 'start' } | { kind: 'pass' } | { kind: 'fail'; message: string };

/** Runs the check of `cd` if one is due at `nowMs` (and records it in `state`). */
export function checkDue(state: AnalysisState, cd: Canary, pods: readonly Pod[], nowMs: number): Verdict {
  const every = intervalMs(cd);
  if (state.lastCheckAt === undefined) {
    state.lastCheckAt = nowMs;
    state.restarts = restartsOf(pods);
    const started = (cd.status?.canaryWeight ?? 0) !== 0 || (cd.status?.iterations ?? 0) !== 0;
    // Resumed (a new leader, a restart): gather one window before the next check.
    return started ? { kind: 'wait', ms: every } : { kind: 'start' };
  }
  // The first check with traffic comes a whole interval after the first report with requests: that report
  // may cover a sliver of the canary's first step (a handful of requests, none failed yet), and a check
  // on it alone would pass a canary that fails 30 % of its requests and move it on to a heavier step.
  const since = Math.max(state.lastCheckAt, state.window.trafficSince ?? state.lastCheckAt);
  if (nowMs - since < every) return { kind: 'wait', ms: since + every - nowMs };
  const result = runChecks(cd, pods, state.window, nowMs, state.restarts);
  state.lastCheckAt = nowMs;
  state.restarts = restartsOf(pods);
  return result.ok ? { kind: 'pass' } : { kind: 'fail', message: result.message };
}
