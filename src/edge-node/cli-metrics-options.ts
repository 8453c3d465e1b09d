/**
 * The metrics and scale-from-zero flags of `edge-node`: `--metrics-interval` (usage frames),
 * `--metrics-bind-address` (the Prometheus listener, off unless given) and the hold queue of
 * requests for a Service with no ready endpoint (`--scale-from-zero-queue`, `--scale-from-zero-timeout`).
 */
import { isIP } from 'node:net';
import { parseDurationSeconds } from '../api/index.js';
import { OptionsError } from './cli-errors.js';

/** The metrics settings from the flags. */
export interface MetricsNodeOptions {
  /** Interval of usage samples and `usage` frames in ms; 0 disables them. */
  intervalMs: number;
  /** Where Prometheus scrapes the node's `/metrics`; undefined: no listener (the hub's proxy still works). */
  bindAddress?: { host: string; port: number };
}

/** How requests for a Service with no ready endpoint are held (scale from zero). */
export interface HoldNodeOptions {
  /** Requests held per Service at most (0: none, answered 503 at once). */
  maxPerService: number;
  /** How long one is held, in ms. */
  timeoutMs: number;
}

function duration(flag: string, text: string, allowZero: boolean): number {
  const s = parseDurationSeconds(text);
  if (s === undefined || s < 0 || (!allowZero && s === 0) || s > 3600)
    throw new OptionsError(
      `${flag}: "${text}" is not a duration ${allowZero ? 'from 0' : 'above 0'} up to 1h (e.g. 5s, 500ms)`,
    );
  return Math.round(s * 1000);
}

/** `host:port` (IPv6 in brackets) into its parts. */
function bindAddress(text: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:([0-9]{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || isIP(m[1]!) === 0 || port > 65535)
    throw new OptionsError(`--metrics-bind-address: "${text}" is not an IP address and port (e.g. 0.0.0.0:9100)`);
  return { host: m[1]!, port };
}

/** Parses the flags of this file. */
export function parseMetricsOptions(o: Record<string, string | undefined>): {
  metrics: MetricsNodeOptions;
  hold: HoldNodeOptions;
} {
  const intervalMs = duration('--metrics-interval', o.metricsInterval ?? '5s', true);
  if (intervalMs > 0 && intervalMs < 100)
    throw new OptionsError(`--metrics-interval: "${o.metricsInterval}" is below 100ms (0 disables usage reports)`);
  const queue = o.scaleFromZeroQueue ?? '100';
  if (!/^[0-9]+$/.test(queue) || Number(queue) > 100_000)
    throw new OptionsError(`--scale-from-zero-queue: "${queue}" is not a whole number from 0 to 100000`);
  return {
    metrics: {
      intervalMs,
      ...(o.metricsBindAddress !== undefined ? { bindAddress: bindAddress(o.metricsBindAddress) } : {}),
    },
    hold: {
      maxPerService: Number(queue),
      timeoutMs: duration('--scale-from-zero-timeout', o.scaleFromZeroTimeout ?? '10s', false),
    },
  };
}
