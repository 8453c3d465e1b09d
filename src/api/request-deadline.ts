/**
 * A pod's own request deadline: the `edgeplane.io/request-timeout` annotation (`500ms`, `2s`, `1m`)
 * replaces the node's `--request-timeout` for requests delivered to that pod's Wasm containers. A pod
 * whose guest may loop can have a short one and a slow pod a long one, so neither's deadline is set by
 * the other's (a node-wide deadline long enough for the slow pod let a looping neighbour hold an
 * executor for as long). A caller with less time left (a guest's outgoing call, a mesh hop, a route
 * timeout) still bounds its own request: the deadline is the smaller of the two.
 */
import type { FieldCause } from './errors.js';
import { parseDurationSeconds } from './duration.js';

/** The pod annotation naming the pod's request deadline. */
export const REQUEST_TIMEOUT_ANNOTATION = 'edgeplane.io/request-timeout';

/** The shortest and longest deadline a pod may ask for (a timer must hold it; an hour is past any request). */
export const MIN_POD_REQUEST_TIMEOUT_MS = 100;
export const MAX_POD_REQUEST_TIMEOUT_MS = 3_600_000;

/** Parses the annotation's value into ms: `{ ms }`, or `{ error }` saying what is wrong with it. */
export function parseRequestTimeout(value: string): { ms: number } | { error: string } {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined) return { error: 'must be a duration such as 500ms, 2s or 1m' };
  const ms = Math.round(seconds * 1000);
  if (ms < MIN_POD_REQUEST_TIMEOUT_MS || ms > MAX_POD_REQUEST_TIMEOUT_MS)
    return { error: `must be between ${MIN_POD_REQUEST_TIMEOUT_MS}ms and ${MAX_POD_REQUEST_TIMEOUT_MS / 60_000}m` };
  return { ms };
}

/** The pod's request deadline in ms, or undefined when it names none (or a malformed one: the hub refuses those). */
export function podRequestTimeoutMs(annotations: Readonly<Record<string, string>> | undefined): number | undefined {
  const value = annotations?.[REQUEST_TIMEOUT_ANNOTATION];
  if (value === undefined) return undefined;
  const parsed = parseRequestTimeout(value);
  return 'ms' in parsed ? parsed.ms : undefined;
}

/** The admission check of the annotation: a cause naming the field when its value is not a deadline. */
export function requestTimeoutCauses(annotations: Readonly<Record<string, string>> | undefined): FieldCause[] {
  const value = annotations?.[REQUEST_TIMEOUT_ANNOTATION];
  if (value === undefined) return [];
  const parsed = parseRequestTimeout(value);
  if ('ms' in parsed) return [];
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return [
    {
      field: `metadata.annotations[${REQUEST_TIMEOUT_ANNOTATION}]`,
      message: `Invalid value: ${JSON.stringify(shown)}: ${parsed.error}`,
      reason: 'FieldValueInvalid',
    },
  ];
}

/**
 * The deadline of one request: the caller's budget (`requested`, when it has one) bounded by the pod's
 * own deadline, else the node's.
 */
export function requestDeadlineMs(requested: number | undefined, podMs: number | undefined, nodeMs: number): number {
  const own = podMs ?? nodeMs;
  return requested === undefined ? own : Math.min(requested, own);
}
