/** A pino logger whose JSON lines a test reads back (what was logged, never a secret's value). */
import { Writable } from 'node:stream';
import { pino } from 'pino';

/** A logger at `level` and the lines it wrote, parsed. */
export function capturedLogger(level = 'info'): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level }, sink), lines };
}
