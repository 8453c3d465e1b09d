/** Structured logging (pino): one logger per program, children per component. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Creates a JSON logger on stderr; `EDGE_LOG_LEVEL` overrides the level. */
export function createLogger(name: string, level: string = process.env.EDGE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { name } }, pino.destination(2));
}

/** A logger that drops everything (tests, embedded use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
