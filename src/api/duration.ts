/**
 * Durations: flag syntax (`10s`, `2m`, `500ms`, `1h`, or a bare number of seconds), and the bounds
 * every duration from a client gets before it can become a timer.
 *
 * Why bounded: Node's `setTimeout` takes at most 2^31-1 ms (about 24.8 days); a longer delay — or
 * Infinity, or NaN — fires after 1 ms instead, so a huge `periodSeconds` or `progressDeadlineSeconds`
 * would turn a timer into a busy loop. Every `…Seconds` field and query parameter is therefore at
 * most `MAX_DURATION_SECONDS`, refused with a message naming the field past it.
 */
import { z } from 'zod';
import { BadRequestError } from './errors.js';

/** The longest delay `setTimeout` honours (2^31-1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The longest duration in seconds a client may ask for: 2147483 s, about 24.8 days (fits a timer). */
export const MAX_DURATION_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/** A whole number of seconds in `[min, max]` (max defaults to `MAX_DURATION_SECONDS`), for schemas. */
export function Seconds(min: number, max = MAX_DURATION_SECONDS) {
  return z
    .number()
    .int()
    .min(min)
    .max(max, {
      message: `must be no more than ${max} seconds${max === MAX_DURATION_SECONDS ? ' (about 24 days, the longest timer the hub and nodes can keep)' : ''}`,
    });
}

/** Parses a duration into seconds; `undefined` when malformed. Linear: one anchored regex without nested quantifiers. */
export function parseDurationSeconds(text: string): number | undefined {
  if (text.length > 64) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const s = unit === 'ms' ? n / 1000 : unit === 'm' ? n * 60 : unit === 'h' ? n * 3600 : n;
  return Number.isFinite(s) ? s : undefined;
}

/**
 * A seconds-valued query parameter (`timeoutSeconds`, `gracePeriodSeconds`): absent → `undefined`;
 * otherwise a whole number in `[min, max]`, or a BadRequestError naming the parameter and the range.
 */
export function parseSecondsParam(
  name: string,
  text: string | null | undefined,
  opts: { min?: number; max?: number } = {},
): number | undefined {
  if (text === null || text === undefined) return undefined;
  const min = opts.min ?? 0;
  const max = opts.max ?? MAX_DURATION_SECONDS;
  const n = /^\s*[0-9]{1,12}\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    const why = Number.isInteger(n) ? `must be between ${min} and ${max}` : 'must be a whole number of seconds';
    throw new BadRequestError(`${name}: Invalid value: "${shown}": ${why}`, [
      { field: name, message: `Invalid value: "${shown}": ${why}`, reason: 'FieldValueInvalid' },
    ]);
  }
  return n;
}

/** Clamps a delay for `setTimeout` into `[0, MAX_TIMER_MS]` (NaN → 0), so it never fires early by overflow. */
export function timerDelayMs(ms: number): number {
  return Number.isNaN(ms) ? 0 : Math.min(MAX_TIMER_MS, Math.max(0, ms));
}
