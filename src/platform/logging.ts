/**
 * Structured logging (pino): one logger per program, children per component. The `Logger` type is the
 * contract in src/api; this is the process plumbing that makes one.
 */
import { pino } from 'pino';
import type { Logger } from '../api/index.js';

/** Creates a JSON logger on stderr; `EDGE_LOG_LEVEL` overrides the level. */
export function createLogger(name: string, level: string = process.env.EDGE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { name } }, pino.destination(2));
}

/** A logger that drops everything (tests, embedded use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
