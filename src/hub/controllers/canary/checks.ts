/**
 * One check of a canary analysis: each metric of `analysis.metrics` against its `thresholdRange` over
 * its window, and — beyond Flagger, because the node sees it directly — the canary pods' readiness and
 * restarts since the last check. Pure: figures in, verdict out.
 */
import { gatewayDurationMs, isPodReady, type Canary, type Pod } from '../../../api/index.js';
import type { MetricsWindow } from './metrics-window.js';

/** Flagger's default `analysis.interval`. */
export const DEFAULT_INTERVAL_MS = 60_000;

/** A check's verdict: `ok`, or the first reason it failed (an event's message). */
export type CheckResult = { ok: true } | { ok: false; message: string };

/** The analysis interval in milliseconds. */
export function intervalMs(cd: Canary): number {
  const i = cd.spec.analysis.interval;
  return i === undefined ? DEFAULT_INTERVAL_MS : Math.max(1, gatewayDurationMs(i));
}

/** The longest window a check of `cd` reads (what the metrics window must keep). */
export function longestWindowMs(cd: Canary): number {
  let ms = intervalMs(cd);
  for (const m of cd.spec.analysis.metrics ?? []) if (m.interval) ms = Math.max(ms, gatewayDurationMs(m.interval));
  return ms;
}

/** Total restarts of the pods' containers. */
export function restartsOf(pods: readonly Pod[]): number {
  let n = 0;
  for (const p of pods) for (const c of p.status?.containerStatuses ?? []) n += c.restartCount ?? 0;
  return n;
}

const round = (v: number): string => String(Math.round(v * 100) / 100);

/**
 * Runs the checks. `restartsBefore` is the canary's restart count at the previous check (undefined at
 * the first one). With no requests in a window, a canary (which has traffic) fails the check as
 * Flagger's "no values found"; a blue-green analysis, whose new version takes no user traffic, is
 * judged by readiness and restarts alone.
 */
export function runChecks(
  cd: Canary,
  pods: readonly Pod[],
  window: MetricsWindow,
  nowMs: number,
  restartsBefore: number | undefined,
): CheckResult {
  const target = `${cd.spec.targetRef.name}.${cd.metadata.namespace ?? 'default'}`;
  const notReady = pods.filter((p) => !isPodReady(p)).map((p) => p.metadata.name ?? '');
  if (notReady.length > 0) return { ok: false, message: `Halt advancement ${notReady.join(', ')} not ready` };
  const restarts = restartsOf(pods);
  if (restartsBefore !== undefined && restarts > restartsBefore)
    return { ok: false, message: `Halt advancement ${target} restarted ${restarts - restartsBefore} time(s)` };
  const blueGreen = cd.spec.analysis.iterations !== undefined;
  for (const m of cd.spec.analysis.metrics ?? []) {
    const f = window.figures(m.interval ? gatewayDurationMs(m.interval) : intervalMs(cd), nowMs);
    // Flagger's request duration is the P99; the mean stands in only while a node sends no histogram.
    const value = m.name === 'request-success-rate' ? f.successRate : (f.p99LatencyMs ?? f.meanLatencyMs);
    if (value === undefined) {
      if (blueGreen) continue;
      return {
        ok: false,
        message: `Halt advancement no values found for metric ${m.name} probably ${target} is not receiving traffic`,
      };
    }
    const { min, max } = m.thresholdRange;
    if (m.name === 'request-success-rate' && min !== undefined && value < min)
      return { ok: false, message: `Halt ${target} advancement success rate ${round(value)}% < ${min}%` };
    if (m.name === 'request-duration' && max !== undefined && value > max)
      return {
        ok: false,
        message: `Halt ${target} advancement request duration ${f.p99LatencyMs === undefined ? 'mean' : 'P99'} ${round(value)}ms > ${max}ms`,
      };
    if (min !== undefined && value < min)
      return { ok: false, message: `Halt ${target} advancement ${m.name} ${round(value)} < ${min}` };
    if (max !== undefined && value > max)
      return { ok: false, message: `Halt ${target} advancement ${m.name} ${round(value)} > ${max}` };
  }
  return { ok: true };
}
